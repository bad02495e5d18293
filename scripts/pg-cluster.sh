#!/usr/bin/env bash
# pg-cluster.sh init|start|stop|destroy DIR — a throwaway PostgreSQL cluster in DIR that a fault drill
# can stop and start under a running dsrflow (scripts/with-postgres.sh owns its cluster for a whole
# command; this one is driven step by step). init creates it and prints its URL; the port is kept in
# DIR/port. Trust auth, user postgres, 127.0.0.1 only. As root, the cluster runs as the postgres user.
set -euo pipefail
cmd=${1:-} dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
	echo "usage: $0 init|start|stop|destroy DIR" >&2
	exit 2
fi

bindir=""
if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/pg_ctl" ]]; then
	bindir=$(pg_config --bindir)
else
	bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)
fi
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
	echo "pg-cluster: PostgreSQL server binaries (initdb, pg_ctl) not found" >&2
	exit 3
fi
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
	as_pg=(runuser -u postgres --)
fi
pgctl() { (cd "$dir" && "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" "$@"); }

case "$cmd" in
init)
	mkdir -p "$dir/data" "$dir/sock"
	if [[ ${#as_pg[@]} -gt 0 ]]; then chown -R postgres: "$dir"; fi
	(cd "$dir" && "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1)
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' >"$dir/port"
	echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres?sslmode=disable"
	;;
start)
	pgctl -l "$dir/postgres.log" -w -t 60 -o "-p $(cat "$dir/port") -k '$dir/sock' -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
	;;
stop)
	# fast: what an operator's restart or a crashed server looks like to clients (connections cut).
	pgctl -m fast -w stop >/dev/null
	;;
destroy)
	pgctl -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 init|start|stop|destroy DIR" >&2
	exit 2
	;;
esac
