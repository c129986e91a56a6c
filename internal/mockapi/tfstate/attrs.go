package tfstate

import (
	"encoding/json"
	"regexp"
	"strconv"
	"time"
)

// attrs are a resource instance's attributes as the state holds them.
type attrs map[string]json.RawMessage

// str is a string attribute, "" when absent, null or of another type.
func (a attrs) str(name string) string {
	var s string
	_ = json.Unmarshal(a[name], &s)
	return s
}

func (a attrs) boolean(name string) bool {
	var b bool
	_ = json.Unmarshal(a[name], &b)
	return b
}

// strs is a list or set of strings (nil when absent or null).
func (a attrs) strs(name string) []string {
	var l []string
	_ = json.Unmarshal(a[name], &l)
	return l
}

// object is a nested block or object attribute.
func (a attrs) object(name string) attrs {
	var o attrs
	_ = json.Unmarshal(a[name], &o)
	return o
}

func (a attrs) objects(name string) []attrs {
	var l []attrs
	_ = json.Unmarshal(a[name], &l)
	return l
}

func (a attrs) integer(name string) int {
	var n json.Number
	if json.Unmarshal(a[name], &n) != nil {
		return 0
	}
	i, _ := strconv.Atoi(n.String())
	return i
}

// goDate is how equinix v4 wrote key timestamps: Go's %#v of a time.Time.
var goDate = regexp.MustCompile(`^time\.Date\((\d+), time\.(\w+), (\d+), (\d+), (\d+), (\d+), (\d+), time\.UTC\)$`)

// when reads a timestamp as the three providers wrote them: RFC 3339
// (this provider, the archived one), Go's String form or Go's %#v form
// (equinix). A value it cannot read is noted and left zero.
func (c *Contents) when(from string, a attrs, name string) time.Time {
	s := a.str(name)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if m := goDate.FindStringSubmatch(s); m != nil {
		if month, err := time.Parse("January", m[2]); err == nil {
			n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			return time.Date(n(1), month.Month(), n(3), n(4), n(5), n(6), n(7), time.UTC)
		}
	}
	c.Notes = append(c.Notes, from+": "+name+" "+strconv.Quote(s)+" is not a time packet-mock can read; the mock's clock is used")
	return time.Time{}
}
