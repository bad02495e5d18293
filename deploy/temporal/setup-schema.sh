#!/bin/sh
# Creates Temporal's databases and applies its schema (runs in temporalio/admin-tools).
# Idempotent: an existing database is kept and only newer schema versions are applied, so it runs
# on every `docker compose up` and after an image upgrade.
# Connection settings come from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

for i in $(seq 1 60); do
	nc -z "$SQL_HOST" "$SQL_PORT" && break
	echo "waiting for $SQL_HOST:$SQL_PORT ($i)"
	sleep 1
done

# database name : embedded schema (temporal-sql-tool update-schema --schema-name)
for pair in temporal:postgresql/v12/temporal temporal_visibility:postgresql/v12/visibility; do
	db=${pair%%:*}
	schema=${pair#*:}
	temporal-sql-tool --db "$db" create-database
	temporal-sql-tool --db "$db" setup-schema -v 0.0
	temporal-sql-tool --db "$db" update-schema --schema-name "$schema"
done
echo "Temporal schema is up to date"
