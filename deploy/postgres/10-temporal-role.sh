#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d). Creates the role Temporal's schema job and server use; the job
# then creates the `temporal` and `temporal_visibility` databases itself. dsrflow's own database
# (POSTGRES_DB) and its owner (POSTGRES_USER) are created by the image.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
