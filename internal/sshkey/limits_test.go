package sshkey

import (
	"bytes"
	"strings"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// hostileInputs are the inputs of the issue that cost gigabytes before the
// bounds: 50 MB of log, a 50 MB comment, a line with a million options.
func hostileInputs(t testing.TB) map[string][]byte {
	line := ed25519Line(t)
	return map[string][]byte{
		"50 MB of text":     bytes.Repeat([]byte("2026-01-01 request served in 12ms\n"), 50<<20/34),
		"50 MB comment":     append([]byte(line+" "), bytes.Repeat([]byte("c"), 50<<20)...),
		"a million options": append(bytes.Repeat([]byte(`no-pty,`), 1_000_000), []byte("no-pty "+line)...),
	}
}

// TestHostileInputIsRefusedBeforeParsing: an input over MaxInputSize is
// refused with its size and the limit, having allocated next to nothing,
// so the memory a refusal costs does not grow with the input.
// BenchmarkRefuseHostileInput measures the time.
func TestHostileInputIsRefusedBeforeParsing(t *testing.T) {
	for name, in := range hostileInputs(t) {
		t.Run(name, func(t *testing.T) {
			var err error
			allocated := testutil.AllocatedBy(func() { _, err = Parse(in, Options{}) })
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			want := "the input is " + byteSize(int64(len(in))) +
				"; the limit for an SSH key is 65536 bytes (64.0 KiB), several times the largest real key file " +
				"(a 16384-bit RSA private key): is this the right file?"
			if err.Error() != want {
				t.Errorf("error\n%q\nwant\n%q", err, want)
			}
			if allocated > 4<<10 {
				t.Errorf("refusing %d bytes allocated %d bytes; want it independent of the input (< 4 KiB)", len(in), allocated)
			}
		})
	}
}

func TestCheckSizeMessages(t *testing.T) {
	cases := map[int64]string{
		MaxInputSize + 1: "the input is 65537 bytes (64.0 KiB); the limit for an SSH key is 65536 bytes (64.0 KiB)",
		50 << 20:         "the input is 52428800 bytes (50.0 MiB); the limit for an SSH key is 65536 bytes (64.0 KiB)",
	}
	for n, want := range cases {
		if err := CheckSize(n); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSize(%d) = %v, want %q", n, err, want)
		}
	}
	if err := CheckSize(MaxInputSize); err != nil {
		t.Errorf("CheckSize(MaxInputSize) = %v", err)
	}
}

// TestBoundsAreInclusive: inputs exactly at each bound still parse, one
// byte over is refused with the bound named.
func TestBoundsAreInclusive(t *testing.T) {
	line := ed25519Line(t)
	keyOnly := strings.Join(strings.Fields(line)[:2], " ")
	padTo := func(s string, n int) []byte { return append([]byte(s), bytes.Repeat([]byte("\n"), n-len(s))...) }
	// from="10.0.0.0/8,..." options of exactly n bytes, counting the blank after them.
	options := func(n int) string {
		const head, tail = `from="`, `" `
		return head + strings.Repeat("1", n-len(head)-len(tail)) + tail
	}
	cases := []struct {
		name   string
		ok     []byte
		over   []byte
		reason string
	}{
		{"input", padTo(line, MaxInputSize), padTo(line, MaxInputSize+1), "the input is 65537 bytes (64.0 KiB); the limit for an SSH key is 65536 bytes (64.0 KiB)"},
		{"comment", []byte(keyOnly + " " + strings.Repeat("c", MaxCommentLength)), []byte(keyOnly + " " + strings.Repeat("c", MaxCommentLength+1)),
			"OpenSSH public key: the comment is 1025 bytes (1.0 KiB); the limit is 1024 bytes (1.0 KiB): shorten it at line 1"},
		{"options", []byte(options(MaxOptionsLength) + line), []byte(options(MaxOptionsLength+1) + line),
			"authorized_keys line: the options before the key are 8193 bytes (8.0 KiB); the limit is 8192 bytes (8.0 KiB) at line 1"},
		{"RFC 4716 comment", []byte(rfc4716Block("Comment: \""+strings.Repeat("c", MaxCommentLength)+"\"\n", strings.Fields(line)[1])),
			[]byte(rfc4716Block("Comment: \""+strings.Repeat("c", MaxCommentLength-1)+"\\\n"+"cc\"\n", strings.Fields(line)[1])),
			"RFC 4716 public key: the comment is 1025 bytes (1.0 KiB); the limit is 1024 bytes (1.0 KiB)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.ok, Options{}); err != nil {
				t.Errorf("at the bound: %v", err)
			}
			_, err := Parse(c.over, Options{})
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("one over the bound: %v, want %q", err, c.reason)
			}
		})
	}
}

