#!/usr/bin/env bash
# Authenticated reads against the bare server: wrk runs `GET /healthz` and then `GET /api/v1/grid/locate`
# (a token, random points over central Shenyang on the demo grid, answered from the grid index and the
# account and people caches) from 32 connections for 10 s each, against a release build; SQLite, then
# PostgreSQL. Locate should reach at least half the /healthz rate.
#
#   bash bench/locate.sh
#
# Environment: AIRGRID_BENCH_POSTGRES_URL (a role that may create databases; default
# postgres://airgrid:airgrid@127.0.0.1:5432/airgrid), AIRGRID_BENCH_SKIP_POSTGRES=1 (SQLite only),
# AIRGRID_BENCH_SECONDS (default 10). Needs wrk. Only loopback traffic; everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
SECONDS_PER_RUN="${AIRGRID_BENCH_SECONDS:-10}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-locate-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Locate-$RANDOM-$$"
export AIRGRID_DATA_DIR="$WORK/data" AIRGRID_STORAGE_URL="$WORK/objects"

source bench/server.sh

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

cat >"$WORK/locate.lua" <<'LUA'
local token = os.getenv("TOKEN")
if token then wrk.headers["Authorization"] = "Bearer " .. token end
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end
function init()
    math.randomseed(os.time() * 100 + id)
end
function request()
    if not token then return wrk.format("GET", "/healthz") end
    local path = string.format("/api/v1/grid/locate?lon=%.6f&lat=%.6f", 123.33 + math.random() * 0.15,
        41.75 + math.random() * 0.10)
    return wrk.format("GET", path)
end
function done(summary, latency, requests)
    io.write(string.format("RESULT %.1f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
        latency.mean / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
LUA

run_backend() {
    local name=$1 url=$2 result rps mean p99 failed health
    AIRGRID_DATABASE_URL="$url" AIRGRID_LOG_FILTER=warn "$BIN" seed demo >"$WORK/seed-$name.log" 2>&1 ||
        { cat "$WORK/seed-$name.log" >&2; return 1; }
    start_server "$name" "$url"
    result=$(wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s "$WORK/locate.lua" "$BASE" | grep '^RESULT')
    read -r _ health mean p99 failed <<<"$result"
    ROWS+=("$(printf '%-10s  %-8s  %9s  %8s  %8s  %6s' "$name" /healthz "$health" "$mean" "$p99" "$failed")")
    result=$(TOKEN="$TOKEN" wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s "$WORK/locate.lua" "$BASE" | grep '^RESULT')
    read -r _ rps mean p99 failed <<<"$result"
    ROWS+=("$(printf '%-10s  %-8s  %9s  %8s  %8s  %6s' "$name" locate "$rps" "$mean" "$p99" "$failed")")
    ROWS+=("$(awk -v n="$name" -v a="$rps" -v b="$health" 'BEGIN { printf "%-10s  locate / healthz = %.0f%%", n, 100 * a / b }')")
    stop_server
}

echo "--- building the release server"
cargo build --release --quiet
echo "--- SQLite"
run_backend sqlite "sqlite://$WORK/bench.db"
if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    echo "--- PostgreSQL"
    PG_DB="airgrid_locate_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi
echo
printf '%-10s  %-8s  %9s  %8s  %8s  %6s\n' backend path 'req/s' 'mean ms' 'p99 ms' non2xx
printf '%s\n' "${ROWS[@]}"
