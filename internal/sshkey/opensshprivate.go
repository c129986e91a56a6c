package sshkey

import (
	"bytes"
	"crypto"
	"encoding/binary"

	"golang.org/x/crypto/ssh"
)

const opensshMagic = "openssh-key-v1\x00"

// parseOpenSSHPrivate reads an "OPENSSH PRIVATE KEY" body (PROTOCOL.key).
// The public key is stored in clear in the outer structure, so encrypted
// keys need no passphrase. For unencrypted keys we also read the comment
// from the private section and, where x/crypto can, check that the private
// half matches the public one. pemText is the armoured input, for x/crypto.
func parseOpenSSHPrivate(body, pemText []byte) (*Key, error) {
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
		return nil, parseErr(f, 0, "the key structure is truncated or malformed")
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
		c, ok := privateSectionComment(w.PrivKeyBlock, pub.Type())
		if !ok {
			return nil, parseErr(f, 0, "the private section is malformed")
		}
		if !privateMatchesPublic(pemText, pub) {
			return nil, parseErr(f, 0, "the private and public halves do not match")
		}
		comment = c
	}
	key, perr := newKey(pub, f, comment, nil, true)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

// privateMatchesPublic re-derives the public key with x/crypto for the
// types it supports. DSA and security-key types it cannot read are trusted
// to the outer public key, as ssh-keygen -y would show.
func privateMatchesPublic(pemText []byte, pub ssh.PublicKey) bool {
	switch pub.Type() {
	case ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	default:
		return true
	}
	priv, err := ssh.ParseRawPrivateKey(pemText)
	if err != nil {
		return false
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return false
	}
	derived, err := ssh.NewPublicKey(signer.Public())
	if err != nil {
		return false
	}
	return bytes.Equal(derived.Marshal(), pub.Marshal())
}

// privateSectionComment walks the unencrypted private section to the
// comment: checkints, key type, the type's fields, then the comment.
func privateSectionComment(block []byte, typ string) (string, bool) {
	r := wireReader{b: block}
	c1, c2 := r.uint32(), r.uint32()
	if r.failed || c1 != c2 || r.string() != typ {
		return "", false
	}
	layout := privateLayouts[typ]
	if layout == "" {
		return "", false
	}
	for _, field := range layout {
		if field == 'b' {
			r.byte()
		} else {
			r.skip()
		}
	}
	comment := r.string()
	return comment, !r.failed
}

// privateLayouts are the fields before the comment in the private section,
// per PROTOCOL.key and sshkey.c: 's' is a string or mpint, 'b' one byte
// (security-key flags).
var privateLayouts = map[string]string{
	ssh.KeyAlgoRSA:        "ssssss", // n e d iqmp p q
	keyTypeDSA:            "sssss",  // p q g y x
	ssh.KeyAlgoECDSA256:   "sss",    // curve Q d
	ssh.KeyAlgoECDSA384:   "sss",
	ssh.KeyAlgoECDSA521:   "sss",
	ssh.KeyAlgoED25519:    "ss",     // pub priv
	ssh.KeyAlgoSKECDSA256: "sssbss", // curve Q application flags handle reserved
	ssh.KeyAlgoSKED25519:  "ssbss",  // pub application flags handle reserved
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