func rfc4716Block(headers, body string) string {
	return "---- BEGIN SSH2 PUBLIC KEY ----\n" + headers + body + "\n---- END SSH2 PUBLIC KEY ----\n"
}

// TestLargestRealKeysFitTheBounds: the fixtures of the largest key
// ssh-keygen makes, in every file format, parse, with MaxInputSize at
// least four times their size: the margin the bound promises.
func TestLargestRealKeysFitTheBounds(t *testing.T) {
	n := 0
	for _, e := range loadExpectations(t) {
		if e.Error != "" || !strings.HasPrefix(e.File, "keys/rsa16384") {
			continue
		}
		n++
		data := readFixture(t, e.File)
		if len(data)*4 > MaxInputSize {
			t.Errorf("%s is %d bytes: MaxInputSize (%d) is less than four times that", e.File, len(data), MaxInputSize)
		}
		k, err := Parse(data, Options{})
		if err != nil || k.Bits() != MaxRSABits {
			t.Errorf("%s: %v", e.File, err)
		}
	}
	if n < 3 {
		t.Fatalf("only %d rsa16384 fixtures; want the private key, .pub, .ppk and PEM", n)
	}
}

// TestMessagesEchoOnlyAShortPrefix: whatever position a long run of the
// user's text takes, no message repeats more than a few bytes of it.
func TestMessagesEchoOnlyAShortPrefix(t *testing.T) {
	line := ed25519Line(t)
	fields := strings.Fields(line)
	marker := strings.Repeat("Zq", 2000)
	inputs := map[string]string{
		"type":           marker + " " + fields[1],
		"blob":           fields[0] + " " + marker,
		"comment":        fields[0] + " " + fields[1] + " " + marker,
		"option":         `command="` + strings.Repeat(marker, 3) + `" ` + line,
		"after the key":  line + "\n" + marker,
		"pem label":      "-----BEGIN " + marker + "-----\nAAAA\n-----END " + marker + "-----\n",
		"rfc4716 header": rfc4716Block(marker+": x\n", fields[1]),
		"ppk type":       "PuTTY-User-Key-File-3: " + marker + "\nPublic-Lines: 1\n" + fields[1] + "\n",
		"fingerprint":    marker,
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(in), Options{})
			if name == "fingerprint" {
				_, err = ParseFingerprint(in)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), marker[:2*maxEchoed]) || len(err.Error()) > 400 {
				t.Errorf("message repeats the input: %.200q... (%d bytes)", err, len(err.Error()))
			}
		})
	}
}

func TestQuotePrefix(t *testing.T) {
	cases := map[string]string{
		"sha1":                        `"sha1"`,
		strings.Repeat("a", 41):       `"` + strings.Repeat("a", 40) + `" (first 40 of 41 bytes)`,
		strings.Repeat("é", 30):       `"` + strings.Repeat("é", 20) + `" (first 40 of 60 bytes)`,
		"a" + strings.Repeat("é", 30): `"a` + strings.Repeat("é", 19) + `" (first 39 of 61 bytes)`,
	}
	for in, want := range cases {
		if got := QuotePrefix(in); got != want {
			t.Errorf("QuotePrefix(%.20q...) = %s, want %s", in, got, want)
		}
	}
}

// BenchmarkRefuseHostileInput: each hostile input is refused in far less
// than a second (the target), and allocates nothing that grows with it.
func BenchmarkRefuseHostileInput(b *testing.B) {
	for name, in := range hostileInputs(b) {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in, Options{}); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkParseAtTheBound is the worst case that is parsed: an input of
// MaxInputSize bytes, an authorized_keys line with MaxOptionsLength of
// options and blank lines up to the bound.
func BenchmarkParseAtTheBound(b *testing.B) {
	line := ed25519Line(b)
	opts := strings.Repeat("no-pty,", MaxOptionsLength/7-1) + "no-pty "
	in := []byte(opts + line)
	in = append(in, bytes.Repeat([]byte("\n"), MaxInputSize-len(in))...)
	if _, err := Parse(in, Options{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
