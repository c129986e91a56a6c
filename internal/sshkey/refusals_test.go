package sshkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// rsaModulus is an odd number of the given size: enough for the checks,
// which do not factor it.
func rsaModulus(bits int) *big.Int {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return n.Or(n, big.NewInt(0xffff))
}

func wireLine(fields ...any) string {
	blob := marshalAll(fields...)
	typ, _ := blobType(blob)
	return typ + " " + base64.StdEncoding.EncodeToString(blob)
}

// marshalAll lays out strings, []byte and *big.Int in SSH wire form.
func marshalAll(fields ...any) []byte {
	var out []byte
	for _, f := range fields {
		switch v := f.(type) {
		case string:
			out = append(out, ssh.Marshal(struct{ S string }{v})...)
		case []byte:
			out = append(out, ssh.Marshal(struct{ B []byte }{v})...)
		case *big.Int:
			out = append(out, ssh.Marshal(struct{ N *big.Int }{v})...)
		}
	}
	return out
}

func pemPublic(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestKeyRefusalsSayWhatIsWrong pins a specific message for each way a key
// blob can be wrong; none says only "malformed".
func TestKeyRefusalsSayWhatIsWrong(t *testing.T) {
	n2048 := rsaModulus(2048)
	e := big.NewInt(65537)
	edKey := make([]byte, 32)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point := elliptic.Marshal(elliptic.P256(), p256.X, p256.Y) //nolint:staticcheck // the SSH wire form is exactly this.
	offCurve := append([]byte{}, point...)
	offCurve[len(offCurve)-1] ^= 1
	compressed := elliptic.MarshalCompressed(elliptic.P256(), p256.X, p256.Y)
	cases := []struct{ name, in, msg string }{
		{"rsa e=1", wireLine("ssh-rsa", big.NewInt(1), n2048), "OpenSSH public key: the RSA public exponent is 1, which leaves nothing secret (anyone could sign); keys use 65537 at line 1"},
		{"rsa e=0", wireLine("ssh-rsa", big.NewInt(0), n2048), "the RSA public exponent is 0"},
		{"rsa e even", wireLine("ssh-rsa", big.NewInt(65536), n2048), "the RSA public exponent 65536 is even; RSA needs an odd exponent (keys use 65537)"},
		{"rsa e too large", wireLine("ssh-rsa", new(big.Int).Lsh(big.NewInt(1), 24), n2048), "the RSA public exponent is too large (25 bits; SSH allows at most 24 bits, and keys use 65537)"},
		{"rsa e negative", wireLine("ssh-rsa", big.NewInt(-3), n2048), "the RSA public exponent is negative"},
		{"rsa n even", wireLine("ssh-rsa", e, new(big.Int).Lsh(big.NewInt(1), 2047)), "the RSA modulus is even"},
		{"rsa 16385 bits", wireLine("ssh-rsa", e, rsaModulus(16385)), "OpenSSH public key: RSA key of 16385 bits is too large: the limit is 16384 bits, the largest ssh-keygen makes at line 1"},
		{"rsa 16385 bits in PEM", pemPublic(t, &rsa.PublicKey{N: rsaModulus(16385), E: 65537}), "PEM public key: RSA key of 16385 bits is too large: the limit is 16384 bits"},
		{"rsa e=1 in PEM", pemPublic(t, &rsa.PublicKey{N: n2048, E: 1}), "PEM public key: the RSA public exponent is 1"},
		{"rsa no modulus", wireLine("ssh-rsa", e), "key blob is truncated: it ends inside the RSA modulus"},
		{"trailing data", wireLine("ssh-ed25519", edKey, "extra"), "key blob has 9 bytes of unexpected data after the Ed25519 public key"},
		{"ed25519 short", wireLine("ssh-ed25519", edKey[:31]), "the Ed25519 public key is 31 bytes; it must be 32"},
		{"sk without application", wireLine("sk-ssh-ed25519@openssh.com", edKey), "key blob is truncated: it ends inside the security key application"},
		{"curve mismatch", wireLine("ecdsa-sha2-nistp256", "nistp384", point), "the key type names curve nistp256 but the blob holds curve nistp384"},
		{"compressed point", wireLine("ecdsa-sha2-nistp256", "nistp256", compressed), "the EC point is not in uncompressed form"},
		{"point size", wireLine("ecdsa-sha2-nistp384", "nistp384", point), "the EC point is 65 bytes; a nistp384 point is 97"},
		{"point off the curve", wireLine("ecdsa-sha2-nistp256", "nistp256", offCurve), "the EC point is not on the nistp256 curve"},
		{"dsa parameter zero", wireLine("ssh-dss", big.NewInt(0), big.NewInt(1), big.NewInt(1), big.NewInt(1)), "the DSA key parameters are out of range"},
		{"blob of 3 bytes", "ssh-ed25519 AAAA", "key blob is truncated: 3 bytes, too short to hold even a key type"},
		{"type length past the end", "ssh-ed25519 " + base64.StdEncoding.EncodeToString([]byte{0, 0, 1, 0, 'x'}), "key blob is truncated or not a key: its key type is said to be 256 bytes long but only 1 follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := Parse([]byte(c.in), Options{})
			if err == nil {
				t.Fatalf("accepted: %s", k.Line())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError", err)
			}
			if !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "malformed") {
				t.Errorf("error\n%q\nwant it to contain\n%q", err, c.msg)
			}
		})
	}
}

// TestRSASizesUpToTheLimitParse: 16384 bits, the bound, is a key; the
// exponents real keys use pass.
func TestRSASizesUpToTheLimitParse(t *testing.T) {
	for _, c := range []struct {
		bits int
		e    int64
	}{{16384, 65537}, {2048, 3}, {4096, 1<<24 - 1}} {
		k, err := Parse([]byte(wireLine("ssh-rsa", big.NewInt(c.e), rsaModulus(c.bits))), Options{})
		if err != nil || k.Bits() != c.bits {
			t.Errorf("%d bits, e=%d: %v", c.bits, c.e, err)
		}
	}
}

// TestOversizedPEMPrivateKeyIsRefusedUnparsed: a private key larger than
// any real one is refused before x509 validates it.
func TestOversizedPEMPrivateKeyIsRefusedUnparsed(t *testing.T) {
	der := make([]byte, maxPrivateKeyDER+1)
	for _, label := range []string{"RSA PRIVATE KEY", "PRIVATE KEY"} {
		in := pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der})
		_, err := Parse(in, Options{})
		want := "PEM private key: the private key is 12289 bytes (12.0 KiB) of DER, more than a 16384-bit RSA key needs"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", label, err, want)
		}
	}
}
