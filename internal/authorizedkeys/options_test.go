package authorizedkeys

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseOptionsAcceptsWhatSSHDAccepts(t *testing.T) {
	cases := map[string][]Option{
		"":       nil,
		"no-pty": {{Name: "no-pty"}},
		`from="10.9.9.9",command="/bin/false",no-pty`: {
			{Name: "from", Value: "10.9.9.9", HasValue: true},
			{Name: "command", Value: "/bin/false", HasValue: true},
			{Name: "no-pty"},
		},
		`command="echo \"hi, there\"",restrict`: {{Name: "command", Value: `echo "hi, there"`, HasValue: true}, {Name: "restrict"}},
		`NO-PTY,Environment="A_1=x y"`:          {{Name: "no-pty"}, {Name: "environment", Value: "A_1=x y", HasValue: true}},
		`expiry-time="20301231Z"`:               {{Name: "expiry-time", Value: "20301231Z", HasValue: true}},
		`permitopen="db.internal:5432",permitlisten="*:8080",tunnel="0"`: {
			{Name: "permitopen", Value: "db.internal:5432", HasValue: true},
			{Name: "permitlisten", Value: "*:8080", HasValue: true},
			{Name: "tunnel", Value: "0", HasValue: true},
		},
	}
	for in, want := range cases {
		got, err := ParseOptions(in)
		if err != nil {
			t.Errorf("ParseOptions(%q): %v", in, err)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("ParseOptions(%q) = %+v, want %+v", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ParseOptions(%q)[%d] = %+v, want %+v", in, i, got[i], want[i])
			}
		}
	}
}

func TestParseOptionsRefusesWhatSSHDWouldIgnore(t *testing.T) {
	cases := map[string]string{
		"no-ptty":                  `unknown option "no-ptty"`,
		`from=10.0.0.1`:            "needs a value in double quotes",
		`command="/bin/false`:      "no closing double quote",
		`no-pty="yes"`:             "takes no value",
		`no-pty,`:                  "end with a comma",
		`no-pty, restrict`:         "space outside double quotes",
		`from="a" no-pty`:          "space outside double quotes",
		`from=""`:                  "the value is empty",
		`environment="=x"`:         "want NAME=value",
		`expiry-time="2030-12-31"`: "want YYYYMMDD",
		`permitopen="host"`:        "want host:port",
		`tunnel="x"`:               "tunnel device number",
		`command="a"no-pty`:        "expected a comma",
		",no-pty":                  "expected an option name",
		"command=\"a\nb\"":         "line break",
	}
	for in, want := range cases {
		_, err := ParseOptions(in)
		if err == nil || !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOptions(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestLineOptionsAndFormatLine(t *testing.T) {
	_, key := testKey(t, 9)
	opts := `from="10.0.0.1",command="echo \"a b\""`
	line := FormatLine(opts, key+" me")
	if got := LineOptions(line); got != opts {
		t.Fatalf("LineOptions = %q, want %q", got, opts)
	}
	if got := LineOptions(key + " me"); got != "" {
		t.Fatalf("LineOptions of a bare key = %q", got)
	}
	if got := FormatLine("", key); got != key {
		t.Fatalf("FormatLine without options = %q", got)
	}
}

// Issue 20, item 8: options are bounded and hold no NUL, CR or LF (21 MB
// were accepted, and a NUL made sshd ignore the line while the plan said
// "No changes").
func TestParseOptionsRefusesHugeOrControlCharacters(t *testing.T) {
	for name, in := range map[string]string{
		"9 KiB":          `command="` + strings.Repeat("x", 9*1024) + `"`,
		"21 MB":          `command="` + strings.Repeat("x", 21<<20) + `"`,
		"NUL in a value": "command=\"a\x00b\"",
		"NUL after":      "no-pty\x00",
		"CR":             "no-pty\r",
		"LF in a value":  "command=\"a\nb\"",
	} {
		_, err := ParseOptions(in)
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: the error echoes the input (%d bytes)", name, len(err.Error()))
		}
	}
	if _, err := ParseOptions(`command="` + strings.Repeat("x", 8*1024-12) + `"`); err != nil {
		t.Errorf("8 KiB of options refused: %v", err)
	}
}

func TestExpiryIsWrittenAndReadBack(t *testing.T) {
	at := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	opts := WithExpiry(`from="10.0.0.0/8,192.168.0.1",no-pty`, at)
	if opts != `from="10.0.0.0/8,192.168.0.1",no-pty,expiry-time="20270131000000Z"` {
		t.Fatalf("WithExpiry = %s", opts)
	}
	if _, err := ParseOptions(opts); err != nil {
		t.Fatalf("sshd would not read it: %v", err)
	}
	rest, got := SplitExpiry(opts)
	if rest != `from="10.0.0.0/8,192.168.0.1",no-pty` || !got.Equal(at) {
		t.Fatalf("SplitExpiry = %q, %v", rest, got)
	}
	if rest, got := SplitExpiry(`expiry-time="202701310000Z"`); rest != "" || !got.Equal(at) {
		t.Fatalf("expiry alone: %q, %v", rest, got)
	}
	if rest, got := SplitExpiry("no-pty"); rest != "no-pty" || !got.IsZero() {
		t.Fatalf("no expiry: %q, %v", rest, got)
	}
	if WithExpiry("no-pty", time.Time{}) != "no-pty" {
		t.Fatal("a zero time wrote an expiry")
	}
}
