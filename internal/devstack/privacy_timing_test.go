package devstack_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/web"
)

// TestPrivacyCenterTiming is issue 14 (5): a submission for an address with an open request must not
// answer measurably faster or slower than one for a new address. It measures the median of 20 of each,
// interleaved, and logs them; the bound is loose (a factor of 1.5) because the build machines are shared.
func TestPrivacyCenterTiming(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	s := start(t, cfg)
	defer stop(t, s)
	api := apiClient{t: t, stack: s}
	const n = 20
	for i := range n {
		api.create(web.NewRequest{Type: "access", Email: fmt.Sprintf("open%d@example.com", i)})
	}
	submit := func(email string, client int) time.Duration {
		// Each is measured on a quiet stack: a new request's workflow runs its first steps right after
		// the answer, and would otherwise be charged to the next submission.
		time.Sleep(300 * time.Millisecond)
		form := url.Values{"type": {"access"}, "email": {email}}
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/privacy/request", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// One client each, behind the trusted proxy: the limits do not interfere.
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", client))
		began := time.Now()
		resp, err := http.DefaultClient.Do(req)
		took := time.Since(began)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("submission for %s: %d", email, resp.StatusCode)
		}
		return took
	}
	var fresh, open []time.Duration
	for i := range n {
		fresh = append(fresh, submit(fmt.Sprintf("new%d@example.com", i), 2*i))
		open = append(open, submit(fmt.Sprintf("open%d@example.com", i), 2*i+1))
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return (d[n/2-1] + d[n/2]) / 2 }
	mf, mo := median(fresh), median(open)
	t.Logf("privacy center: median of %d new-address submissions %v, open-request submissions %v (ratio %.2f)", n, mf, mo, float64(mo)/float64(mf))
	if r := float64(mo) / float64(mf); r < 1/1.5 || r > 1.5 {
		t.Errorf("medians differ by more than a factor of 1.5: new %v, open %v", mf, mo)
	}
}
