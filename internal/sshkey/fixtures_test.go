package sshkey

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// expectation is one entry of testdata/expectations.json, written by
// scripts/gen-sshkey-fixtures.sh from what ssh-keygen and puttygen say.
type expectation struct {
	File        string   `json:"file"`
	Passphrase  string   `json:"passphrase"`
	Error       string   `json:"error"` // set for inputs that must fail
	Format      Format   `json:"format"`
	Type        string   `json:"type"`
	Algorithm   string   `json:"algorithm"`
	Bits        int      `json:"bits"`
	Comment     string   `json:"comment"`
	Line        string   `json:"line"`
	Blob        string   `json:"blob"`
	MD5         string   `json:"md5"`
	SHA256      string   `json:"sha256"`
	FromPrivate bool     `json:"from_private"`
	Options     []string `json:"options"`
}

func loadExpectations(t testing.TB) []expectation {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "expectations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []expectation
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if len(all) < 40 {
		t.Fatalf("only %d expectations; the fixture set looks incomplete", len(all))
	}
	return all
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFixtures(t *testing.T) {
	formatsSeen := map[Format]bool{}
	for _, want := range loadExpectations(t) {
		if want.Error != "" {
			continue
		}
		t.Run(want.File, func(t *testing.T) {
			k, err := Parse(readFixture(t, want.File), Options{Passphrase: []byte(want.Passphrase)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			formatsSeen[k.Format()] = true
			blob, _ := base64.StdEncoding.DecodeString(want.Blob)
			checks := []struct {
				name      string
				got, want any
			}{
				{"Line", k.Line(), want.Line},
				{"LineWithoutComment", k.LineWithoutComment(), want.Type + " " + want.Blob},
				{"Blob", base64.StdEncoding.EncodeToString(k.Blob()), base64.StdEncoding.EncodeToString(blob)},
				{"PublicKey.Marshal", base64.StdEncoding.EncodeToString(k.PublicKey().Marshal()), want.Blob},
				{"Type", k.Type(), want.Type},
				{"Algorithm", k.Algorithm(), want.Algorithm},
				{"Bits", k.Bits(), want.Bits},
				{"Comment", k.Comment(), want.Comment},
				{"Format", k.Format(), want.Format},
				{"FromPrivate", k.FromPrivate(), want.FromPrivate},
				{"FingerprintMD5", k.FingerprintMD5(), want.MD5},
				{"FingerprintSHA256", k.FingerprintSHA256(), want.SHA256},
				{"Options", strings.Join(k.Options(), "|"), strings.Join(want.Options, "|")},
				{"Options nil", k.Options() == nil, want.Options == nil},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
	for _, f := range []Format{FormatOpenSSH, FormatAuthorizedKeys, FormatRFC4716, FormatPuTTYv2, FormatPuTTYv3,
		FormatOpenSSHPrivate, FormatPEMPKCS1, FormatPEMSEC1, FormatPEMPKCS8, FormatPEMPKIX, FormatPEMPKCS1Public} {
		if !formatsSeen[f] {
			t.Errorf("no fixture exercised format %s", f)
		}
	}
}

func TestBadFixtures(t *testing.T) {
	n := 0
	for _, want := range loadExpectations(t) {
		if want.Error == "" {
			continue
		}
		n++
		t.Run(want.File+"/"+want.Passphrase, func(t *testing.T) {
			k, err := Parse(readFixture(t, want.File), Options{Passphrase: []byte(want.Passphrase)})
			if err == nil {
				t.Fatalf("Parse succeeded (%s), want error containing %q", k.Line(), want.Error)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError", err)
			}
			if !strings.Contains(err.Error(), want.Error) {
				t.Errorf("error %q does not contain %q", err, want.Error)
			}
			if want.Passphrase != "" && strings.Contains(err.Error(), want.Passphrase) {
				t.Errorf("error %q shows the passphrase", err)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d bad inputs in the expectations", n)
	}
}

// TestFixturesAgreeAcrossFormats: every rendering of the same key (the .pub,
// the private key, .ppk, RFC 4716, PEM) must be Equal to the .pub.
func TestFixturesAgreeAcrossFormats(t *testing.T) {
	byBlob := map[string][]expectation{}
	for _, e := range loadExpectations(t) {
		if e.Error == "" {
			byBlob[e.Blob] = append(byBlob[e.Blob], e)
		}
	}
	groups := 0
	for _, group := range byBlob {
		if len(group) < 2 {
			continue
		}
		groups++
		var first *Key
		for _, e := range group {
			k, err := Parse(readFixture(t, e.File), Options{Passphrase: []byte(e.Passphrase)})
			if err != nil {
				t.Fatalf("%s: %v", e.File, err)
			}
			if first == nil {
				first = k
				continue
			}
			if !first.Equal(k) || !k.Equal(first) {
				t.Errorf("%s is not Equal to %s", e.File, group[0].File)
			}
			if !Equivalent(first.Line(), string(readFixture(t, e.File))) && e.Passphrase == "" {
				t.Errorf("Equivalent(%s, %s) = false", group[0].File, e.File)
			}
		}
	}
	if groups < 5 {
		t.Fatalf("only %d keys appear in more than one format", groups)
	}
}

func TestFixtureKeysDiffer(t *testing.T) {
	var keys []*Key
	var names []string
	for _, e := range loadExpectations(t) {
		if e.Error != "" || !strings.HasSuffix(e.File, ".pub") || strings.Contains(e.File, "messy") ||
			strings.Contains(e.File, "putty-openssh") {
			continue
		}
		k, err := Parse(readFixture(t, e.File), Options{})
		if err != nil {
			t.Fatal(err)
		}
		keys, names = append(keys, k), append(names, e.File)
	}
	for i := range keys {
		for j := range keys {
			if i != j && keys[i].Equal(keys[j]) {
				t.Errorf("%s and %s compare Equal", names[i], names[j])
			}
		}
	}
	if !slices.Contains(names, "keys/ed25519.pub") {
		t.Fatal("fixture list is missing keys/ed25519.pub")
	}
}
