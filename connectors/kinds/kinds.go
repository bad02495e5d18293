// Package kinds registers dsrflow's built-in connector kinds. A program that reads connectors.yaml or
// opens connectors imports it for its side effect:
//
//	import _ "github.com/dsrflow/dsrflow/connectors/kinds"
//
// A new kind is a package that calls connectors.Register in its init, plus one line here.
package kinds

import (
	_ "github.com/dsrflow/dsrflow/connectors/httpkind" // kind: http, protocol v1
	_ "github.com/dsrflow/dsrflow/connectors/manual"   // kind: manual, tasks for a team
	_ "github.com/dsrflow/dsrflow/connectors/postgres" // kind: postgres, a database dsrflow acts on
	_ "github.com/dsrflow/dsrflow/connectors/rest"     // kind: rest, a SaaS API described in connectors.yaml
)
