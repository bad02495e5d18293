package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dsrflow/dsrflow/internal/web"
)

// api is a front-door client.
type api struct {
	url, token string
	http       *http.Client
}

func newAPI(url, token string) *api {
	return &api{url: url, token: token, http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}}
}

func (a *api) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (a *api) create(ctx context.Context, in web.NewRequest) (string, error) {
	status, data, err := a.do(ctx, "POST", "/api/v1/requests", in)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("create: %d %s", status, data)
	}
	var out struct {
		ID string `json:"id"`
	}
	return out.ID, json.Unmarshal(data, &out)
}
