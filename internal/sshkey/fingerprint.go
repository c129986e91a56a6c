package sshkey

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Fingerprint is a fingerprint someone typed or pasted, normalised to the
// form Key gives: "SHA256:<base64, no padding>" or lower-case MD5 colon hex.
type Fingerprint struct {
	SHA256 bool   // the SHA256 form; otherwise MD5
	Value  string // as Key.FingerprintSHA256 or Key.FingerprintMD5 would print it
}

var md5FingerprintPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){15}$`)

// ParseFingerprint detects the form of a fingerprint. It accepts what people
// copy from ssh-keygen (-E md5 adds "MD5:", SHA256 may come padded), the
// portal's colon hex in either case, and MD5 hex without colons.
func ParseFingerprint(s string) (Fingerprint, error) {
	s = strings.TrimSpace(s)
	if rest, ok := cutPrefixFold(s, "SHA256:"); ok {
		rest = strings.TrimRight(rest, "=")
		raw, err := base64.RawStdEncoding.DecodeString(rest)
		if err != nil || len(raw) != sha256.Size {
			return Fingerprint{}, fmt.Errorf("%s is not a SHA256 fingerprint: after \"SHA256:\" ssh-keygen -l prints "+
				"43 base64 characters (32 bytes)", quoteShort(s))
		}
		return Fingerprint{SHA256: true, Value: "SHA256:" + rest}, nil
	}
	rest, _ := cutPrefixFold(s, "MD5:")
	rest = strings.ToLower(rest)
	if raw, err := hex.DecodeString(rest); err == nil && len(raw) == 16 {
		rest = colonHex(raw) // the same fingerprint written without colons
	}
	if !md5FingerprintPattern.MatchString(rest) {
		return Fingerprint{}, fmt.Errorf("%s is neither an MD5 fingerprint (16 colon-separated hex bytes such as "+
			"\"9f:2c:...:e1\", as the portal shows) nor a SHA256 one (\"SHA256:...\", as ssh-keygen -l prints)", quoteShort(s))
	}
	return Fingerprint{Value: rest}, nil
}

// Matches reports whether k has this fingerprint.
func (f Fingerprint) Matches(k *Key) bool {
	if k == nil {
		return false
	}
	if f.SHA256 {
		return k.FingerprintSHA256() == f.Value
	}
	return k.FingerprintMD5() == f.Value
}

// quoteShort quotes a value for an error unless it is too long to be a
// fingerprint, which could mean something else (even a secret) was pasted.
func quoteShort(s string) string {
	if len(s) > 100 {
		return "the value"
	}
	return fmt.Sprintf("%q", s)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// colonHex is lower-case hex with a colon between bytes: "9f:2c:...".
func colonHex(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 3)
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}
