package app

import (
	"fmt"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/secret"
)

// Product is what the worker and the front door need of the product's configuration.
type Product struct {
	// Keys encrypt Temporal payloads.
	Keys       *payload.KeyRing
	Key        secret.Key
	Connectors *connectors.Registry
	Controller answer.Controller
}

// LoadProduct reads the key, connectors.yaml and the controller configuration. A key or registry given
// by the caller (the dev stack's) is kept.
func LoadProduct(cfg config.Product, getenv func(string) string, p Product) (Product, error) {
	if p.Key == nil {
		k, err := secret.Parse(cfg.HMACKey)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_HMAC_KEY", Problem: err.Error()}
		}
		p.Key = k
	}
	if p.Keys == nil {
		keys, err := payload.ParseKeyRing(cfg.MasterKeys)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_MASTER_KEYS", Problem: err.Error()}
		}
		p.Keys = keys
	}
	if cfg.Connectors != "" {
		reg, err := connectors.Load(cfg.Connectors, getenv)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
		}
		if p.Connectors != nil {
			// The dev stack's demo connectors and the file's work side by side; ids must not clash.
			if reg, err = connectors.NewRegistry(append(p.Connectors.List(), reg.List()...)...); err != nil {
				return Product{}, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
			}
		}
		p.Connectors = reg
	}
	if p.Connectors == nil {
		reg, err := connectors.NewRegistry()
		if err != nil {
			return Product{}, err
		}
		p.Connectors = reg
	}
	var err error
	if cfg.Controller != "" {
		p.Controller, err = answer.LoadController(cfg.Controller)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_CONTROLLER", Problem: err.Error()}
		}
	} else if p.Controller, err = answer.ParseController(dsrflow.DemoController); err != nil {
		return Product{}, fmt.Errorf("built-in controller configuration: %w", err)
	}
	return p, nil
}
