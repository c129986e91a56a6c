package sshkey

import (
	"errors"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// minRSABits is the smallest RSA modulus the platform accepts.
const minRSABits = 2048

// ValidateForUpload applies the platform's policy to a parsed key: the input
// must not be private key material, and DSA and RSA below 2048 bits are
// refused. It is separate from Parse so callers that only read keys (the
// data source) can report these as warnings instead.
func ValidateForUpload(k *Key) error {
	if k == nil {
		return errors.New("no key given")
	}
	if k.fromPrivate {
		return errors.New("this is a private key (" + k.format.Description() + "): give the public half instead, " +
			publicHalfHint(k.format))
	}
	return CheckStrength(k)
}

// CheckStrength refuses what the platform refuses whatever the input held:
// DSA keys and RSA keys below 2048 bits. The data source reports it as a
// warning; resources as an error, through ValidateForUpload.
func CheckStrength(k *Key) error {
	switch k.Type() {
	case keyTypeDSA:
		return errors.New("this is a DSA key: the platform rejects DSA keys; generate an ed25519 or RSA >= 2048 key")
	case ssh.KeyAlgoRSA:
		if bits := k.Bits(); bits < minRSABits {
			return errors.New("RSA key of " + strconv.Itoa(bits) + " bits: the platform needs at least " +
				strconv.Itoa(minRSABits) + "; generate a new key (ssh-keygen -t ed25519)")
		}
	}
	return nil
}

func publicHalfHint(f Format) string {
	switch f {
	case FormatPuTTYv2, FormatPuTTYv3:
		return "e.g. `puttygen KEY.ppk -O public-openssh` or PuTTYgen's \"Public key for pasting\" box"
	case FormatOpenSSHPrivate:
		return "e.g. the .pub file next to it or `ssh-keygen -y -f KEY`"
	default:
		return "e.g. `ssh-keygen -y -f KEY`"
	}
}
