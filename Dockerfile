# syntax=docker/dockerfile:1
#
# dsrflow: one image, three programs (worker; starter, the API CLI; dsrflow-admin, which runs the
# server commands that starter hands over to it: `starter serve` runs dsrflow-admin serve).
#   docker build -t dsrflow .
#   docker run --rm dsrflow                   # worker (production mode; needs TEMPORAL_ADDRESS, DATABASE_URL)
#   docker run --rm dsrflow starter serve     # the front door
#   docker run --rm dsrflow starter migrate   # apply the store's migrations, then exit
# docker-compose.yml runs the whole set.

# ---- build ----------------------------------------------------------------------------------------
FROM golang:1.26.8-bookworm AS build

WORKDIR /src
# The SQLite driver (modernc.org/sqlite) is pure Go: static binaries, no libc needed at run time.
ENV CGO_ENABLED=0 \
    GOFLAGS=-mod=readonly

# Dependencies first, so editing the code does not re-download modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
# -s -w drops the symbol table and DWARF (worker: ~210 MB -> ~150 MB; it embeds the Temporal server for
# --dev). Panics still print full stack traces.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/worker ./worker && \
    go build -trimpath -ldflags="-s -w" -o /out/starter ./starter && \
    go build -trimpath -ldflags="-s -w" -o /out/dsrflow-admin ./starter/dsrflow-admin

# ---- run ------------------------------------------------------------------------------------------
# bookworm-slim rather than distroless: compose health checks need an HTTP client in the image
# (wget, ~1 MB with its libraries). ca-certificates for TLS to Temporal Cloud / PostgreSQL,
# tzdata for time zones.
FROM debian:bookworm-slim

RUN apt-get update && \
    apt-get install -y --no-install-recommends ca-certificates tzdata wget && \
    rm -rf /var/lib/apt/lists/* && \
    groupadd --system --gid 10001 dsrflow && \
    useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/dsrflow --create-home \
        --shell /usr/sbin/nologin dsrflow

# dsrflow-admin beside starter: starter finds it there for serve, migrate, temporal setup, ...
COPY --from=build /out/worker /out/starter /out/dsrflow-admin /usr/local/bin/

# A writable working directory: `worker --dev` keeps its data in ./.dsrflow (DSR_DATA_DIR).
WORKDIR /var/lib/dsrflow
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

# 8080: starter serve (DSR_HTTP_ADDR); 9091: worker /healthz, /readyz (DSR_WORKER_ADDR).
# Both default to 127.0.0.1 inside the container; set them to 0.0.0.0:... to publish.
EXPOSE 8080 9091

# No ENTRYPOINT: the command names the program (worker, or starter with a subcommand).
CMD ["worker"]
