#!/usr/bin/env bash
# drills.sh — dsrflow's fault drills (internal/drills, build tag `drills`) and fuzz runs; each drill
# prints `drill NAME: requests=N completed=N lost=0 duplicate_effects=0`. DRILL_SHORT=1 is the short
# form (fewer requests, 5 s per fuzz target); DRILLS is a regexp of drill names (Kill9, BadInput,
# ConnectorOutage, StoreOutage, Replicas, Cluster, GracefulStop); FUZZTIME overrides the time per fuzz target. The full log is in bin/drills.log.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
DRILLS=${DRILLS:-.*}
if [[ -n "${DRILL_SHORT:-}" ]]; then
	FUZZTIME=${FUZZTIME:-5s}
else
	FUZZTIME=${FUZZTIME:-30s}
fi
mkdir -p bin
log=bin/drills.log
: >"$log"
start=$(date +%s)

status=0
"$GO" test -tags drills -count=1 -timeout 30m -run "^TestDrill($DRILLS)\$" -v ./internal/drills >>"$log" 2>&1 || status=$?
grep -E '^drill ' "$log" || true
if [[ $status -eq 0 ]] && ! grep -qE '^drill ' "$log"; then
	echo "no drill matches DRILLS=$DRILLS" >&2
	status=1
fi
if [[ $status -ne 0 ]]; then
	echo "drills failed; from $log:" >&2
	grep -E -- '--- FAIL|_test.go:[0-9]+:|^panic|^FAIL' "$log" | head -40 >&2
	exit "$status"
fi

# Fuzz targets: the connector protocol's callback decoder, the deadline arithmetic, the intake validator.
for target in ./connectors:FuzzReadCallback ./internal/deadline:FuzzCompute ./internal/web:FuzzValidateRequest; do
	pkg=${target%%:*} name=${target##*:}
	if ! "$GO" test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -timeout 10m "$pkg" >>"$log" 2>&1; then
		echo "fuzz $name failed; the failing input is under $pkg/testdata/fuzz/$name; from $log:" >&2
		tail -30 "$log" >&2
		exit 1
	fi
	echo "fuzz $name: $FUZZTIME, no failure"
done
echo "drills done in $(($(date +%s) - start)) s"
