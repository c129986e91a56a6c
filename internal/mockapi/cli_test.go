package mockapi

import (
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	cases := []struct {
		in       string
		min, max time.Duration
		bad      bool
	}{
		{"", 0, 0, false},
		{"50ms", 50 * time.Millisecond, 50 * time.Millisecond, false},
		{"0-200ms", 0, 200 * time.Millisecond, false},
		{"10ms-1s", 10 * time.Millisecond, time.Second, false},
		{"5-20ms", 5 * time.Millisecond, 20 * time.Millisecond, false},
		{"300ms-100ms", 0, 0, true},
		{"fast", 0, 0, true},
		{"1-x", 0, 0, true},
	}
	for _, tc := range cases {
		lo, hi, err := ParseLatency(tc.in)
		if (err != nil) != tc.bad || lo != tc.min || hi != tc.max {
			t.Errorf("ParseLatency(%q) = %v, %v, %v", tc.in, lo, hi, err)
		}
	}
}

func TestSeedHelpers(t *testing.T) {
	s := DefaultSeed()
	if err := s.SetDefaultToken("T"); err != nil || s.Users[0].Token != "T" || s.Users[0].ID != DefaultUserID {
		t.Errorf("SetDefaultToken: %v %+v", err, s.Users[0])
	}
	if err := s.AddDevice("web"); err != nil || len(s.Devices) != 1 || s.Devices[0].ProjectID != DefaultProjectID {
		t.Errorf("AddDevice: %v %+v", err, s.Devices)
	}
	empty := &Seed{}
	if empty.SetDefaultToken("T") == nil || empty.AddDevice("x") == nil {
		t.Error("an empty seed accepted a token or a device")
	}
}
