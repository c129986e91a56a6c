// Package sshkey reads SSH keys in the formats people really have them
// (OpenSSH lines, authorized_keys lines, RFC 4716 blocks, PuTTY .ppk files,
// OpenSSH and PEM private keys, PEM public keys) and turns them into one
// canonical public key with its fingerprints.
//
// It does no I/O: callers hand it bytes. Private key material is only ever
// used to find the public half; it is never kept in a Key or shown in an error.
package sshkey

import (
	"bytes"
	"crypto/md5" //nolint:gosec // MD5 is the legacy SSH fingerprint the platform API shows, not a security measure.
	"crypto/sha256"
	"encoding/base64"

	"golang.org/x/crypto/ssh"
)

// Format is the input format a key was read from.
type Format string

// The formats Parse recognises.
const (
	FormatOpenSSH        Format = "openssh"          // one-line public key
	FormatAuthorizedKeys Format = "authorized_keys"  // one line with options in front
	FormatRFC4716        Format = "rfc4716"          // ---- BEGIN SSH2 PUBLIC KEY ----
	FormatPuTTYv2        Format = "ppk-v2"           // PuTTY-User-Key-File-2
	FormatPuTTYv3        Format = "ppk-v3"           // PuTTY-User-Key-File-3
	FormatOpenSSHPrivate Format = "openssh-private"  // -----BEGIN OPENSSH PRIVATE KEY-----
	FormatPEMPKCS1       Format = "pem-pkcs1"        // RSA PRIVATE KEY
	FormatPEMSEC1        Format = "pem-sec1"         // EC PRIVATE KEY
	FormatPEMPKCS8       Format = "pem-pkcs8"        // PRIVATE KEY
	FormatPEMPKIX        Format = "pem-pkix"         // PUBLIC KEY
	FormatPEMPKCS1Public Format = "pem-pkcs1-public" // RSA PUBLIC KEY
)

// Description names the format the way a person would, for messages.
func (f Format) Description() string {
	switch f {
	case FormatOpenSSH:
		return "OpenSSH public key"
	case FormatAuthorizedKeys:
		return "authorized_keys line"
	case FormatRFC4716:
		return "RFC 4716 public key"
	case FormatPuTTYv2:
		return "PuTTY .ppk v2 key"
	case FormatPuTTYv3:
		return "PuTTY .ppk v3 key"
	case FormatOpenSSHPrivate:
		return "OpenSSH private key"
	case FormatPEMPKCS1, FormatPEMSEC1, FormatPEMPKCS8:
		return "PEM private key"
	case FormatPEMPKIX, FormatPEMPKCS1Public:
		return "PEM public key"
	}
	return "SSH key"
}

// Options tune Parse.
type Options struct {
	// Passphrase decrypts legacy encrypted PEM private keys ("Proc-Type:
	// 4,ENCRYPTED"). No other format needs one: the public half of
	// encrypted OpenSSH and PuTTY keys is stored in clear.
	Passphrase []byte
}

// Key is a parsed public key and what was learnt about its source.
// It holds no private key material.
type Key struct {
	pub         ssh.PublicKey
	blob        []byte
	comment     string
	options     []string
	format      Format
	fromPrivate bool
}

// Type is the wire type, e.g. "ssh-ed25519" or "sk-ssh-ed25519@openssh.com".
func (k *Key) Type() string { return k.pub.Type() }

// Algorithm is the name ssh-keygen -l shows in brackets, e.g. "ED25519".
func (k *Key) Algorithm() string { return keyTypes[k.pub.Type()].algorithm }

// Bits is the key size as ssh-keygen -l shows it: the modulus size for RSA
// and DSA, the curve size for ECDSA, 256 for Ed25519.
func (k *Key) Bits() int { return keyBits(k.pub) }

// Comment is the key's comment ("" if none).
func (k *Key) Comment() string { return k.comment }

// Options are the authorized_keys options in front of the key, nil if none.
func (k *Key) Options() []string {
	if k.options == nil {
		return nil
	}
	return append([]string(nil), k.options...)
}

// Format is the format the key was read from.
func (k *Key) Format() Format { return k.format }

// FromPrivate reports whether the input held private key material.
func (k *Key) FromPrivate() bool { return k.fromPrivate }

// Blob is the public key in SSH wire format.
func (k *Key) Blob() []byte { return bytes.Clone(k.blob) }

// PublicKey is the key as x/crypto/ssh sees it. DSA keys, which x/crypto
// no longer supports, come back as a key that can be marshalled but
// refuses to verify signatures.
func (k *Key) PublicKey() ssh.PublicKey { return k.pub }

// Line is the canonical one-line form "type base64 [comment]" with single
// spaces and no trailing newline. Options are never part of it.
func (k *Key) Line() string {
	if k.comment == "" {
		return k.LineWithoutComment()
	}
	return k.LineWithoutComment() + " " + k.comment
}

// LineWithoutComment is "type base64".
func (k *Key) LineWithoutComment() string {
	return k.pub.Type() + " " + base64.StdEncoding.EncodeToString(k.blob)
}

// FingerprintMD5 is the legacy fingerprint in lower-case colon hex, the form
// the platform API and portal show.
func (k *Key) FingerprintMD5() string {
	sum := md5.Sum(k.blob) //nolint:gosec // see import.
	return colonHex(sum[:])
}

// FingerprintSHA256 is "SHA256:" and unpadded base64, as ssh-keygen -l prints.
func (k *Key) FingerprintSHA256() string {
	sum := sha256.Sum256(k.blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// Equal compares keys by type and blob only: comment, options and source
// format never matter. Two nil keys are equal.
func (k *Key) Equal(o *Key) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.pub.Type() == o.pub.Type() && bytes.Equal(k.blob, o.blob)
}

// Equivalent reports whether a and b both parse as keys and are Equal.
func Equivalent(a, b string) bool {
	ka, err := Parse([]byte(a), Options{})
	if err != nil {
		return false
	}
	kb, err := Parse([]byte(b), Options{})
	if err != nil {
		return false
	}
	return ka.Equal(kb)
}
