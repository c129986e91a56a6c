package authorizedkeys

import (
	"strings"
	"testing"
	"time"
)

// One line of each kind is reported as that kind, comments and blanks are
// not reported, and no option value reaches the report.
func TestAuditReportsEachKind(t *testing.T) {
	managed, mLine := testKey(t, 61)
	_, uLine := testKey(t, 62)
	_, eLine := testKey(t, 63)
	_, cLine := testKey(t, 64)
	_, rLine := testKey(t, 65)
	_, iLine := testKey(t, 66)
	file := strings.Join([]string{
		"# comment",
		"",
		mLine + " deploy",
		uLine + " by-hand",
		`expiry-time="20200101" ` + eLine,
		`cert-authority ` + cLine,
		`environment="TOKEN=s3cret",command="/bin/backup" ` + rLine,
		`bogus-option ` + iLine,
		"not a key at all",
	}, "\n") + "\n"
	w := &Writers{}
	w.Add("a1", mLine+" deploy", managed.Marshal(), false)
	got := Audit(Parse([]byte(file)), w, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	want := []string{KindManaged, KindUnmanaged, KindExpired, KindCertAuthority, KindRestricted, KindInvalid, KindInvalid}
	if len(got) != len(want) {
		t.Fatalf("%d lines reported, want %d: %+v", len(got), len(want), got)
	}
	for i, li := range got {
		if li.Kind != want[i] {
			t.Errorf("line %d: kind %s, want %s", li.Number, li.Kind, want[i])
		}
	}
	if got[0].Number != 3 || got[1].Comment != "by-hand" || got[2].Expiry.Year() != 2020 {
		t.Errorf("details: %+v", got[:3])
	}
	if names := strings.Join(got[4].OptionNames, ","); names != "environment,command" {
		t.Errorf("option names %q", names)
	}
	for _, li := range got {
		for _, n := range li.OptionNames {
			if strings.Contains(n, "s3cret") {
				t.Fatal("an option value reached the audit")
			}
		}
	}
}
