package sshkey

import (
	"bytes"
	"strings"
)

const (
	rfc4716Begin = "---- BEGIN SSH2 PUBLIC KEY ----"
	rfc4716End   = "---- END SSH2 PUBLIC KEY ----"
	// maxHeaderTag is the longest header tag RFC 4716 allows.
	maxHeaderTag = 64
)

// parseRFC4716 reads an "SSH2 PUBLIC KEY" block (RFC 4716, what PuTTYgen's
// "Save public key" and ssh-keygen -e write). text starts at the BEGIN line.
func parseRFC4716(text []byte, firstLine int) (*Key, error) {
	const f = FormatRFC4716
	r := newLineReader(text, firstLine)
	r.anyEOL = true // RFC 4716 §3.1: CR, LF or CRLF, mixed
	r.next()        // the BEGIN line, checked by the caller

	var (
		comment   string
		header    strings.Builder // header value being continued
		inHeader  bool            // the previous header line ended with '\'
		isComment bool            // the header being read is Comment
		body      []byte
		ended     bool
	)
	finishHeader := func() {
		if isComment {
			comment = unquote(header.String())
		}
		header.Reset()
	}
	for {
		raw, ok := r.next()
		if !ok {
			break
		}
		if inHeader {
			cont := bytes.HasSuffix(raw, []byte(`\`))
			header.Write(bytes.TrimSuffix(raw, []byte(`\`)))
			if inHeader = cont; !cont {
				finishHeader()
			}
			continue
		}
		line := bytes.TrimSpace(raw)
		if string(line) == rfc4716End {
			ended = true
			break
		}
		if len(line) == 0 {
			continue
		}
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			if len(body) > 0 {
				return nil, parseErr(f, r.lineNo, "header line after the key data")
			}
			tag := line[:i]
			if !validHeaderTag(tag) {
				return nil, parseErr(f, r.lineNo, "header line is not `Tag: value`")
			}
			value := bytes.TrimLeft(line[i+1:], " ")
			isComment = strings.EqualFold(string(tag), "Comment")
			inHeader = bytes.HasSuffix(value, []byte(`\`))
			header.Write(bytes.TrimSuffix(value, []byte(`\`)))
			if !inHeader {
				finishHeader()
			}
			continue
		}
		if bytes.HasPrefix(line, []byte("----")) {
			return nil, parseErr(f, r.lineNo, "unexpected armour line inside the block")
		}
		body = append(body, line...)
	}
	if !ended {
		return nil, parseErr(f, r.lineNo, "block ends early")
	}
	endLine := r.lineNo
	if err := checkAfterEnd(r, f, rfc4716Begin); err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, parseErr(f, endLine, "no key data before the END line")
	}
	blob, ok := decodeBase64(body)
	if !ok {
		return nil, parseErr(f, 0, "base64 data does not decode")
	}
	pub, reason := parseBlob(blob)
	if reason != "" {
		return nil, parseErr(f, 0, reason)
	}
	key, perr := newKey(pub, f, comment, nil, false)
	if perr != nil {
		return nil, perr
	}
	return key, nil
}

// checkAfterEnd allows only blank lines after a block's END line.
func checkAfterEnd(r *lineReader, f Format, begin string) error {
	for {
		line, ok := r.next()
		if !ok {
			return nil
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0:
		case bytes.HasPrefix(line, []byte(begin)):
			return parseErr(f, r.lineNo, "more than one key in the input; give one key, the next one starts")
		default:
			return parseErr(f, r.lineNo, "unexpected text after the END line")
		}
	}
}

// validHeaderTag: 1 to 64 printable ASCII characters without blanks.
func validHeaderTag(tag []byte) bool {
	if len(tag) == 0 || len(tag) > maxHeaderTag {
		return false
	}
	for _, c := range tag {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// unquote strips one pair of surrounding double quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
