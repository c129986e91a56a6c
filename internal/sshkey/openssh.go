package sshkey

import (
	"bytes"
	"encoding/base64"
)

var (
	b64    = base64.StdEncoding
	b64Raw = base64.RawStdEncoding
)

// parseOpenSSHText reads one OpenSSH or authorized_keys line. text starts at
// the first content line (numbered firstLine); blank and '#' lines after the
// key are fine, anything else is an error.
func parseOpenSSHText(text []byte, firstLine int) (*Key, error) {
	r := newLineReader(text, firstLine)
	line, _ := r.next()
	key, err := parseOpenSSHLine(line, r.lineNo)
	if err != nil {
		return nil, err
	}
	for {
		extra, ok := r.next()
		if !ok {
			return key, nil
		}
		extra = bytes.TrimSpace(extra)
		if len(extra) == 0 || extra[0] == '#' {
			continue
		}
		if _, err := parseOpenSSHLine(extra, r.lineNo); err == nil {
			return nil, parseErr(key.format, r.lineNo, "more than one key in the input; give one key, the next one starts")
		}
		return nil, parseErr(key.format, r.lineNo, "unexpected text after the key")
	}
}

// parseOpenSSHLine reads "type base64 [comment]", optionally preceded by
// authorized_keys options.
func parseOpenSSHLine(line []byte, lineNo int) (*Key, error) {
	line = bytes.TrimSpace(line)
	typ, rest := nextField(line)
	if isKeyType(string(typ)) {
		return parseKeyFields(string(typ), rest, nil, FormatOpenSSH, lineNo)
	}
	if isCertType(string(typ)) {
		return nil, parseErr(FormatOpenSSH, lineNo, "this is an SSH certificate, not a plain public key; give the key it certifies instead")
	}
	if opts, afterOpts, ok := splitOptions(line); ok {
		typ2, rest2 := nextField(afterOpts)
		if n := len(line) - len(afterOpts); n > MaxOptionsLength && (isKeyType(string(typ2)) || isCertType(string(typ2))) {
			return nil, parseErr(FormatAuthorizedKeys, lineNo, "the options before the key are "+byteSize(int64(n))+
				"; the limit is "+byteSize(MaxOptionsLength))
		}
		if isKeyType(string(typ2)) {
			return parseKeyFields(string(typ2), rest2, opts, FormatAuthorizedKeys, lineNo)
		}
		if isCertType(string(typ2)) {
			return nil, parseErr(FormatAuthorizedKeys, lineNo, "this is an SSH certificate, not a plain public key; give the key it certifies instead")
		}
	}
	// "foo AAAA..." where the blob really says foo: a type we do not know.
	if name, ok := safeName(string(typ)); ok {
		b64Field, _ := nextField(rest)
		if blob, ok := decodeBase64(b64Field); ok {
			if bt, ok := blobType(blob); ok && bt == name {
				return nil, parseErr(FormatOpenSSH, lineNo, "unknown key type "+name)
			}
		}
	}
	return nil, parseErr("", 0, unrecognisedReason)
}

func parseKeyFields(typ string, rest []byte, options []string, f Format, lineNo int) (*Key, error) {
	b64Field, comment := nextField(rest)
	if len(b64Field) == 0 {
		return nil, parseErr(f, lineNo, "the key type "+typ+" is not followed by base64 key data")
	}
	blob, ok := decodeBase64(b64Field)
	if !ok {
		return nil, parseErr(f, lineNo, "base64 blob does not decode")
	}
	reason, bt, ok := blobTypeReason(blob)
	if !ok {
		return nil, parseErr(f, lineNo, reason)
	}
	if bt != typ {
		if name, ok := safeName(bt); ok {
			return nil, parseErr(f, lineNo, "blob says "+name+" but the line says "+typ)
		}
		return nil, parseErr(f, lineNo, "blob does not hold a key of type "+typ)
	}
	pub, reason := parseBlob(blob)
	if reason != "" {
		return nil, parseErr(f, lineNo, reason)
	}
	key, perr := newKey(pub, f, string(comment), options, false)
	if perr != nil {
		perr.Line = lineNo
		return nil, perr
	}
	return key, nil
}

// nextField splits off the first run of non-blank bytes; rest has its
// leading blanks removed.
func nextField(s []byte) (field, rest []byte) {
	s = bytes.TrimLeft(s, " \t")
	i := bytes.IndexAny(s, " \t")
	if i < 0 {
		return s, nil
	}
	return s[:i], bytes.TrimLeft(s[i:], " \t")
}

// splitOptions reads the authorized_keys options at the start of line: a
// comma-separated list up to the first blank outside double quotes, where
// each option is name or name="value". ok is false if line does not start
// with such a list.
func splitOptions(line []byte) (opts []string, rest []byte, ok bool) {
	inQuote := false
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(line):
			i++ // an escaped character, e.g. \" inside a command
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == ',':
			if !validOption(line[start:i]) {
				return nil, nil, false
			}
			opts = append(opts, string(line[start:i]))
			start = i + 1
		case c == ' ' || c == '\t':
			if !validOption(line[start:i]) {
				return nil, nil, false
			}
			opts = append(opts, string(line[start:i]))
			return opts, bytes.TrimLeft(line[i:], " \t"), true
		}
	}
	return nil, nil, false
}

// validOption accepts name or name="value" with name made of letters,
// digits, '-' and '_'; the quotes were balanced by the caller's scan.
func validOption(opt []byte) bool {
	name := opt
	if i := bytes.IndexByte(opt, '='); i >= 0 {
		name = opt[:i]
		value := opt[i+1:]
		if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
			return false
		}
	}
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
