package sshkey

import (
	"crypto/dsa" //nolint:staticcheck // DSA keys must still be read so they can be named and refused.
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"

	"golang.org/x/crypto/ssh"
)

// keyTypeDSA is spelt out here: x/crypto deprecated its constant along with
// DSA support, but we must still recognise DSA keys to refuse them by name.
const keyTypeDSA = "ssh-dss"

// keyType is what we know about one SSH public key type.
type keyType struct {
	algorithm string // as ssh-keygen -l shows it
	bits      int    // fixed size, 0 when it depends on the key
}

// keyTypes are the plain public key types OpenSSH knows. Certificates and
// types only Go knows (ML-DSA) are left out on purpose: the platform takes
// neither.
var keyTypes = map[string]keyType{
	ssh.KeyAlgoRSA:        {algorithm: "RSA"},
	keyTypeDSA:            {algorithm: "DSA"},
	ssh.KeyAlgoECDSA256:   {algorithm: "ECDSA", bits: 256},
	ssh.KeyAlgoECDSA384:   {algorithm: "ECDSA", bits: 384},
	ssh.KeyAlgoECDSA521:   {algorithm: "ECDSA", bits: 521},
	ssh.KeyAlgoED25519:    {algorithm: "ED25519", bits: 256},
	ssh.KeyAlgoSKECDSA256: {algorithm: "ECDSA-SK", bits: 256},
	ssh.KeyAlgoSKED25519:  {algorithm: "ED25519-SK", bits: 256},
}

func isKeyType(s string) bool {
	_, ok := keyTypes[s]
	return ok
}

func isCertType(s string) bool {
	return strings.HasSuffix(s, "-cert-v01@openssh.com") || strings.HasSuffix(s, "-cert-v01@golang.org")
}

// blobType reads the type string at the front of a wire-format blob.
func blobType(blob []byte) (string, bool) {
	if len(blob) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) {
		return "", false
	}
	return string(blob[4 : 4+n]), true
}

// safeName returns s for use in a message if it looks like a key type name
// (short, lower-case ASCII), so no input bytes of other kinds are echoed.
func safeName(s string) (string, bool) {
	if s == "" || len(s) > 64 {
		return "", false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && !strings.ContainsRune("-@._", rune(c)) {
			return "", false
		}
	}
	return s, true
}

// parseBlob turns a wire-format blob into a public key, accepting only the
// plain key types OpenSSH knows. The reason it returns is safe to show.
func parseBlob(blob []byte) (ssh.PublicKey, string) {
	typ, ok := blobType(blob)
	if !ok {
		return nil, "key blob is truncated or malformed"
	}
	if isCertType(typ) {
		return nil, "this is an SSH certificate, not a plain public key; give the key it certifies instead"
	}
	if !isKeyType(typ) {
		if name, ok := safeName(typ); ok {
			return nil, "unknown key type " + name
		}
		return nil, "key blob does not start with a known key type"
	}
	var pub ssh.PublicKey
	var err error
	if typ == keyTypeDSA {
		pub, err = parseDSABlob(blob)
	} else {
		pub, err = ssh.ParsePublicKey(blob)
	}
	if err != nil {
		return nil, "key blob is truncated or malformed"
	}
	return pub, ""
}

// keyBits is the size ssh-keygen -l reports for the key.
func keyBits(pub ssh.PublicKey) int {
	if n := keyTypes[pub.Type()].bits; n > 0 {
		return n
	}
	switch k := pub.(type) {
	case *dsaPublicKey:
		return k.P.BitLen()
	case ssh.CryptoPublicKey:
		if r, ok := k.CryptoPublicKey().(*rsa.PublicKey); ok {
			return r.N.BitLen()
		}
	}
	return 0
}

// dsaPublicKey is an ssh-dss key. x/crypto dropped DSA; we still read it so
// it can be reported and refused by name rather than as "unknown".
type dsaPublicKey struct {
	P, Q, G, Y *big.Int
}

var errDSAVerify = errors.New("ssh-dss: DSA signatures are not supported")

func (k *dsaPublicKey) Type() string { return keyTypeDSA }

func (k *dsaPublicKey) Marshal() []byte {
	return ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{keyTypeDSA, k.P, k.Q, k.G, k.Y})
}

func (k *dsaPublicKey) Verify([]byte, *ssh.Signature) error { return errDSAVerify }

// maxDSABits bounds the parameters so hostile input cannot make big numbers
// expensive; real DSA keys are 1024 bits (FIPS 186 allows up to 3072).
const maxDSABits = 8192

func parseDSABlob(blob []byte) (*dsaPublicKey, error) {
	var w struct {
		Name       string
		P, Q, G, Y *big.Int
		Rest       []byte `ssh:"rest"`
	}
	if err := ssh.Unmarshal(blob, &w); err != nil {
		return nil, err
	}
	if len(w.Rest) > 0 {
		return nil, errors.New("ssh-dss: trailing data")
	}
	return newDSAPublicKey(w.P, w.Q, w.G, w.Y)
}

func newDSAPublicKey(p, q, g, y *big.Int) (*dsaPublicKey, error) {
	for _, v := range []*big.Int{p, q, g, y} {
		if v == nil || v.Sign() <= 0 || v.BitLen() > maxDSABits {
			return nil, errors.New("ssh-dss: parameter out of range")
		}
	}
	return &dsaPublicKey{P: p, Q: q, G: g, Y: y}, nil
}

func dsaFromStd(k *dsa.PublicKey) (*dsaPublicKey, error) { //nolint:staticcheck // see import.
	return newDSAPublicKey(k.P, k.Q, k.G, k.Y)
}
