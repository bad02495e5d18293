#!/bin/sh
# Registers the namespace dsrflow uses (runs in temporalio/admin-tools once the server answers).
# temporalio/server, unlike the old auto-setup image, creates no namespace. dsrflow's worker
# registers its own search attributes in it at start.
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${RETENTION:=720h}"

i=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
		exit 1
	fi
	sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
	echo "namespace $NAMESPACE exists"
else
	temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$TEMPORAL_ADDRESS"
	echo "namespace $NAMESPACE created"
fi
