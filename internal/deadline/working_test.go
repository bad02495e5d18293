package deadline

import (
	"testing"
	"time"
)

func TestAddWorkingDays(t *testing.T) {
	oslo, _ := Location("NO")
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-09T10:00:00", 2, "2026-03-11T10:00:00"}, // Monday → Wednesday
		{"2026-03-13T10:00:00", 2, "2026-03-17T10:00:00"}, // Friday → Tuesday, over the weekend
		{"2026-03-14T10:00:00", 1, "2026-03-16T10:00:00"}, // Saturday → Monday
		{"2026-03-31T09:00:00", 4, "2026-04-09T09:00:00"}, // Easter 2026: Maundy Thursday to Easter Monday off
		{"2026-03-09T10:00:00", 0, "2026-03-09T10:00:00"},
	} {
		from, _ := time.ParseInLocation("2006-01-02T15:04:05", tc.from, oslo)
		got, err := AddWorkingDays(from.UTC(), tc.n, "NO")
		if err != nil {
			t.Fatal(err)
		}
		if s := got.In(oslo).Format("2006-01-02T15:04:05"); s != tc.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, s, tc.want)
		}
	}
	// The US keeps no holiday calendar here (the CCPA counts calendar days), yet a CCPA request routed to a
	// processor's customer counts the DPA's business days: Monday to Friday. This panicked before.
	la, _ := Location("US")
	from := time.Date(2026, 12, 4, 10, 0, 0, 0, la) // a Friday
	got, err := AddWorkingDays(from, 10, "US")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.In(la).Format("2006-01-02T15:04"); s != "2026-12-18T10:00" {
		t.Errorf("AddWorkingDays(US, Fri 2026-12-04, 10) = %s, want 2026-12-18T10:00", s)
	}
	if _, err := AddWorkingDays(time.Now(), 2, "XX"); err == nil {
		t.Error("unknown country accepted")
	}
}
