// Package drills holds dsrflow's fault drills: each runs the real product, breaks something on purpose
// and ends with an exact accounting line, `drill NAME: requests=N completed=N lost=0 duplicate_effects=0`.
// They are slow and need built binaries, so they are behind the `drills` build tag and run by
// `make drills` (DRILL_SHORT=1 for the short form), never by `go test ./...`.
package drills
