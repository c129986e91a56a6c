package authorizedkeys

import (
	"bytes"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Kinds of authorized_keys lines, as an audit reports them.
const (
	KindManaged       = "managed"        // recorded as written by this provider
	KindExpired       = "expired"        // its expiry-time has passed: sshd refuses it
	KindCertAuthority = "cert_authority" // trusts every certificate the key signs
	KindRestricted    = "restricted"     // limited by command=, from= or restrict
	KindInvalid       = "invalid"        // sshd ignores it (no key it can read, or options it cannot)
	KindUnmanaged     = "unmanaged"      // anything else: a key placed by hand, at provisioning, by another tool
)

// LineInfo is one key line of a file as an audit reports it. It never holds
// option values (an environment= may hold a secret), only their names.
type LineInfo struct {
	Number      int           // 1-based line number
	Kind        string        // one of the Kind constants
	Key         ssh.PublicKey // nil for an invalid line
	Comment     string
	OptionNames []string
	Expiry      time.Time // zero when the line has none
}

// Audit reports every line of f that is not blank or a comment, with its
// kind; w (nil for none) tells the provider's own lines, now decides expiry.
func Audit(f *File, w *Writers, now time.Time) []LineInfo {
	var out []LineInfo
	for i, l := range f.lines {
		text := strings.TrimLeft(string(l.text), " \t")
		if text == "" || text[0] == '#' {
			continue
		}
		info := LineInfo{Number: i + 1, Kind: KindUnmanaged}
		opts := LineOptions(text)
		parsed, err := ParseOptions(opts)
		if l.blob == nil || err != nil {
			info.Kind = KindInvalid
			out = append(out, info)
			continue
		}
		info.Key, _ = ssh.ParsePublicKey(l.blob)
		if info.Key == nil {
			info.Kind = KindInvalid
			out = append(out, info)
			continue
		}
		fields := strings.Fields(keyPart(text))
		if len(fields) > 2 {
			info.Comment = strings.Join(fields[2:], " ")
		}
		restricted, ca := false, false
		for _, o := range parsed {
			info.OptionNames = append(info.OptionNames, o.Name)
			switch o.Name {
			case "command", "from", "restrict":
				restricted = true
			case "cert-authority":
				ca = true
			case "expiry-time":
				info.Expiry = parseExpiry(o.Value)
			}
		}
		switch {
		case w != nil && w.Recorded(string(l.text)):
			info.Kind = KindManaged
		case !info.Expiry.IsZero() && !info.Expiry.After(now):
			info.Kind = KindExpired
		case ca:
			info.Kind = KindCertAuthority
		case restricted:
			info.Kind = KindRestricted
		}
		out = append(out, info)
	}
	return out
}

// Blob is the key blob of a line that holds one (for tests and callers
// that match keys).
func (li LineInfo) Blob() []byte {
	if li.Key == nil {
		return nil
	}
	return bytes.Clone(li.Key.Marshal())
}
