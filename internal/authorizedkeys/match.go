package authorizedkeys

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// KeyLine is one line of the file that holds a given key, with its options
// as sshd reads them. Err is set when they do not parse: sshd skips the line.
type KeyLine struct {
	Text    string
	Options []Option
	Err     error
}

// Grant is what an authorizing line lets the session do, as far as a
// client can see: a forced command, and whether a pty may be allocated.
type Grant struct {
	Command string // "" when the client's own command runs
	NoPTY   bool
}

// KeyLines returns the lines holding pub in file order. sshd tries them in
// that order and logs in with the first one whose options allow the login.
func (f *File) KeyLines(pub ssh.PublicKey) []KeyLine {
	want := pub.Marshal()
	var out []KeyLine
	for _, l := range f.lines {
		if !bytes.Equal(l.blob, want) {
			continue
		}
		text := string(l.text)
		opts, err := ParseOptions(LineOptions(text))
		out = append(out, KeyLine{Text: text, Options: opts, Err: err})
	}
	return out
}

// Authorize decides, as sshd does for a plain (non-certificate) key,
// whether the line lets a client at addr log in at now: the options parse
// with at most one command= and from=, the line is no cert-authority,
// expiry-time has not passed (loc is the zone of a value without Z, the
// server's local zone for sshd) and from= matches addr.
func (l KeyLine) Authorize(addr netip.Addr, now time.Time, loc *time.Location) (Grant, error) {
	if l.Err != nil {
		return Grant{}, l.Err
	}
	var g Grant
	var commands, froms int
	for _, o := range l.Options {
		switch o.Name {
		case "cert-authority":
			return Grant{}, errors.New("a cert-authority line accepts certificates only")
		case "command":
			commands++
			g.Command = o.Value
		case "from":
			froms++
			if !MatchFrom(o.Value, addr) {
				return Grant{}, fmt.Errorf("from=%q does not match %s", o.Value, addr)
			}
		case "expiry-time":
			t, err := ExpiryTime(o.Value, loc)
			if err != nil {
				return Grant{}, err
			}
			if t.Before(now) {
				return Grant{}, fmt.Errorf("the line expired at %s", t.Format(time.RFC3339))
			}
		case "restrict", "no-pty":
			g.NoPTY = true
		case "pty":
			g.NoPTY = false
		}
	}
	if commands > 1 || froms > 1 {
		return Grant{}, errors.New("more than one command= or from= option")
	}
	return g, nil
}

// ExpiryTime reads an expiry-time value, YYYYMMDD[HHMM[SS]], in UTC when it
// ends in Z and in loc otherwise, as sshd does.
func ExpiryTime(v string, loc *time.Location) (time.Time, error) {
	t, utc := strings.CutSuffix(v, "Z")
	if utc {
		loc = time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(t)]
	if !ok {
		return time.Time{}, fmt.Errorf("expiry-time %q: want YYYYMMDD[HHMM[SS]][Z]", v)
	}
	at, err := time.ParseInLocation(layout, t, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry-time %q: %w", v, err)
	}
	return at, nil
}
