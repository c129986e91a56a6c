package sshkey

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // PKIX DSA public keys are read so they can be refused by name.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// pemFormats maps PEM labels to formats.
var pemFormats = map[string]Format{
	"OPENSSH PRIVATE KEY": FormatOpenSSHPrivate,
	"RSA PRIVATE KEY":     FormatPEMPKCS1,
	"EC PRIVATE KEY":      FormatPEMSEC1,
	"PRIVATE KEY":         FormatPEMPKCS8,
	"PUBLIC KEY":          FormatPEMPKIX,
	"RSA PUBLIC KEY":      FormatPEMPKCS1Public,
}

// maxPrivateKeyDER bounds a PEM private key's DER: a 16384-bit RSA key, the
// largest there is, takes 9287 bytes in PKCS#1 and PKCS#8.
const maxPrivateKeyDER = 12 << 10

// parsePEM reads PEM-armoured keys. text starts at the first BEGIN line.
func parsePEM(text []byte, opts Options) (*Key, error) {
	label := pemLabel(text)
	if label == "EC PARAMETERS" {
		// openssl ecparam -genkey writes the curve first; the key follows.
		if _, rest := pem.Decode(text); rest != nil {
			if i := bytes.Index(rest, []byte("-----BEGIN ")); i >= 0 {
				text = rest[i:]
				label = pemLabel(text)
			}
		}
	}
	f, known := pemFormats[label]
	if !known {
		return nil, parseErr("", 0, unsupportedPEMReason(label))
	}
	block, rest := pem.Decode(text)
	if block == nil || block.Type != label {
		return nil, parseErr(f, 0, "the PEM armour is broken: no matching END line, or the body is not base64")
	}
	if bytes.Contains(rest, []byte("-----BEGIN ")) {
		return nil, parseErr(f, 0, "more than one PEM block in the input; give one key")
	}
	switch f {
	case FormatOpenSSHPrivate:
		return parseOpenSSHPrivate(block.Bytes)
	case FormatPEMPKIX, FormatPEMPKCS1Public:
		return parsePEMPublic(block, f)
	default:
		return parsePEMPrivate(block, f, opts.Passphrase)
	}
}

// pemLabel returns the X of "-----BEGIN X-----" on the first line.
func pemLabel(text []byte) string {
	line := text
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		line = text[:i]
	}
	line = bytes.TrimSpace(line)
	line = bytes.TrimPrefix(line, []byte("-----BEGIN "))
	label, ok := bytes.CutSuffix(line, []byte("-----"))
	if !ok {
		return ""
	}
	return string(label)
}

func unsupportedPEMReason(label string) string {
	switch label {
	case "ENCRYPTED PRIVATE KEY":
		return "encrypted PKCS#8 private keys are not supported; give the public half " +
			"(`openssl pkey -in KEY -pubout`) instead"
	case "DSA PRIVATE KEY":
		return "DSA private keys in PEM form are not supported (and the platform rejects DSA keys); " +
			"generate an ed25519 or RSA >= 2048 key"
	}
	if safePEMLabel(label) {
		return "unsupported PEM block \"" + label + "\"; " + unrecognisedReason
	}
	return "unsupported PEM block; " + unrecognisedReason
}

// safePEMLabel: labels are short upper-case words; only such text is echoed.
func safePEMLabel(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != ' ' && c != '#' {
			return false
		}
	}
	return true
}

func parsePEMPublic(block *pem.Block, f Format) (*Key, error) {
	var (
		parsed any
		err    error
	)
	if f == FormatPEMPKCS1Public {
		parsed, err = x509.ParsePKCS1PublicKey(block.Bytes)
	} else {
		parsed, err = x509.ParsePKIXPublicKey(block.Bytes)
	}
	if err != nil {
		return nil, parseErr(f, 0, "the DER inside the armour does not parse as a public key")
	}
	pub, reason := sshPublicFromCrypto(parsed)
	if reason != "" {
		return nil, parseErr(f, 0, reason)
	}
	key, perr := newKey(pub, f, "", nil, false)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

func parsePEMPrivate(block *pem.Block, f Format, passphrase []byte) (*Key, error) {
	der := block.Bytes
	decrypted := false
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		if len(passphrase) == 0 {
			return nil, parseErr(f, 0, "encrypted PEM key: set passphrase")
		}
		// Legacy OpenSSL encryption is weak, but it is what ssh-keygen -m PEM
		// and old tools write; reading it is the point.
		plain, err := x509.DecryptPEMBlock(block, passphrase) //nolint:staticcheck // legacy encrypted PEM must be readable.
		if err != nil {
			return nil, parseErr(f, 0, "passphrase does not decrypt it")
		}
		der, decrypted = plain, true
	}
	if len(der) > maxPrivateKeyDER {
		// Parsing validates the key, which for a hostile oversized RSA key
		// would cost far more time than any real key does.
		return nil, parseErr(f, 0, "the private key is "+byteSize(int64(len(der)))+" of DER, more than a "+
			strconv.Itoa(MaxRSABits)+"-bit RSA key needs (about 9.1 KiB); the limit is "+byteSize(maxPrivateKeyDER))
	}
	var (
		priv any
		err  error
	)
	switch f {
	case FormatPEMPKCS1:
		priv, err = x509.ParsePKCS1PrivateKey(der)
	case FormatPEMSEC1:
		priv, err = x509.ParseECPrivateKey(der)
	default:
		priv, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		if decrypted {
			// Decryption "worked" but gave noise: the usual sign of a wrong passphrase.
			return nil, parseErr(f, 0, "passphrase does not decrypt it")
		}
		return nil, parseErr(f, 0, "the DER inside the armour does not parse as a private key of this kind")
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, parseErr(f, 0, "unsupported private key algorithm")
	}
	pub, reason := sshPublicFromCrypto(signer.Public())
	if reason != "" {
		return nil, parseErr(f, 0, reason)
	}
	key, perr := newKey(pub, f, "", nil, true)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

// sshPublicFromCrypto converts a standard library public key.
func sshPublicFromCrypto(k any) (ssh.PublicKey, string) {
	switch k := k.(type) {
	case *dsa.PublicKey:
		pub, err := dsaFromStd(k)
		if err != nil {
			return nil, "the DSA key parameters are out of range"
		}
		return pub, ""
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		pub, err := ssh.NewPublicKey(k)
		if err != nil {
			return nil, "the key uses a curve or size SSH does not support"
		}
		return pub, ""
	}
	return nil, "unsupported key algorithm (SSH keys are RSA, ECDSA P-256/384/521 or Ed25519)"
}
