package sshkey

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, fails only with *ParseError, and every key
// it returns round-trips through its canonical line. (Secrets in errors are
// checked by TestNoSecretsInErrors: here a fuzzed passphrase may well be a
// word of a fixed message.)
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"keys", "bad"} {
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			f.Add(readFixture(f, dir+"/"+e.Name()), "correct horse")
		}
	}
	f.Add([]byte("no-pty,command=\"a,b\" ssh-ed25519 AAAA"), "")
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		k, err := Parse(data, Options{Passphrase: []byte(pass)})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError: %v", err, err)
			}
			return
		}
		line := k.Line()
		if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
			t.Fatalf("canonical line is not one line of UTF-8: %q", line)
		}
		back, err := Parse([]byte(line), Options{})
		if err != nil {
			t.Fatalf("canonical line %q does not parse: %v", line, err)
		}
		if !back.Equal(k) || back.Line() != line || back.Comment() != k.Comment() {
			t.Fatalf("round trip changed the key: %q -> %q", line, back.Line())
		}
		if k.Algorithm() == "" || k.Bits() <= 0 {
			t.Fatalf("key %q has algorithm %q bits %d", line, k.Algorithm(), k.Bits())
		}
		_ = ValidateForUpload(k)
	})
}
