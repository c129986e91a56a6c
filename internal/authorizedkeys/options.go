package authorizedkeys

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Option is one entry of an authorized_keys options field: a flag such as
// no-pty (Value empty, HasValue false) or name="value" (Value unquoted).
type Option struct {
	Name     string
	Value    string
	HasValue bool
}

// ErrInvalidOptions is returned by ParseOptions; the message says what is wrong.
var ErrInvalidOptions = errors.New("invalid authorized_keys options")

// flagOptions and valueOptions are the options OpenSSH's sshd (9.x) accepts
// in authorized_keys (see sshd(8), AUTHORIZED_KEYS FILE FORMAT). sshd
// ignores the whole line when it meets any other, which would silently lock
// the key out, so anything else is refused before it reaches a machine.
var flagOptions = map[string]bool{
	"agent-forwarding": true, "no-agent-forwarding": true,
	"cert-authority":     true,
	"no-port-forwarding": true, "port-forwarding": true,
	"no-pty": true, "pty": true,
	"no-user-rc": true, "user-rc": true,
	"no-x11-forwarding": true, "x11-forwarding": true,
	"no-touch-required": true, "touch-required": true,
	"verify-required": true,
	"restrict":        true,
}

var valueOptions = map[string]func(string) error{
	"command":      func(string) error { return nil },
	"principals":   nonEmpty,
	"from":         nonEmpty,
	"environment":  checkEnvironment,
	"expiry-time":  checkExpiry,
	"permitopen":   checkHostPort,
	"permitlisten": checkHostPort,
	"tunnel":       checkTunnel,
}

// ParseOptions reads an options field the way sshd does: comma-separated
// names (case-insensitive), values in double quotes where the option takes
// one, `\"` inside a value, no spaces outside quotes. "" means no options.
func ParseOptions(s string) ([]Option, error) {
	if len(s) > MaxOptionsLength {
		return nil, invalidOptions("the options are %d bytes long; at most %d are accepted (sshd reads a line of at most 8 KiB "+
			"with the key, and a longer one is ignored)", len(s), MaxOptionsLength)
	}
	if i := strings.IndexAny(s, "\x00\r\n"); i >= 0 {
		return nil, invalidOptions("the options hold a %s at byte %d; an authorized_keys line cannot (sshd would read "+
			"another line, or none)", controlName(s[i]), i)
	}
	var opts []Option
	rest := s
	for rest != "" {
		name := rest
		if i := strings.IndexAny(rest, "=,\" \t"); i >= 0 {
			name = rest[:i]
		}
		rest = rest[len(name):]
		lower := strings.ToLower(name)
		if name == "" && (rest[0] == ' ' || rest[0] == '\t') {
			return nil, invalidOptions("a space outside double quotes ends the options field; quote values that hold spaces")
		}
		if name == "" {
			return nil, invalidOptions("expected an option name at %q", clip(rest))
		}
		opt := Option{Name: lower}
		switch check, takesValue := valueOptions[lower]; {
		case takesValue:
			if !strings.HasPrefix(rest, "=\"") {
				return nil, invalidOptions("option %s needs a value in double quotes: %s=\"...\"", name, lower)
			}
			value, after, ok := quoted(rest[2:])
			if !ok {
				return nil, invalidOptions("the value of option %s has no closing double quote", name)
			}
			if err := check(value); err != nil {
				return nil, invalidOptions("option %s=%q: %v", name, value, err)
			}
			opt.Value, opt.HasValue, rest = value, true, after
		case flagOptions[lower]:
			if strings.HasPrefix(rest, "=") {
				return nil, invalidOptions("option %s takes no value", name)
			}
		default:
			return nil, invalidOptions("unknown option %q (sshd would ignore the whole line); known options: %s", name, knownOptions())
		}
		opts = append(opts, opt)
		switch {
		case rest == "":
		case rest[0] == ',' && len(rest) > 1:
			rest = rest[1:]
		case rest[0] == ',':
			return nil, invalidOptions("the options end with a comma")
		case rest[0] == ' ' || rest[0] == '\t':
			return nil, invalidOptions("a space outside double quotes ends the options field; quote values that hold spaces")
		default:
			return nil, invalidOptions("expected a comma after option %s, found %q", name, clip(rest))
		}
	}
	return opts, nil
}

