package sshkey

import (
	"os"
	"strings"
	"testing"
)

func TestParseFingerprintNormalisesWhatPeoplePaste(t *testing.T) {
	data, err := os.ReadFile("testdata/keys/ed25519.pub")
	if err != nil {
		t.Fatal(err)
	}
	key, err := Parse(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md5, sha := key.FingerprintMD5(), key.FingerprintSHA256()
	for _, tc := range []struct {
		in, want string
		sha256   bool
	}{
		{in: md5, want: md5},
		{in: strings.ToUpper(md5), want: md5},
		{in: "MD5:" + md5, want: md5},
		{in: "md5:" + strings.ReplaceAll(md5, ":", ""), want: md5},
		{in: "  " + md5 + "\n", want: md5},
		{in: sha, want: sha, sha256: true},
		{in: sha + "=", want: sha, sha256: true},
		{in: "sha256:" + strings.TrimPrefix(sha, "SHA256:"), want: sha, sha256: true},
	} {
		got, err := ParseFingerprint(tc.in)
		if err != nil {
			t.Errorf("ParseFingerprint(%q): %v", tc.in, err)
			continue
		}
		if got.Value != tc.want || got.SHA256 != tc.sha256 {
			t.Errorf("ParseFingerprint(%q) = %+v, want %q (sha256 %v)", tc.in, got, tc.want, tc.sha256)
		}
		if !got.Matches(key) {
			t.Errorf("ParseFingerprint(%q).Matches(its own key) = false", tc.in)
		}
	}
	other, err := Parse([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIItxmh/ctC/kvglBBErmbZD+hcL+lZPEfaTvsa9yyNWY"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fp, _ := ParseFingerprint(sha); fp.Matches(other) || fp.Matches(nil) {
		t.Error("a fingerprint matches another key or nil")
	}
}

func TestParseFingerprintRejectsWhatIsNotOne(t *testing.T) {
	long := strings.Repeat("A", 200)
	for _, bad := range []string{"", "aa:bb", strings.Repeat("ab:", 16) + "00", "SHA256:", "SHA256:!!!", "SHA256:tooshort",
		"zz" + strings.Repeat(":ab", 15), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", long} {
		got, err := ParseFingerprint(bad)
		if err == nil {
			t.Errorf("ParseFingerprint(%q) = %+v, want an error", bad, got)
			continue
		}
		if strings.Contains(err.Error(), long) {
			t.Errorf("the error quotes a 200-character value: %v", err)
		}
	}
}
