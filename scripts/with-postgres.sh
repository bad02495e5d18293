#!/usr/bin/env bash
# with-postgres.sh CMD ARGS... — runs CMD with DSR_TEST_POSTGRES_URL pointing at a PostgreSQL server.
#
# If DSR_TEST_POSTGRES_URL is already set, CMD runs against that server. Otherwise a throwaway cluster is
# created in a temporary directory (trust auth, user postgres, 127.0.0.1 on a free port), CMD runs, and
# the cluster is stopped and removed whatever happens. The exit status is CMD's.
#
# Without PostgreSQL binaries the command runs without PostgreSQL (its tests skip), except when CI=true:
# then this is an error, so CI never silently skips the PostgreSQL tests.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

if [[ -n "${DSR_TEST_POSTGRES_URL:-}" ]]; then
	exec "$@"
fi

# find_bindir prints the directory holding initdb and pg_ctl: pg_config's, else the newest Debian one.
find_bindir() {
	local dir
	if command -v pg_config >/dev/null 2>&1; then
		dir=$(pg_config --bindir 2>/dev/null || true)
		if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
			echo "$dir"
			return
		fi
	fi
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
			echo "$dir"
			return
		fi
	done
}

bindir=$(find_bindir)
if [[ -z "$bindir" ]]; then
	msg="PostgreSQL server binaries (initdb, pg_ctl) not found; install them (Debian: apt-get install postgresql) or set DSR_TEST_POSTGRES_URL"
	if [[ "${CI:-}" == "true" ]]; then
		echo "with-postgres: error: $msg" >&2
		exit 1
	fi
	echo "with-postgres: warning: $msg; running without PostgreSQL" >&2
	exec "$@"
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
	if ! id postgres >/dev/null 2>&1; then
		echo "with-postgres: error: running as root needs the 'postgres' OS user (created by the Debian postgresql package)" >&2
		exit 1
	fi
	as_pg=(runuser -u postgres --)
fi

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 40000))
		# A refused connection means the port is free.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	echo "with-postgres: error: no free port found" >&2
	return 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsr-postgres.XXXXXX")
started=""
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -n "$started" ]]; then
		(cd "$tmp" && "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1) || true
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$tmp/data" "$tmp/sock"
if [[ ${#as_pg[@]} -gt 0 ]]; then
	chown -R postgres: "$tmp"
fi
port=$(free_port)

# cd into the cluster directory: the postgres user may not be allowed into the caller's directory.
if ! (cd "$tmp" && "${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1); then
	echo "with-postgres: error: initdb failed:" >&2
	cat "$tmp/initdb.log" >&2
	exit 1
fi
started=yes
# fsync off: the cluster is thrown away, so durability only costs time.
if ! (cd "$tmp" && "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t 60 \
	-o "-p $port -k '$tmp/sock' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null); then
	echo "with-postgres: error: PostgreSQL did not start:" >&2
	cat "$tmp/postgres.log" >&2
	exit 1
fi

export DSR_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "with-postgres: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

# Not exec: the trap must run after the command to remove the cluster; set -e must not skip it either.
status=0
"$@" || status=$?
exit "$status"