// quoted reads a value up to its closing quote, turning \" into ".
func quoted(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case s[i] == '"':
			return b.String(), s[i+1:], true
		case s[i] == '\r' || s[i] == '\n':
			return "", "", false
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// LineOptions returns the options field of an authorized_keys line, "" when
// it has none or holds no key.
func LineOptions(text string) string {
	s := strings.TrimLeft(text, " \t")
	if s == "" || s[0] == '#' || typeAndBlob(s) != nil {
		return ""
	}
	rest, ok := skipOptions(s)
	if !ok || typeAndBlob(strings.TrimLeft(rest, " \t")) == nil {
		return ""
	}
	return s[:len(s)-len(rest)]
}

// FormatLine is the line for keyLine ("type base64 [comment]") with options before it.
func FormatLine(options, keyLine string) string {
	if options == "" {
		return keyLine
	}
	return options + " " + keyLine
}

// MaxOptionsLength bounds an options field: sshd reads authorized_keys lines
// of at most 8 KiB, key included.
const MaxOptionsLength = 8 * 1024

func controlName(c byte) string {
	switch c {
	case 0:
		return "NUL byte"
	case '\r':
		return "carriage return"
	default:
		return "line break"
	}
}

func invalidOptions(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

func knownOptions() string {
	names := make([]string, 0, len(flagOptions)+len(valueOptions))
	for n := range flagOptions {
		names = append(names, n)
	}
	for n := range valueOptions {
		names = append(names, n+"=\"...\"")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("the value is empty")
	}
	return nil
}

func checkEnvironment(v string) error {
	name, _, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=value")
	}
	for _, c := range name {
		if c != '_' && (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return fmt.Errorf("%q is not a valid environment variable name", name)
		}
	}
	return nil
}

// checkExpiry accepts sshd's YYYYMMDD[HHMM[SS]] with an optional trailing Z.
func checkExpiry(v string) error {
	t := strings.TrimSuffix(v, "Z")
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(t)]
	if !ok {
		return errors.New("want YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending in Z")
	}
	if _, err := time.Parse(layout, t); err != nil {
		return errors.New("not a valid date and time")
	}
	return nil
}

// checkHostPort accepts host:port, [v6]:port, port alone (permitlisten) and
// * for host or port.
func checkHostPort(v string) error {
	for _, hp := range strings.Split(v, ",") {
		host, port := "", hp
		if i := strings.LastIndex(hp, ":"); i >= 0 {
			host, port = hp[:i], hp[i+1:]
			if host == "" {
				return fmt.Errorf("%q: empty host", hp)
			}
		}
		if port == "*" {
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q: want host:port with a port number or *", hp)
		}
	}
	return nil
}

func checkTunnel(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return errors.New("want a tunnel device number")
	}
	return nil
}

// FormatExpiry is the value of sshd's expiry-time option for t (UTC, to the
// second).
func FormatExpiry(t time.Time) string { return t.UTC().Format("20060102150405") + "Z" }

// WithExpiry is the options field opts with expiry-time for t after them
// (none for the zero time).
func WithExpiry(opts string, t time.Time) string {
	if t.IsZero() {
		return opts
	}
	expiry := `expiry-time="` + FormatExpiry(t) + `"`
	if opts == "" {
		return expiry
	}
	return opts + "," + expiry
}

// SplitExpiry takes expiry-time out of an options field: the other options
// as written (their order and spelling kept) and the time, zero when there
// is none or the field does not parse.
func SplitExpiry(opts string) (string, time.Time) {
	parsed, err := ParseOptions(opts)
	if err != nil {
		return opts, time.Time{}
	}
	var (
		rest   []string
		expiry time.Time
	)
	for _, field := range splitOptionFields(opts) {
		if name, value, ok := strings.Cut(field, "="); ok && strings.EqualFold(name, "expiry-time") {
			expiry = parseExpiry(strings.Trim(value, `"`))
			continue
		}
		rest = append(rest, field)
	}
	if len(rest)+boolInt(!expiry.IsZero()) != len(parsed) {
		return opts, time.Time{} // a field split differently than sshd reads it: claim nothing
	}
	return strings.Join(rest, ","), expiry
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// splitOptionFields cuts an options field at the commas outside quotes.
func splitOptionFields(opts string) []string {
	var (
		fields []string
		start  int
		quoted bool
	)
	for i := 0; i < len(opts); i++ {
		switch c := opts[i]; {
		case c == '\\' && quoted && i+1 < len(opts) && opts[i+1] == '"':
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			fields = append(fields, opts[start:i])
			start = i + 1
		}
	}
	if start < len(opts) {
		fields = append(fields, opts[start:])
	}
	return fields
}

// parseExpiry reads sshd's YYYYMMDD[HHMM[SS]][Z]; without Z it is local
// time on the server, which the provider cannot know, so it reads as UTC.
// The zero time when it does not parse.
func parseExpiry(v string) time.Time {
	t, _ := ExpiryTime(v, time.UTC)
	return t
}
