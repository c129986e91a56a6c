package sshkey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// ed25519Line is the ed25519 fixture's public line.
func ed25519Line(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(string(readFixture(t, "keys/ed25519.pub")))
}

func TestMessyInput(t *testing.T) {
	line := ed25519Line(t) // "ssh-ed25519 AAAA... carol on her laptop"
	fields := strings.SplitN(line, " ", 3)
	want, err := Parse([]byte(line), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"trailing newline":     line + "\n",
		"CRLF":                 line + "\r\n",
		"BOM":                  "\xef\xbb\xbf" + line,
		"BOM and CRLF":         "\xef\xbb\xbf" + line + "\r\n\r\n",
		"tabs":                 fields[0] + "\t" + fields[1] + "\t" + fields[2],
		"many spaces":          "   " + fields[0] + "    " + fields[1] + "     " + fields[2] + "   ",
		"leading blank lines":  "\n\n  \n" + line,
		"comment lines":        "# my key\n\n# another note\n" + line + "\n# trailing note\n",
		"CR-only blank lines":  "\r\n\r\n" + line + "\r\n",
		"trailing blank lines": line + "\n\n\t\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			k, err := Parse([]byte(in), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !k.Equal(want) || k.Line() != want.Line() || k.Format() != FormatOpenSSH {
				t.Errorf("got %q (%s), want %q", k.Line(), k.Format(), want.Line())
			}
		})
	}
}

func TestCommentHandling(t *testing.T) {
	typ, b64 := strings.Fields(ed25519Line(t))[0], strings.Fields(ed25519Line(t))[1]
	cases := []struct{ in, comment string }{
		{typ + " " + b64, ""},
		{typ + " " + b64 + "   ", ""},
		{typ + " " + b64 + " a  b\tc ", "a  b\tc"},
		{typ + " " + b64 + " ünïcödé", "ünïcödé"},
		{typ + " " + b64 + " bad\xffutf8", "bad\uFFFDutf8"},
	}
	for _, c := range cases {
		k, err := Parse([]byte(c.in), Options{})
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if k.Comment() != c.comment {
			t.Errorf("%q: comment %q, want %q", c.in, k.Comment(), c.comment)
		}
		wantLine := typ + " " + b64
		if c.comment != "" {
			wantLine += " " + c.comment
		}
		if k.Line() != wantLine {
			t.Errorf("%q: line %q, want %q", c.in, k.Line(), wantLine)
		}
	}
}

func TestAuthorizedKeysOptions(t *testing.T) {
	line := ed25519Line(t)
	cases := []struct {
		prefix string
		want   []string
	}{
		{`no-pty `, []string{"no-pty"}},
		{`restrict,pty `, []string{"restrict", "pty"}},
		{`command="echo a, b; echo \"c d\"",no-agent-forwarding `, []string{`command="echo a, b; echo \"c d\""`, "no-agent-forwarding"}},
		{"environment=\"A=b c\"\t", []string{`environment="A=b c"`}},
	}
	for _, c := range cases {
		k, err := Parse([]byte(c.prefix+line), Options{})
		if err != nil {
			t.Fatalf("%q: %v", c.prefix, err)
		}
		if k.Format() != FormatAuthorizedKeys || strings.Join(k.Options(), "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: format %s options %q, want %q", c.prefix, k.Format(), k.Options(), c.want)
		}
		if k.Line() != line {
			t.Errorf("%q: line %q keeps options; want %q", c.prefix, k.Line(), line)
		}
		// Options() hands out a copy.
		k.Options()[0] = "changed"
		if k.Options()[0] == "changed" {
			t.Error("Options() exposes the key's own slice")
		}
	}
	plain, _ := Parse([]byte(line), Options{})
	if plain.Options() != nil {
		t.Errorf("plain key has options %q", plain.Options())
	}
}

