package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
)

// Marketing is a marketing system's client of dsrflow (PROTOCOL.md §9): it asks the suppression list
// whether an address may be mailed before importing a contact, and gets each message's one-click
// unsubscribe headers (RFC 8058). Calls are signed with the connector's secret, as callbacks are.
type Marketing struct {
	// FrontDoor is dsrflow's public base URL.
	FrontDoor string
	// Connector is this system's id in connectors.yaml; Secret its shared secret.
	Connector string
	Secret    []byte
	// HTTP makes the calls; default a client with a 10 s timeout.
	HTTP *http.Client
}

// Suppressed reports whether the address is on the suppression list (it opted out of marketing,
// objected to it or was erased): true means do not import it for marketing and do not mail it. An error
// means dsrflow could not say; an import should then wait, not mail.
func (m Marketing) Suppressed(ctx context.Context, email string) (bool, error) {
	resp, err := m.post(ctx, "/connectors/v1/suppressions/", email)
	if err != nil {
		return false, fmt.Errorf("suppression check: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("suppression check: HTTP %d", resp.StatusCode)
}

// UnsubscribeHeaders are the List-Unsubscribe and List-Unsubscribe-Post header fields of a marketing
// message to email (RFC 8058 section 3.1). The sender must cover both with its DKIM signature.
func (m Marketing) UnsubscribeHeaders(ctx context.Context, email string) (map[string]string, error) {
	resp, err := m.post(ctx, "/connectors/v1/unsubscribe-links/", email)
	if err != nil {
		return nil, fmt.Errorf("unsubscribe link: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unsubscribe link: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Headers map[string]string `json:"headers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("unsubscribe link: %w", err)
	}
	return out.Headers, nil
}

func (m Marketing) post(ctx context.Context, route, email string) (*http.Response, error) {
	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(m.FrontDoor, "/")+route+m.Connector, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	connectors.SignRequest(req, m.Secret, body, time.Now())
	client := m.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return client.Do(req)
}
