package authorizedkeys

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestMatchFrom follows sshd's match_host_and_ip with UseDNS off (the
// client's host name is its address): wildcards, negation, CIDR.
func TestMatchFrom(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	cases := []struct {
		patterns string
		addr     netip.Addr
		want     bool
	}{
		{"127.0.0.1", v4, true},
		{"10.9.9.9", v4, false},
		{"127.0.0.*", v4, true},
		{"127.0.0.?", v4, true},
		{"127.0.0.??", v4, false},
		{"*", v4, true},
		{"10.9.9.9,127.0.0.1", v4, true},
		{"!127.0.0.1,*", v4, false},
		{"*,!10.0.0.1", v4, true},
		{"!10.0.0.1", v4, false}, // a negation alone allows no one
		{"127.0.0.0/8", v4, true},
		{"10.0.0.0/8", v4, false},
		{"!127.0.0.0/8,*", v4, false},
		{"127.0.0.1/8", v4, false}, // host bits set: sshd rejects the list
		{"127.0.0.0/33", v4, false},
		{"localhost", v4, false}, // no DNS: names never match an address
		{"::1", v6, true},
		{"::/0", v6, true},
		{"127.0.0.0/8", v6, false},
		{"127.0.0.1", netip.MustParseAddr("::ffff:127.0.0.1"), true},
		{"", v4, false},
		{"127.0.0.1,,*", v4, false},
	}
	for _, c := range cases {
		if got := MatchFrom(c.patterns, c.addr); got != c.want {
			t.Errorf("MatchFrom(%q, %s) = %v, want %v", c.patterns, c.addr, got, c.want)
		}
	}
}

func TestExpiryTime(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	cases := map[string]time.Time{
		"20301231Z":       time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC),
		"203012312359Z":   time.Date(2030, 12, 31, 23, 59, 0, 0, time.UTC),
		"20301231235958":  time.Date(2030, 12, 31, 23, 59, 58, 0, berlin),
		"20301231235958Z": time.Date(2030, 12, 31, 23, 59, 58, 0, time.UTC),
	}
	for in, want := range cases {
		got, err := ExpiryTime(in, berlin)
		if err != nil || !got.Equal(want) {
			t.Errorf("ExpiryTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2030", "20301332Z", "tomorrow"} {
		if _, err := ExpiryTime(bad, time.UTC); err == nil {
			t.Errorf("ExpiryTime(%q) accepted", bad)
		}
	}
}

// TestKeyLinesAndAuthorize: the lines of one key in file order, each judged
// as sshd judges it for a login from addr at now.
func TestKeyLinesAndAuthorize(t *testing.T) {
	pub, line := testKey(t, 1)
	_, other := testKey(t, 2)
	file := strings.Join([]string{
		`from="10.9.9.9" ` + line + " office",
		other,
		`bogus-option ` + line,
		`command="a",command="b" ` + line,
		`cert-authority ` + line,
		`expiry-time="20200101Z" ` + line,
		`restrict,command="echo hi" ` + line,
		`restrict,pty ` + line,
		`no-pty,expiry-time="20300101Z",from="127.0.0.0/8" ` + line,
		line,
	}, "\n") + "\n"
	lines := Parse([]byte(file)).KeyLines(pub)
	if len(lines) != 9 {
		t.Fatalf("KeyLines found %d lines, want 9: %+v", len(lines), lines)
	}
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	from := netip.MustParseAddr("127.0.0.1")
	want := []struct {
		ok      bool
		command string
		noPTY   bool
	}{
		{ok: false}, // from
		{ok: false}, // unknown option: sshd ignores the line
		{ok: false}, // two commands
		{ok: false}, // a CA line is not for a plain key
		{ok: false}, // expired
		{ok: true, command: "echo hi", noPTY: true},
		{ok: true},
		{ok: true, noPTY: true},
		{ok: true},
	}
	for i, l := range lines {
		g, err := l.Authorize(from, now, time.UTC)
		if (err == nil) != want[i].ok || g.Command != want[i].command || g.NoPTY != want[i].noPTY {
			t.Errorf("line %q: Authorize = %+v, %v; want %+v", l.Text, g, err, want[i])
		}
	}
	if _, err := lines[7].Authorize(from, time.Date(2030, 1, 1, 0, 0, 1, 0, time.UTC), time.UTC); err == nil {
		t.Error("a line past its expiry-time still authorizes")
	}
}