func TestRFC4716Variants(t *testing.T) {
	want, err := Parse([]byte(ed25519Line(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b64 := strings.Fields(ed25519Line(t))[1]
	block := func(headers string, body string) string {
		return "---- BEGIN SSH2 PUBLIC KEY ----\n" + headers + body + "\n---- END SSH2 PUBLIC KEY ----\n"
	}
	cases := []struct{ name, in, comment string }{
		{"no headers", block("", b64), ""},
		{"unquoted comment", block("Comment: just words\n", b64), "just words"},
		{"quoted comment", block("Comment: \"quoted words\"\n", b64), "quoted words"},
		{"lower-case tag", block("comment: \"lc\"\n", b64), "lc"},
		{"continued comment", block("Comment: \"one \\\ntwo \\\nthree\"\n", b64), "one two three"},
		{"continued other header", block("x-note: \"a \\\n: b\"\nComment: c\n", b64), "c"},
		{"wrapped 1 column", block("", strings.Join(strings.Split(b64, ""), "\n")), ""},
		{"CRLF", strings.ReplaceAll(block("Comment: \"w\"\n", b64[:10]+"\n"+b64[10:]), "\n", "\r\n"), "w"},
		{"blank line in body", block("", b64[:8]+"\n\n"+b64[8:]), ""},
		{"no padding", block("", strings.TrimRight(b64, "=")), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := Parse([]byte(c.in), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !k.Equal(want) || k.Comment() != c.comment || k.Format() != FormatRFC4716 {
				t.Errorf("got %q comment %q format %s, want comment %q", k.Line(), k.Comment(), k.Format(), c.comment)
			}
		})
	}
}

// TestParseErrors pins the message, recognised format and line of each error.
func TestParseErrors(t *testing.T) {
	line := ed25519Line(t)
	b64 := strings.Fields(line)[1]
	rsaB64 := strings.Fields(string(readFixture(t, "keys/rsa2048.pub")))[1]
	rfc := func(body string) string {
		return "---- BEGIN SSH2 PUBLIC KEY ----\n" + body
	}
	cases := []struct {
		name   string
		in     string
		format Format
		line   int
		msg    string
	}{
		{"empty", "", "", 0, "not a recognised SSH key: the input is empty"},
		{"blank", " \n\t\r\n", "", 0, "the input is empty"},
		{"only comments", "# nothing here\n", "", 0, "only comment lines"},
		{"garbage", "hello world", "", 0, "not a recognised SSH key: expected an OpenSSH public key line, an RFC 4716 block, a PuTTY .ppk file or a PEM/OpenSSH private key"},
		{"type only", "ssh-ed25519", FormatOpenSSH, 1, "OpenSSH public key: the key type ssh-ed25519 is not followed by base64 key data at line 1"},
		{"bad base64", "\nssh-ed25519 AAAA$$$$", FormatOpenSSH, 2, "OpenSSH public key: base64 blob does not decode at line 2"},
		{"mislabelled", "ssh-rsa " + b64, FormatOpenSSH, 1, "OpenSSH public key: blob says ssh-ed25519 but the line says ssh-rsa at line 1"},
		{"mislabelled rsa", "ssh-ed25519 " + rsaB64, FormatOpenSSH, 1, "blob says ssh-rsa but the line says ssh-ed25519"},
		{"truncated blob", "ssh-ed25519 " + b64[:len(b64)-8], FormatOpenSSH, 1, "key blob is truncated: it ends inside the Ed25519 public key"},
		{"two keys", line + "\n\n" + line, FormatOpenSSH, 3, "OpenSSH public key: more than one key in the input; give one key, the next one starts at line 3"},
		{"junk after key", line + "\nnot a key\n", FormatOpenSSH, 2, "unexpected text after the key at line 2"},
		{"options then garbage", `no-pty,command="x" hello`, "", 0, "not a recognised SSH key"},
		{"options mislabelled", `no-pty ssh-rsa ` + b64, FormatAuthorizedKeys, 1, "authorized_keys line: blob says ssh-ed25519 but the line says ssh-rsa"},
		{"certificate type", "ssh-ed25519-cert-v01@openssh.com AAAA", FormatOpenSSH, 1, "SSH certificate"},
		{"rfc no end", rfc("Comment: x\n" + b64 + "\n"), FormatRFC4716, 3, "RFC 4716 public key: block ends early at line 3"},
		{"rfc end in header", rfc("Comment: \"x \\\n"), FormatRFC4716, 2, "block ends early at line 2"},
		{"rfc empty", rfc("---- END SSH2 PUBLIC KEY ----\n"), FormatRFC4716, 2, "no key data before the END line at line 2"},
		{"rfc bad base64", rfc("AAAA$$\n---- END SSH2 PUBLIC KEY ----\n"), FormatRFC4716, 0, "RFC 4716 public key: base64 data does not decode"},
		{"rfc header after body", rfc(b64 + "\nComment: late\n---- END SSH2 PUBLIC KEY ----\n"), FormatRFC4716, 3, "header line after the key data at line 3"},
		{"rfc bad tag", rfc("bad tag: x\n" + b64 + "\n---- END SSH2 PUBLIC KEY ----\n"), FormatRFC4716, 2, "header line is not `Tag: value` at line 2"},
		{"rfc two blocks", rfc(b64 + "\n---- END SSH2 PUBLIC KEY ----\n" + rfc(b64+"\n---- END SSH2 PUBLIC KEY ----\n")), FormatRFC4716, 4, "more than one key"},
		{"rfc junk after", rfc(b64 + "\n---- END SSH2 PUBLIC KEY ----\nmore\n"), FormatRFC4716, 4, "unexpected text after the END line at line 4"},
		{"rfc stray armour", rfc(b64 + "\n---- BEGIN SSH2 PUBLIC KEY ----\n"), FormatRFC4716, 3, "unexpected armour line"},
		{"ppk v1", "PuTTY-User-Key-File-1: ssh-rsa\n", "", 1, "PuTTY key file version is not supported"},
		{"ppk no public lines", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", FormatPuTTYv3, 2, "no Public-Lines header"},
		{"ppk bad count", "PuTTY-User-Key-File-2: ssh-ed25519\nPublic-Lines: lots\n", FormatPuTTYv2, 2, "Public-Lines is not a sensible line count at line 2"},
		{"ppk bad line", "PuTTY-User-Key-File-2: ssh-ed25519\nnonsense\n", FormatPuTTYv2, 2, "line is not `Name: value` at line 2"},
		{"ppk type mismatch", "PuTTY-User-Key-File-3: ssh-rsa\nPublic-Lines: 1\n" + b64 + "\n", FormatPuTTYv3, 0, "PuTTY .ppk v3 key: blob says ssh-ed25519 but the header says ssh-rsa"},
		{"pem unknown", "-----BEGIN FOO BAR-----\nAAAA\n-----END FOO BAR-----\n", "", 0, `unsupported PEM block "FOO BAR"`},
		{"pem dsa private", "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n", "", 0, "DSA private keys in PEM form are not supported"},
		{"pem no end", "-----BEGIN PUBLIC KEY-----\nAAAA\n", FormatPEMPKIX, 0, "PEM public key: the PEM armour is broken"},
		{"pem bad der", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", FormatPEMPKIX, 0, "does not parse as a public key"},
		{"pem private bad der", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", FormatPEMSEC1, 0, "PEM private key: the DER inside the armour does not parse"},
		{"openssh private not v1", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", FormatOpenSSHPrivate, 0, "not an openssh-key-v1 structure"},
		{"sshcom private", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n", "", 0, "ssh.com private key"},
		{"ssh1 private", "SSH PRIVATE KEY FILE FORMAT 1.1\n", "", 0, "SSH-1 private key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := Parse([]byte(c.in), Options{})
			if err == nil {
				t.Fatalf("Parse succeeded: %s", k.Line())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T (%v) is not *ParseError", err, err)
			}
			if pe.Format != c.format || pe.Line != c.line {
				t.Errorf("format %q line %d, want %q line %d (%v)", pe.Format, pe.Line, c.format, c.line, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not contain %q", err, c.msg)
			}
		})
	}
}

func TestMultiKeyPEM(t *testing.T) {
	pub := readFixture(t, "keys/rsa2048.pkix.pem")
	_, err := Parse(append(append([]byte{}, pub...), pub...), Options{})
	if err == nil || !strings.Contains(err.Error(), "more than one PEM block") {
		t.Fatalf("got %v, want a more-than-one-block error", err)
	}
}

func TestPassphraseHandling(t *testing.T) {
	data := readFixture(t, "keys/ecdsa521-enc.sec1.pem")
	if _, err := Parse(data, Options{Passphrase: []byte("correct horse")}); err != nil {
		t.Fatalf("right passphrase: %v", err)
	}
	for _, pass := range []string{"", "wrong horse", "correct hors", "correct horse "} {
		_, err := Parse(data, Options{Passphrase: []byte(pass)})
		if err == nil {
			t.Fatalf("passphrase %q: no error", pass)
		}
		if pass != "" && strings.Contains(err.Error(), pass) {
			t.Errorf("error %q shows the passphrase", err)
		}
	}
	// A passphrase is ignored where none is needed, including encrypted
	// OpenSSH and PuTTY keys whose public half is in clear.
	for _, f := range []string{"keys/ed25519", "keys/ed25519-enc", "keys/ed25519-enc.v3.ppk", "keys/rsa2048.pkcs1.pem"} {
		if _, err := Parse(readFixture(t, f), Options{Passphrase: []byte("anything")}); err != nil {
			t.Errorf("%s with a passphrase: %v", f, err)
		}
	}
}

// TestOpenSSHPrivateTampered: a private key whose public and private halves
// disagree, or whose private section is damaged, is refused.
func TestOpenSSHPrivateTampered(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	other, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize)).Public())
	block, err := ssh.MarshalPrivateKey(priv, "tampered")
	if err != nil {
		t.Fatal(err)
	}
	good := pemEncode(block.Type, block.Bytes)
	k, err := Parse(good, Options{})
	if err != nil || k.Comment() != "tampered" {
		t.Fatalf("untampered key: %v", err)
	}
	// Swap the outer public key for another one of the same length.
	swapped := bytes.Replace(block.Bytes, k.Blob(), other.Marshal(), 1)
	if _, err := Parse(pemEncode(block.Type, swapped), Options{}); err == nil ||
		!strings.Contains(err.Error(), "private and public halves do not match") {
		t.Errorf("swapped public key: got %v", err)
	}
	// Break the second check integer of the private section. Walking back
	// from the comment: length 4, priv 4+64, pub 4+32, type 4+11, check2 4.
	broken := bytes.Clone(block.Bytes)
	i := bytes.LastIndex(broken, []byte("tampered"))
	broken[i-4-68-36-15-4]++
	if _, err := Parse(pemEncode(block.Type, broken), Options{}); err == nil ||
		!strings.Contains(err.Error(), "OpenSSH private key: the private section is malformed") {
		t.Errorf("damaged private section: got %v", err)
	}
}

func pemEncode(typ string, body []byte) []byte {
	var b strings.Builder
	b.WriteString("-----BEGIN " + typ + "-----\n")
	enc := base64.StdEncoding.EncodeToString(body)
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n-----END " + typ + "-----\n")
	return []byte(b.String())
}

func TestLooksPrivate(t *testing.T) {
	for _, e := range loadExpectations(t) {
		if e.Error != "" {
			continue
		}
		if got := LooksPrivate(readFixture(t, e.File)); got != e.FromPrivate {
			t.Errorf("LooksPrivate(%s) = %v, want %v", e.File, got, e.FromPrivate)
		}
	}
	for _, in := range []string{"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", "SSH PRIVATE KEY FILE FORMAT 1.1", "-----BEGIN ENCRYPTED PRIVATE KEY-----"} {
		if !LooksPrivate([]byte(in)) {
			t.Errorf("LooksPrivate(%q) = false", in)
		}
	}
	if LooksPrivate(nil) {
		t.Error("LooksPrivate(nil) = true")
	}
}
