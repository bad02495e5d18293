package dsrflow

import "testing"

// TestRightsTable: every row is complete and types are unique; what used to be tested by type name
// (five places tested Access || Portability) reads the same from the table.
func TestRightsTable(t *testing.T) {
	seen := map[RequestType]bool{}
	for _, r := range Rights {
		if r.Type == "" || r.Law == "" || r.Action == "" || r.Verification == "" {
			t.Errorf("%q: incomplete row %+v", r.Type, r)
		}
		if seen[r.Type] {
			t.Errorf("%s: twice in Rights", r.Type)
		}
		seen[r.Type] = true
		if r.Portable && !r.Export {
			t.Errorf("%s: portable without an export", r.Type)
		}
		for _, n := range r.Needs {
			for _, a := range r.Accepts {
				if n == a {
					t.Errorf("%s: %s both needed and accepted", r.Type, n)
				}
			}
		}
	}
	for _, tc := range []struct {
		t                        RequestType
		export, notifies, review bool
		action                   Action
		verify                   Verification
	}{
		{Access, true, false, false, ActionAccess, VerifyEmailCode},
		{Portability, true, false, false, ActionAccess, VerifyEmailCode},
		{Erasure, false, true, false, ActionErase, VerifyEmailCode},
		{Objection, false, false, true, ActionObject, VerifyEmailCode},
		{MarketingOptout, false, false, false, ActionOptout, VerifyNone},
		{ConsentWithdrawal, false, false, false, ActionWithdrawConsent, VerifyNone},
	} {
		if tc.t.HasExport() != tc.export || tc.t.NotifiesPartners() != tc.notifies || tc.t.Right().Review != tc.review ||
			tc.t.Action() != tc.action || tc.t.DefaultVerification() != tc.verify {
			t.Errorf("%s: row %+v", tc.t, tc.t.Right())
		}
	}
	if !Rectification.Needs(InputCorrections) || !ConsentWithdrawal.Needs(InputPurposes) || !Objection.Accepts(InputGrounds) || Objection.Needs(InputGrounds) {
		t.Error("inputs: rectification needs corrections, withdrawal needs purposes, objection accepts grounds")
	}
	if !Objection.Accepts(InputPurposes) || Objection.Needs(InputPurposes) {
		t.Error("inputs: an objection may name the purposes objected to (Art. 21(3) needs them to tell direct marketing)")
	}
	for _, typ := range RequestTypes {
		want := typ == MarketingOptout || typ == Erasure
		if typ.Right().Suppresses != want {
			t.Errorf("%s: Suppresses = %v, want %v (opted-out and erased addresses go on the suppression list)", typ, !want, want)
		}
	}
	if RequestType("nope").Valid() || RequestType("nope").Action() != "" || RequestType("nope").HasExport() {
		t.Error("an unknown type is valid, has an action or an export")
	}
}
