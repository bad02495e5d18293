package devstack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestRequestInFinnishEndToEnd: a request made in Finnish by a subject who lives in France, handled by
// the Norwegian entity, gets its code mail, its answer and its export's summary.html in Finnish; the
// answer names the CNIL, and the deadline counts Norwegian working days.
func TestRequestInFinnishEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	// Received the Monday a month before Maundy Thursday 2026: a Norwegian public holiday, a French
	// working day, so the two countries' deadlines differ.
	const received = "2026-03-02"
	id := c.create(web.NewRequest{Type: "access", Email: jane, Country: "NO", Residence: "FR", Language: "fi", Received: received})
	c.waitStatus(id, "verifying")

	code := mailedCode(t, c, id)
	mail := outboxMessage(t, c, id, "verification_code")
	if want := "Vahvista pyyntösi saada nähdä tietosi (" + id + "): koodisi"; mail.Subject != want {
		t.Errorf("code mail subject = %q, want %q", mail.Subject, want)
	}
	for _, want := range []string{"Pyysit saada nähdä sinusta säilyttämämme henkilötiedot.", "Koodisi on " + code + ".", "mitään ei tapahdu ilman koodia"} {
		if !strings.Contains(mail.Body, want) {
			t.Errorf("the code mail lacks %q:\n%s", want, mail.Body)
		}
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != 200 {
		t.Fatalf("verify: %d %s", status, data)
	}
	v := c.waitStatus(id, "completed")

	at, err := time.Parse("2006-01-02", received)
	if err != nil {
		t.Fatal(err)
	}
	no, err := deadline.Compute(at.Add(10*time.Hour), "NO", deadline.GDPR)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := deadline.Compute(at.Add(10*time.Hour), "FR", deadline.GDPR)
	if err != nil {
		t.Fatal(err)
	}
	if no.Due == fr.Due {
		t.Fatalf("the fixture's date gives the same deadline in NO and FR (%v): pick another", no.Due)
	}
	if v.Due != no.Due.String() {
		t.Errorf("due = %s, want %s (Norwegian working days), not %s (French)", v.Due, no.Due, fr.Due)
	}

	answer := outboxMessage(t, c, id, "answer")
	if want := "Vastaus pyyntöösi: tarkastuspyyntö (viite " + id + ")"; answer.Subject != want {
		t.Errorf("answer subject = %q, want %q", answer.Subject, want)
	}
	for _, want := range []string{
		"Hei,",
		"Olemme käsitelleet loppuun seuraavan asian: pyyntösi saada pääsy henkilötietoihisi.",
		"Vastaanotimme sen 2. maaliskuuta 2026.",
		"Tietosi ovat vientitiedostossa, jonka voit ladata",
		"voit tehdä valituksen valvontaviranomaiselle: Commission nationale de l'informatique et des libertés (CNIL), https://www.cnil.fr",
		"Ystävällisin terveisin",
	} {
		if !strings.Contains(answer.Body, want) {
			t.Errorf("the answer lacks %q:\n%s", want, answer.Body)
		}
	}
	if strings.Contains(answer.Body, "Datatilsynet") {
		t.Errorf("the answer names Datatilsynet to a resident of France:\n%s", answer.Body)
	}

	summary := c.export(id)["summary.html"]
	for _, want := range []string{`<html lang="fi">`, "<h2>Mitä löysimme</h2>", "Vastaanotimme sen 2. maaliskuuta 2026.", "Commission nationale de l&#39;informatique et des libertés (CNIL)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.html lacks %q:\n%s", want, summary)
		}
	}
}

// outboxMessage returns the request's queued message of the kind.
func outboxMessage(t *testing.T, c apiClient, id, kind string) store.Message {
	t.Helper()
	msgs, err := c.stack.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == kind {
			return m
		}
	}
	t.Fatalf("no %s message queued for %s", kind, id)
	return store.Message{}
}
