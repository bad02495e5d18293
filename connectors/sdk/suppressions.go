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

// Suppressions asks dsrflow's marketing suppression list whether an address may be mailed, before a
// system imports a contact for marketing (PROTOCOL.md, "Suppression list"): POST
// {FrontDoor}/connectors/v1/suppressions/{Connector} with {"email": ...}, signed with the connector's
// secret. The list holds every address that opted out of marketing, objected to it or was erased; an
// import must skip those, or the person is mailed again.
type Suppressions struct {
	// FrontDoor is dsrflow's public base URL.
	FrontDoor string
	// Connector is this system's id in connectors.yaml; Secret its shared secret.
	Connector string
	Secret    []byte
	// HTTP makes the call; default a client with a 10 s timeout.
	HTTP *http.Client
}

// Suppressed reports whether the address is on the list: true means do not import it for marketing
// and do not mail it. An error means dsrflow could not say; an import should then wait, not mail.
func (c Suppressions) Suppressed(ctx context.Context, email string) (bool, error) {
	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		return false, err
	}
	url := strings.TrimRight(c.FrontDoor, "/") + "/connectors/v1/suppressions/" + c.Connector
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	connectors.SignRequest(req, c.Secret, body, time.Now())
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
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
