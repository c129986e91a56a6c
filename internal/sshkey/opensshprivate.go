package sshkey

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/crypto/ssh"
)

const opensshMagic = "openssh-key-v1\x00"

// parseOpenSSHPrivate reads an "OPENSSH PRIVATE KEY" body (PROTOCOL.key).
// The public key is stored in clear in the outer structure, so encrypted
// keys need no passphrase. For unencrypted keys we also read the comment
// from the private section and check that the public fields it repeats
// are the outer public key.
func parseOpenSSHPrivate(body []byte) (*Key, error) {
	const f = FormatOpenSSHPrivate
	rest, ok := bytes.CutPrefix(body, []byte(opensshMagic))
	if !ok {
		return nil, parseErr(f, 0, "the body is not an openssh-key-v1 structure")
	}
	var w struct {
		CipherName   string
		KdfName      string
		KdfOpts      string
		NumKeys      uint32
		PubKey       []byte
		PrivKeyBlock []byte
		Rest         []byte `ssh:"rest"`
	}
	if err := ssh.Unmarshal(rest, &w); err != nil {
		return nil, parseErr(f, 0, "the openssh-key-v1 structure is truncated: its fields run past the end of the data")
	}
	if w.NumKeys != 1 {
		return nil, parseErr(f, 0, "the file must hold exactly one key")
	}
	pub, reason := parseBlob(w.PubKey)
	if reason != "" {
		return nil, parseErr(f, 0, "embedded public key: "+reason)
	}
	var comment string
	if w.CipherName == "none" && w.KdfName == "none" {
		s, reason := readPrivateSection(w.PrivKeyBlock, pub.Type())
		if reason != "" {
			return nil, parseErr(f, 0, "the private section is malformed: "+reason)
		}
		if !bytes.Equal(s.publicBlob, w.PubKey) {
			return nil, parseErr(f, 0, "the private and public halves do not match")
		}
		comment = s.comment
	}
	key, perr := newKey(pub, f, comment, nil, true)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

// privateSection is what is read from an unencrypted private section: the
// public key it repeats (in wire form) and the comment. The private fields
// are skipped, never copied.
type privateSection struct {
	publicBlob []byte
	comment    string
}

// readPrivateSection walks the unencrypted private section: checkints, key
// type, the type's fields, then the comment. Checking the public fields it
// repeats against the outer key is what ssh-keygen -y relies on, and costs
// nothing, where deriving the public key from a 16384-bit RSA private key
// takes a second. The reason it gives on failure quotes nothing from the
// section.
func readPrivateSection(block []byte, typ string) (privateSection, string) {
	r := wireReader{b: block}
	c1, c2 := r.uint32(), r.uint32()
	switch {
	case r.failed:
		return privateSection{}, "it is truncated"
	case c1 != c2:
		return privateSection{}, "its two check numbers differ (the file is damaged)"
	case r.string() != typ:
		return privateSection{}, "it holds another key type than the public key"
	}
	layout := privateLayouts[typ]
	if layout.fields == "" {
		return privateSection{}, "no private key layout is known for " + typ
	}
	var public [][]byte
	for i, field := range layout.fields {
		switch {
		case field == 'b':
			r.byte()
		case i < layout.public:
			public = append(public, r.bytes())
		default:
			r.skip()
		}
	}
	comment := r.string()
	if r.failed {
		return privateSection{}, "it is truncated"
	}
	if typ == ssh.KeyAlgoRSA { // n e in the private section, e n in the public key
		public[0], public[1] = public[1], public[0]
	}
	blob := ssh.Marshal(struct{ S string }{typ})
	for _, p := range public {
		blob = append(blob, ssh.Marshal(struct{ B []byte }{p})...)
	}
	return privateSection{publicBlob: blob, comment: comment}, ""
}

// privateLayouts are the fields before the comment in the private section,
// per PROTOCOL.key and sshkey.c: 's' is a string or mpint, 'b' one byte
// (security-key flags). The first public fields repeat the public key.
var privateLayouts = map[string]struct {
	fields string
	public int
}{
	ssh.KeyAlgoRSA:        {"ssssss", 2}, // n e | d iqmp p q
	keyTypeDSA:            {"sssss", 4},  // p q g y | x
	ssh.KeyAlgoECDSA256:   {"sss", 2},    // curve Q | d
	ssh.KeyAlgoECDSA384:   {"sss", 2},
	ssh.KeyAlgoECDSA521:   {"sss", 2},
	ssh.KeyAlgoED25519:    {"ss", 1},     // pub | priv
	ssh.KeyAlgoSKECDSA256: {"sssbss", 3}, // curve Q application | flags handle reserved
	ssh.KeyAlgoSKED25519:  {"ssbss", 2},  // pub application | flags handle reserved
}

// wireReader reads SSH wire types, remembering the first failure.
type wireReader struct {
	b      []byte
	failed bool
}

func (r *wireReader) uint32() uint32 {
	if r.failed || len(r.b) < 4 {
		r.failed = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *wireReader) byte() byte {
	if r.failed || len(r.b) < 1 {
		r.failed = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// skip passes over a string without copying it (it may be secret).
func (r *wireReader) skip() {
	n := r.uint32()
	if r.failed || uint64(n) > uint64(len(r.b)) {
		r.failed = true
		return
	}
	r.b = r.b[n:]
}

func (r *wireReader) string() string {
	n := r.uint32()
	if r.failed || uint64(n) > uint64(len(r.b)) {
		r.failed = true
		return ""
	}
	v := string(r.b[:n])
	r.b = r.b[n:]
	return v
}

// bytes reads a string without copying it.
func (r *wireReader) bytes() []byte {
	n := r.uint32()
	if r.failed || uint64(n) > uint64(len(r.b)) {
		r.failed = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}
