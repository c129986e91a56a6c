package authorizedkeys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testKey returns a deterministic ed25519 public key and its one-line form.
func testKey(t testing.TB, seed byte) (ssh.PublicKey, string) {
	t.Helper()
	s := bytes.Repeat([]byte{seed}, ed25519.SeedSize)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(s).Public())
	if err != nil {
		t.Fatal(err)
	}
	return pub, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

func ecdsaKey(t testing.TB) (ssh.PublicKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

// realWorld is an authorized_keys file with everything people really have in
// theirs; keys a..d are referenced by the tests.
func realWorld(t *testing.T) (data string, a, b, c, d ssh.PublicKey) {
	a, aLine := testKey(t, 1)
	b, bLine := testKey(t, 2)
	c, cLine := ecdsaKey(t)
	d, dLine := testKey(t, 4)
	data = "# managed by cloud-init\n" +
		"\n" +
		aLine + " alice@laptop\n" +
		`from="10.0.0.1,192.168.1.0/24",command="echo \"hi, there\"",no-pty ` + bLine + " deploy key, with commas\n" +
		"   \t\n" +
		"cert-authority,principals=\"ops,dev\" " + cLine + " CA\n" +
		"this is not a key at all\n" +
		"ssh-ed25519 !!!notbase64!!! broken\n" +
		"\t" + dLine + "\n" +
		aLine + " alice@desktop (duplicate of the first key)\n" +
		"# trailing comment"
	return data, a, b, c, d
}

func TestRoundTripIsByteIdentical(t *testing.T) {
	data, _, _, _, _ := realWorld(t)
	_, k := testKey(t, 9)
	cases := map[string]string{
		"empty":               "",
		"only newline":        "\n",
		"real world":          data,
		"real world LF end":   data + "\n",
		"CRLF":                strings.ReplaceAll(data, "\n", "\r\n") + "\r\n",
		"mixed endings":       "# a\r\n" + k + "\n\r\n\n",
		"lone CR is not EOL":  "# a\rb\n",
		"no trailing newline": k,
		"NUL and UTF-8":       "# caf\u00e9 \x00\n" + k,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Parse([]byte(in)).Bytes(); string(got) != in {
				t.Fatalf("round trip changed the file:\n got %q\nwant %q", got, in)
			}
		})
	}
}

func TestContainsMatchesByBlobOnly(t *testing.T) {
	data, a, b, c, d := realWorld(t)
	f := Parse([]byte(data))
	for name, k := range map[string]ssh.PublicKey{"plain": a, "options with quoted commas": b, "cert-authority": c, "leading tab": d} {
		if !f.Contains(k) {
			t.Errorf("%s: key not found", name)
		}
	}
	other, _ := testKey(t, 7)
	if f.Contains(other) {
		t.Error("found a key that is not in the file")
	}
	if n := f.Count(a); n != 2 {
		t.Errorf("Count(a) = %d, want 2", n)
	}
}

func TestCommentedOutKeyDoesNotCount(t *testing.T) {
	k, line := testKey(t, 3)
	f := Parse([]byte("# " + line + "\n#" + line + "\n"))
	if f.Contains(k) {
		t.Fatal("a commented-out key counts as present")
	}
}

func TestAddAppendsOnceAndKeepsEverythingElse(t *testing.T) {
	data, a, _, _, _ := realWorld(t)
	data += "\n"
	f := Parse([]byte(data))
	if f.Add("ssh-ed25519 AAAA whatever", a) {
		t.Fatal("Add changed the file although the key is present")
	}
	if got := string(f.Bytes()); got != data {
		t.Fatalf("no-op Add changed bytes:\n%q", got)
	}
	n, nLine := testKey(t, 5)
	if !f.Add(nLine+" new", n) {
		t.Fatal("Add reported no change for a new key")
	}
	want := data + nLine + " new\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if !f.Contains(n) {
		t.Fatal("added key not found")
	}
	if f.Add(nLine, n) {
		t.Fatal("second Add of the same key changed the file")
	}
}

