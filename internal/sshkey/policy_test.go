package sshkey

import (
	"bytes"
	"encoding/pem"
	"strings"
	"testing"
)

func TestValidateForUpload(t *testing.T) {
	cases := []struct {
		file, pass, wantErr string
	}{
		{"keys/ed25519.pub", "", ""},
		{"keys/rsa2048.pub", "", ""},
		{"keys/rsa4096.pkcs8.pem", "", "this is a private key (PEM private key): give the public half"},
		{"keys/ecdsa521.pub", "", ""},
		{"keys/sk-ed25519.pub", "", ""},
		{"keys/rsa2048.keygen.rfc4716", "", ""},
		{"keys/rsa2048.pkix.pem", "", ""},
		{"keys/ed25519.authorized_keys", "", ""},
		{"keys/dsa1024.pub", "", "this is a DSA key: the platform rejects DSA keys; generate an ed25519 or RSA >= 2048 key"},
		{"keys/rsa1024-weak.pub", "", "RSA key of 1024 bits: the platform needs at least 2048"},
		{"keys/ed25519.v3.ppk", "", "this is a private key (PuTTY .ppk v3 key): give the public half instead, e.g. `puttygen KEY.ppk -O public-openssh`"},
		{"keys/ed25519-enc.v2.ppk", "", "this is a private key (PuTTY .ppk v2 key)"},
		{"keys/ed25519", "", "this is a private key (OpenSSH private key): give the public half instead, e.g. the .pub file"},
		{"keys/rsa2048-enc.pkcs1.pem", "correct horse", "this is a private key (PEM private key)"},
		// Private material wins over the other findings.
		{"keys/rsa1024-weak", "", "this is a private key"},
		{"keys/dsa1024", "", "this is a private key"},
	}
	for _, c := range cases {
		k, err := Parse(readFixture(t, c.file), Options{Passphrase: []byte(c.pass)})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		err = ValidateForUpload(k)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.file, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want it to contain %q", c.file, err, c.wantErr)
		}
	}
	if ValidateForUpload(nil) == nil {
		t.Error("ValidateForUpload(nil) = nil")
	}
}

