package sshkey

import (
	"bytes"
	"strconv"
)

// maxPublicLines bounds Public-Lines; a 16384-bit RSA key needs about 50.
const maxPublicLines = 1024

// parsePPK reads the public half of a PuTTY .ppk file (v2 or v3, encrypted
// or not). The public key and comment are stored in clear; the private
// lines are never read, so no passphrase is needed.
func parsePPK(text []byte, firstLine int) (*Key, error) {
	r := newLineReader(text, firstLine)
	first, _ := r.next()
	name, headerType, _ := cutHeader(bytes.TrimSpace(first))
	var f Format
	switch string(name) {
	case "PuTTY-User-Key-File-2":
		f = FormatPuTTYv2
	case "PuTTY-User-Key-File-3":
		f = FormatPuTTYv3
	default:
		return nil, parseErr("", r.lineNo, "this PuTTY key file version is not supported (only .ppk v2 and v3); "+
			"load it in a current PuTTYgen and save it again")
	}
	var comment string
	for {
		line, ok := r.next()
		if !ok {
			return nil, parseErr(f, r.lineNo, "file ends early: no Public-Lines header")
		}
		name, value, ok := cutHeader(bytes.TrimRight(line, " \t"))
		if !ok {
			return nil, parseErr(f, r.lineNo, "line is not `Name: value`")
		}
		switch string(name) {
		case "Comment":
			comment = string(value)
		case "Public-Lines":
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 1 || n > maxPublicLines {
				return nil, parseErr(f, r.lineNo, "Public-Lines is not a sensible line count")
			}
			return readPPKPublic(r, f, n, string(headerType), comment)
		}
	}
}

func readPPKPublic(r *lineReader, f Format, n int, headerType, comment string) (*Key, error) {
	var body []byte
	for range n {
		line, ok := r.next()
		if !ok {
			return nil, parseErr(f, r.lineNo, "public key ends early")
		}
		body = append(body, bytes.TrimSpace(line)...)
	}
	blob, ok := decodeBase64(body)
	if !ok {
		return nil, parseErr(f, 0, "public key base64 does not decode")
	}
	if bt, ok := blobType(blob); ok && bt != headerType {
		if name, ok := safeName(bt); ok {
			if ht, ok := safeName(headerType); ok {
				return nil, parseErr(f, 0, "blob says "+name+" but the header says "+ht)
			}
		}
		return nil, parseErr(f, 0, "public key does not match the key type in the header")
	}
	pub, reason := parseBlob(blob)
	if reason != "" {
		return nil, parseErr(f, 0, reason)
	}
	key, perr := newKey(pub, f, comment, nil, true)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

// cutHeader splits "Name: value".
func cutHeader(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	return line[:i], bytes.TrimPrefix(line[i+1:], []byte(" ")), true
}