func TestAddUsesTheFilesLineEndings(t *testing.T) {
	n, nLine := testKey(t, 5)
	_, aLine := testKey(t, 1)
	cases := []struct{ name, in, want string }{
		{"empty file", "", nLine + "\n"},
		{"LF", "# x\n", "# x\n" + nLine + "\n"},
		{"CRLF", "# x\r\n" + aLine + "\r\n", "# x\r\n" + aLine + "\r\n" + nLine + "\r\n"},
		{"no trailing newline", "# x\n" + aLine, "# x\n" + aLine + "\n" + nLine},
		{"CRLF no trailing newline", "# x\r\n" + aLine, "# x\r\n" + aLine + "\r\n" + nLine},
		{"single line no newline", aLine, aLine + "\n" + nLine},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Parse([]byte(tc.in))
			if !f.Add(nLine, n) {
				t.Fatal("not added")
			}
			if got := string(f.Bytes()); got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
			if !Parse(f.Bytes()).Contains(n) {
				t.Fatal("added key is not readable after a re-parse")
			}
		})
	}
}

func TestAddRefusesMultiLineText(t *testing.T) {
	n, nLine := testKey(t, 5)
	f := Parse(nil)
	if f.Add(nLine+"\nssh-ed25519 AAAAinjected", n) || len(f.Bytes()) != 0 {
		t.Fatal("multi-line text was added")
	}
}

func TestRemoveDropsExactlyThatKey(t *testing.T) {
	data, a, b, c, d := realWorld(t)
	f := Parse([]byte(data))
	if n := f.Remove(a); n != 2 {
		t.Fatalf("removed %d lines, want 2 (duplicates)", n)
	}
	var want []string
	for _, l := range strings.SplitAfter(data, "\n") {
		if !strings.Contains(l, "alice@") {
			want = append(want, l)
		}
	}
	if got := string(f.Bytes()); got != strings.Join(want, "") {
		t.Fatalf("got\n%q\nwant\n%q", got, strings.Join(want, ""))
	}
	if f.Contains(a) || !f.Contains(b) || !f.Contains(c) || !f.Contains(d) {
		t.Fatal("wrong keys left")
	}
	if n := f.Remove(a); n != 0 {
		t.Fatalf("second Remove removed %d", n)
	}
}

func TestRemoveOptionedAndCRLFLines(t *testing.T) {
	data, _, b, c, _ := realWorld(t)
	crlf := strings.ReplaceAll(data, "\n", "\r\n")
	f := Parse([]byte(crlf))
	if f.Remove(b) != 1 || f.Remove(c) != 1 {
		t.Fatal("options / cert-authority line not removed")
	}
	got := string(f.Bytes())
	if strings.Contains(got, "deploy key") || strings.Contains(got, "cert-authority") {
		t.Fatalf("line still there: %q", got)
	}
	if strings.Count(got, "\r\n") != strings.Count(crlf, "\r\n")-2 || strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") {
		t.Fatalf("line endings changed: %q", got)
	}
}

func TestAddThenRemoveRestoresOriginalBytes(t *testing.T) {
	data, _, _, _, _ := realWorld(t)
	n, nLine := testKey(t, 6)
	for _, in := range []string{"", "\n", data, data + "\n", strings.ReplaceAll(data, "\n", "\r\n"), "# only"} {
		f := Parse([]byte(in))
		if !f.Add(`no-pty,command="a, b" `+nLine+" c", n) {
			t.Fatalf("%q: not added", in)
		}
		if f.Remove(n) != 1 {
			t.Fatalf("%q: not removed", in)
		}
		if got := string(f.Bytes()); got != in {
			t.Fatalf("add+remove changed the file:\n got %q\nwant %q", got, in)
		}
	}
}

func TestRemoveLastLineWithoutNewline(t *testing.T) {
	n, nLine := testKey(t, 5)
	f := Parse([]byte("# a\n" + nLine))
	if f.Remove(n) != 1 {
		t.Fatal("not removed")
	}
	if got := string(f.Bytes()); got != "# a" {
		t.Fatalf("got %q", got)
	}
}

