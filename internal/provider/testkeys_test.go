package provider

import (
	"crypto/dsa" //nolint:staticcheck // DSA keys are generated only to prove they are refused.
	"crypto/ed25519"
	"crypto/md5" //nolint:gosec // MD5 is the fingerprint format the API uses.
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testKey is a key pair made for one test, with the expected values
// computed independently of internal/sshkey.
type testKey struct {
	Line       string // "type base64 comment"
	Comment    string
	PrivatePEM string
	MD5        string
	SHA256     string
	blob       []byte
}

func newTestKey(t *testing.T, comment string) testKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k := keyFrom(sshPub, comment)
	k.PrivatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return k
}

func keyFrom(pub ssh.PublicKey, comment string) testKey {
	return keyFromBlob(pub.Type(), pub.Marshal(), comment)
}

func keyFromBlob(keyType string, blob []byte, comment string) testKey {
	line := keyType + " " + base64.StdEncoding.EncodeToString(blob)
	if comment != "" {
		line += " " + comment
	}
	md5sum := md5.Sum(blob) //nolint:gosec // fingerprint format, not security
	hexes := make([]string, len(md5sum))
	for i, b := range md5sum {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	sha := sha256.Sum256(blob)
	return testKey{
		Line:    line,
		Comment: comment,
		MD5:     strings.Join(hexes, ":"),
		SHA256:  "SHA256:" + base64.RawStdEncoding.EncodeToString(sha[:]),
		blob:    blob,
	}
}

// withComment is the same key with another comment.
func (k testKey) withComment(comment string) string {
	fields := strings.Fields(k.Line)
	return fields[0] + " " + fields[1] + " " + comment
}

// rfc4716 is the key as PuTTYgen's "Save public key" writes it.
func (k testKey) rfc4716() string {
	b64 := base64.StdEncoding.EncodeToString(k.blob)
	var sb strings.Builder
	sb.WriteString("---- BEGIN SSH2 PUBLIC KEY ----\r\n")
	fmt.Fprintf(&sb, "Comment: \"%s\"\r\n", k.Comment)
	for len(b64) > 64 {
		sb.WriteString(b64[:64] + "\r\n")
		b64 = b64[64:]
	}
	sb.WriteString(b64 + "\r\n---- END SSH2 PUBLIC KEY ----\r\n")
	return sb.String()
}

func newRSATestKey(t *testing.T, bits int) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return keyFrom(pub, fmt.Sprintf("rsa-%d", bits))
}

func newDSATestKey(t *testing.T) testKey {
	t.Helper()
	var priv dsa.PrivateKey
	if err := dsa.GenerateParameters(&priv.Parameters, rand.Reader, dsa.L1024N160); err != nil {
		t.Fatal(err)
	}
	if err := dsa.GenerateKey(&priv, rand.Reader); err != nil {
		t.Fatal(err)
	}
	// x/crypto/ssh no longer handles DSA: build the ssh-dss wire form.
	blob := ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{"ssh-dss", priv.P, priv.Q, priv.G, priv.Y})
	return keyFromBlob("ssh-dss", blob, "old-dsa")
}
