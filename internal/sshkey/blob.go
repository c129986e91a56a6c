package sshkey

import (
	"crypto/dsa" //nolint:staticcheck // DSA keys must still be read so they can be named and refused.
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"
	"strconv"
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
	_, typ, ok := blobTypeReason(blob)
	return typ, ok
}

// blobTypeReason is blobType with the reason it failed, safe to show.
func blobTypeReason(blob []byte) (reason, typ string, ok bool) {
	if len(blob) < 4 {
		return "key blob is truncated: " + strconv.Itoa(len(blob)) + " bytes, too short to hold even a key type", "", false
	}
	n := int64(binary.BigEndian.Uint32(blob))
	if n > int64(len(blob)-4) {
		return "key blob is truncated or not a key: its key type is said to be " + strconv.FormatInt(n, 10) +
			" bytes long but only " + strconv.Itoa(len(blob)-4) + " follow", "", false
	}
	return "", string(blob[4 : 4+n]), true
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
	reason, typ, ok := blobTypeReason(blob)
	if !ok {
		return nil, reason
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
	if reason := checkBlobFields(typ, blob); reason != "" {
		return nil, reason
	}
	if typ == keyTypeDSA {
		pub, err := parseDSABlob(blob)
		if err != nil {
			return nil, "the DSA key parameters are out of range"
		}
		return pub, ""
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		// checkBlobFields has found every structural fault; what is left
		// is the mathematics x/crypto checks.
		if curve := curveOf(typ); curve != "" {
			return nil, "the EC point is not on the " + curve + " curve"
		}
		return nil, "key blob is malformed"
	}
	return pub, ""
}

// blobFields names the fields after the type string of each key type's
// wire form (RFC 4253 §6.6, RFC 5656, RFC 8709, PROTOCOL.u2f), for messages.
var blobFields = map[string][]string{
	ssh.KeyAlgoRSA:        {"RSA public exponent", "RSA modulus"},
	keyTypeDSA:            {"DSA p", "DSA q", "DSA g", "DSA y"},
	ssh.KeyAlgoECDSA256:   {"curve name", "EC point"},
	ssh.KeyAlgoECDSA384:   {"curve name", "EC point"},
	ssh.KeyAlgoECDSA521:   {"curve name", "EC point"},
	ssh.KeyAlgoED25519:    {"Ed25519 public key"},
	ssh.KeyAlgoSKECDSA256: {"curve name", "EC point", "security key application"},
	ssh.KeyAlgoSKED25519:  {"Ed25519 public key", "security key application"},
}

// ecPointSizes is the size of an uncompressed point per curve.
var ecPointSizes = map[string]int{"nistp256": 65, "nistp384": 97, "nistp521": 133}

// curveOf is the curve an ECDSA key type names ("nistp256"), or "".
func curveOf(typ string) string {
	for curve := range ecPointSizes {
		if strings.Contains(typ, "-"+curve) {
			return curve
		}
	}
	return ""
}

// checkBlobFields walks a blob of a known type and says what is wrong with
// it, or "": a missing field, extra bytes, a bad RSA exponent or size, a
// point or Ed25519 key of the wrong size, a curve the type does not name.
func checkBlobFields(typ string, blob []byte) string {
	names := blobFields[typ]
	r := wireReader{b: blob}
	r.skip() // the type, read by the caller
	fields := make([][]byte, len(names))
	for i, name := range names {
		if fields[i] = r.bytes(); r.failed {
			return "key blob is truncated: it ends inside the " + name
		}
	}
	if len(r.b) > 0 {
		return "key blob has " + strconv.Itoa(len(r.b)) + " bytes of unexpected data after the " + names[len(names)-1]
	}
	switch typ {
	case ssh.KeyAlgoRSA:
		return checkRSA(fields[0], fields[1])
	case ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519:
		if n := len(fields[0]); n != ed25519.PublicKeySize {
			return "the Ed25519 public key is " + strconv.Itoa(n) + " bytes; it must be " + strconv.Itoa(ed25519.PublicKeySize)
		}
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoSKECDSA256:
		return checkECPoint(curveOf(typ), fields[0], fields[1])
	}
	return ""
}

// checkECPoint checks the curve name matches the key type and the point
// has the uncompressed form and size of that curve.
func checkECPoint(want string, curve, point []byte) string {
	if got := string(curve); got != want {
		if name, ok := safeName(got); ok {
			return "the key type names curve " + want + " but the blob holds curve " + name
		}
		return "the key type names curve " + want + " but the blob holds another curve name"
	}
	if len(point) == 0 || point[0] != 4 {
		return "the EC point is not in uncompressed form (first byte 0x04), the only form SSH uses"
	}
	if len(point) != ecPointSizes[want] {
		return "the EC point is " + strconv.Itoa(len(point)) + " bytes; a " + want + " point is " +
			strconv.Itoa(ecPointSizes[want])
	}
	return ""
}

// maxRSAExponentBits is the largest exponent x/crypto/ssh takes; real keys
// use 65537 (17 bits).
const maxRSAExponentBits = 24

// checkRSA says what is wrong with an RSA key's exponent or modulus as SSH
// mpints (big-endian two's complement), or "".
func checkRSA(e, n []byte) string {
	if len(e) > 0 && e[0]&0x80 != 0 {
		return "the RSA public exponent is negative"
	}
	if len(n) > 0 && n[0]&0x80 != 0 {
		return "the RSA modulus is negative"
	}
	return checkRSANumbers(new(big.Int).SetBytes(e), new(big.Int).SetBytes(n))
}

// checkRSANumbers applies the exponent and size rules to an RSA key from
// any format.
func checkRSANumbers(e, n *big.Int) string {
	switch {
	case e.BitLen() > maxRSAExponentBits:
		return "the RSA public exponent is too large (" + strconv.Itoa(e.BitLen()) + " bits; SSH allows at most " +
			strconv.Itoa(maxRSAExponentBits) + " bits, and keys use 65537)"
	case e.Sign() == 0:
		return "the RSA public exponent is 0"
	case e.Int64() == 1:
		return "the RSA public exponent is 1, which leaves nothing secret (anyone could sign); keys use 65537"
	case e.Bit(0) == 0:
		return "the RSA public exponent " + e.String() + " is even; RSA needs an odd exponent (keys use 65537)"
	case n.BitLen() > MaxRSABits:
		return "RSA key of " + strconv.Itoa(n.BitLen()) + " bits is too large: the limit is " + strconv.Itoa(MaxRSABits) +
			" bits, the largest ssh-keygen makes"
	case n.Bit(0) == 0:
		return "the RSA modulus is even, so it is not the product of two primes"
	}
	return ""
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

func dsaFromStd(k *dsa.PublicKey) (*dsaPublicKey, error) {
	return newDSAPublicKey(k.P, k.Q, k.G, k.Y)
}