func TestCheckLine(t *testing.T) {
	n, nLine := testKey(t, 5)
	_, oLine := testKey(t, 6)
	good := []string{nLine, nLine + " comment", `from="1.2.3.4" ` + nLine, "  " + nLine}
	for _, l := range good {
		if err := CheckLine(l, n); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
	bad := map[string]string{
		nLine + "\n" + oLine: "line break",
		"# " + nLine:         "no public key",
		oLine:                "different key",
		"":                   "no public key",
	}
	for l, want := range bad {
		err := CheckLine(l, n)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want error containing %q", l, err, want)
		}
	}
}

func TestTypeMustMatchBlob(t *testing.T) {
	n, nLine := testKey(t, 5)
	// Same blob under a wrong type name is not a key (sshd rejects it too).
	forged := "ssh-rsa " + strings.Fields(nLine)[1]
	if Parse([]byte(forged + "\n")).Contains(n) {
		t.Fatal("line with a type that does not match its blob counted as the key")
	}
}

// thousandLines is a 1,000-line file of distinct keys with some comments.
func thousandLines() []byte {
	var buf bytes.Buffer
	for i := range 1000 {
		if i%10 == 0 {
			fmt.Fprintf(&buf, "# group %d\n", i/10)
			continue
		}
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		pub, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
		buf.Write(ssh.MarshalAuthorizedKey(pub))
	}
	return buf.Bytes()
}

func BenchmarkAdd(b *testing.B) {
	data := thousandLines()
	n, nLine := testKey(b, 0xEE)
	for b.Loop() {
		f := Parse(data)
		if !f.Add(nLine, n) {
			b.Fatal("not added")
		}
		_ = f.Bytes()
	}
}

func BenchmarkRemove(b *testing.B) {
	data := thousandLines()
	const i = 501 // a key line, not a comment line
	seed := make([]byte, ed25519.SeedSize)
	seed[0], seed[1] = i&0xff, i>>8
	k, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	for b.Loop() {
		f := Parse(data)
		if f.Remove(k) != 1 {
			b.Fatal("not removed")
		}
		_ = f.Bytes()
	}
}

func TestBareCRAndMixedEndingsRoundTripThroughAddAndRemove(t *testing.T) {
	a, aLine := testKey(t, 21)
	b, bLine := testKey(t, 22)
	for _, original := range []string{
		aLine + " one\r" + "# two\r",            // classic Mac endings
		aLine + " one\r\n# two\n" + "# three\r", // mixed, bare CR last
		aLine + " one\r",                        // one line, bare CR
		"# only\r\n" + aLine,                    // no ending on the last line
	} {
		f := Parse([]byte(original))
		if got := string(f.Bytes()); got != original {
			t.Fatalf("round trip of %q gave %q", original, got)
		}
		if !f.Contains(a) {
			t.Fatalf("%q: key a not found", original)
		}
		if !f.Add(bLine+" added", b) {
			t.Fatalf("%q: Add did nothing", original)
		}
		if !Parse(f.Bytes()).Contains(b) {
			t.Fatalf("%q: added key not found in %q", original, f.Bytes())
		}
		if !f.RemoveAt(f.FindOwn(bLine+" added", b, nil, "").Index) {
			t.Fatalf("%q: RemoveAt did nothing", original)
		}
		if got := string(f.Bytes()); got != original {
			t.Fatalf("add+remove of %q gave %q", original, got)
		}
	}
}

func TestReplaceKeepsPositionAndEnding(t *testing.T) {
	a, aLine := testKey(t, 31)
	_, bLine := testKey(t, 32)
	original := "# head\r\n" + aLine + " me\r\n" + bLine + "\r\n"
	f := Parse([]byte(original))
	if !f.ReplaceAt(f.FindOwn(aLine+" me", a, nil, "").Index, `no-pty `+aLine+" me", a) {
		t.Fatal("ReplaceAt did nothing")
	}
	want := "# head\r\n" + `no-pty ` + aLine + " me\r\n" + bLine + "\r\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("after Replace:\n%q\nwant\n%q", got, want)
	}
	if line, ok := f.Line(a); !ok || line != `no-pty `+aLine+" me" {
		t.Fatalf("Line = %q, %v", line, ok)
	}
	if f.ReplaceAt(f.FindOwn(`no-pty `+aLine+" me", a, nil, "").Index, `no-pty `+aLine+" me", a) {
		t.Fatal("ReplaceAt with the same text reported a change")
	}
}
