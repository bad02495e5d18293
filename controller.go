package dsrflow

import _ "embed"

// DemoController is the built-in controller configuration (controller.yaml): the demo group's
// Art. 15 information, used when DSR_CONTROLLER names no file.
//
//go:embed controller.yaml
var DemoController []byte