// CheckStrength looks through private material: a weak key read from a
// private key file is still weak.
func TestCheckStrength(t *testing.T) {
	cases := map[string]string{
		"keys/ed25519":          "",
		"keys/rsa2048.pub":      "",
		"keys/rsa1024-weak":     "RSA key of 1024 bits",
		"keys/rsa1024-weak.pub": "RSA key of 1024 bits",
		"keys/dsa1024.v3.ppk":   "this is a DSA key",
	}
	for file, want := range cases {
		k, err := Parse(readFixture(t, file), Options{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		err = CheckStrength(k)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: CheckStrength = %v, want %q", file, err, want)
		}
	}
}

func TestEqualAndEquivalent(t *testing.T) {
	pub := string(readFixture(t, "keys/ed25519.pub"))
	fields := strings.Fields(pub)
	other := string(readFixture(t, "keys/ed25519-long.pub"))
	cases := []struct {
		a, b string
		want bool
	}{
		{pub, pub, true},
		{pub, fields[0] + " " + fields[1], true},                   // comment never matters
		{pub, fields[0] + " " + fields[1] + " someone else", true}, // nor a different one
		{pub, "no-pty " + pub, true},                               // nor options
		{pub, string(readFixture(t, "keys/ed25519.v2.ppk")), true}, // nor the format
		{pub, string(readFixture(t, "keys/ed25519.keygen.rfc4716")), true},
		{pub, string(readFixture(t, "keys/ed25519")), true},
		{pub, other, false},
		{pub, string(readFixture(t, "keys/rsa2048.pub")), false},
		{pub, "", false},
		{"", "", false}, // neither parses
		{pub, "ssh-rsa " + fields[1], false},
	}
	for i, c := range cases {
		if got := Equivalent(c.a, c.b); got != c.want {
			t.Errorf("case %d: Equivalent = %v, want %v", i, got, c.want)
		}
		if got := Equivalent(c.b, c.a); got != c.want {
			t.Errorf("case %d: Equivalent (swapped) = %v, want %v", i, got, c.want)
		}
	}
	var nilKey *Key
	k, _ := Parse([]byte(pub), Options{})
	if !nilKey.Equal(nil) || k.Equal(nil) || nilKey.Equal(k) {
		t.Error("Equal mishandles nil keys")
	}
	// Blob hands out a copy.
	b := k.Blob()
	b[len(b)-1] ^= 0xff
	if !bytes.Equal(k.Blob(), k.PublicKey().Marshal()) {
		t.Error("Blob() exposes the key's own slice")
	}
}

// TestNoSecretsInErrors damages every private fixture in many ways and checks
// that no error ever quotes a piece of the private body or the passphrase.
func TestNoSecretsInErrors(t *testing.T) {
	const pass = "correct horse"
	errorsSeen := 0
	for _, e := range loadExpectations(t) {
		if e.Error != "" || !e.FromPrivate {
			continue
		}
		data := readFixture(t, e.File)
		secrets := secretPieces(data)
		if len(secrets) == 0 {
			t.Fatalf("%s: found no private body to look for", e.File)
		}
		for _, variant := range damaged(data) {
			for _, p := range []string{"", pass, "wrong horse"} {
				_, err := Parse(variant, Options{Passphrase: []byte(p)})
				if err == nil {
					continue
				}
				errorsSeen++
				msg := err.Error()
				if p != "" && strings.Contains(msg, p) {
					t.Fatalf("%s: error shows the passphrase: %q", e.File, msg)
				}
				for _, s := range secrets {
					if strings.Contains(msg, s) {
						t.Fatalf("%s: error quotes private material %q: %q", e.File, s, msg)
					}
				}
			}
		}
	}
	if errorsSeen < 100 {
		t.Fatalf("only %d errors produced; the damage did not exercise the error paths", errorsSeen)
	}
}

// secretPieces: every 12-byte run of the private key's body (base64 lines
// of PEM bodies and of PuTTY's Private-Lines), the smallest thing worth hiding.
func secretPieces(data []byte) []string {
	var body []string
	if bytes.HasPrefix(data, []byte("PuTTY")) {
		_, priv, _ := strings.Cut(string(data), "Private-Lines:")
		lines := strings.Split(priv, "\n")
		body = lines[1 : len(lines)-2]
	} else if block, _ := pem.Decode(data); block != nil {
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for _, l := range lines[1 : len(lines)-1] {
			if !strings.Contains(l, ":") {
				body = append(body, strings.TrimSpace(l))
			}
		}
	}
	var pieces []string
	for _, l := range body {
		for i := 0; i+12 <= len(l); i += 6 {
			pieces = append(pieces, l[i:i+12])
		}
	}
	return pieces
}

// damaged returns truncations, single-byte corruptions and armour damage.
func damaged(data []byte) [][]byte {
	var out [][]byte
	for _, frac := range []int{2, 3, 4, 5, 7, 9, 10} {
		out = append(out, data[:len(data)*frac/11])
	}
	for i := 40; i < len(data); i += len(data) / 13 {
		c := bytes.Clone(data)
		c[i] ^= 0x01
		out = append(out, c)
		d := bytes.Clone(data)
		d[i] = '!'
		out = append(out, d)
	}
	lines := bytes.Split(data, []byte("\n"))
	for i := 1; i < len(lines)-2; i += 2 {
		out = append(out, bytes.Join(append(append([][]byte{}, lines[:i]...), lines[i+1:]...), []byte("\n")))
	}
	// The body alone, without armour, as if pasted as a "public key".
	if len(lines) > 3 {
		out = append(out, bytes.Join(lines[1:len(lines)-2], []byte("\n")), lines[2])
	}
	return out
}
