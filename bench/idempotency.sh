#!/usr/bin/env bash
# The cost of Idempotency-Key per POST: wrk sends `POST /api/v1/grid/cells/{code}/people` (assign a
# responsible person: one transaction with its event) from 32 connections for 10 s, once without a key
# and once with a fresh key on every request, against a release build; SQLite, then PostgreSQL.
#
#   bash bench/idempotency.sh
#
# Environment: AIRGRID_BENCH_POSTGRES_URL (a role that may create databases; default
# postgres://airgrid:airgrid@127.0.0.1:5432/airgrid), AIRGRID_BENCH_SKIP_POSTGRES=1 (SQLite only),
# AIRGRID_BENCH_SECONDS (default 10). Needs wrk (Debian package `wrk`). Only loopback traffic; the
# server and scratch databases are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
SECONDS_PER_RUN="${AIRGRID_BENCH_SECONDS:-10}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-idempotency-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Keys-$RANDOM-$$"
export AIRGRID_DATA_DIR="$WORK/data"

source bench/server.sh

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"name": "王丽", "role": "grid_worker"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local with_key = os.getenv("WITH_KEY") == "1"
local run = tostring(os.time())
local threads = 0
local counter = 0
-- Each thread gets its own number (`id`), so no two requests share a key.
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end
function request()
    if not with_key then return wrk.format() end
    counter = counter + 1
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Idempotency-Key"] = run .. "-" .. id .. "-" .. counter
    return wrk.format(nil, nil, headers, nil)
end
function done(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format("RESULT %.1f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
        latency.mean / 1000, latency:percentile(99) / 1000, non2xx))
end
LUA

run_backend() {
    local name=$1 url=$2 mode result rps mean p99 failed
    start_server "$name" "$url"
    curl -fsS --max-time 30 -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d '{"code":"B1","name":"bench","level":1,"boundary":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}' \
        "$BASE/api/v1/grid/cells"
    for mode in 0 1; do
        result=$(TOKEN="$TOKEN" WITH_KEY=$mode wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s "$WORK/post.lua" \
            "$BASE/api/v1/grid/cells/B1/people" | grep '^RESULT')
        read -r _ rps mean p99 failed <<<"$result"
        ROWS+=("$(printf '%-10s  %-8s  %9s  %8s  %8s  %6s' "$name" "$([[ $mode == 1 ]] && echo key || echo no-key)" \
            "$rps" "$mean" "$p99" "$failed")")
    done
    stop_server
}

echo "--- building the release server"
cargo build --release --quiet
echo "--- SQLite"
run_backend sqlite "sqlite://$WORK/bench.db"
if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    echo "--- PostgreSQL"
    PG_DB="airgrid_idempotency_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi
echo
printf '%-10s  %-8s  %9s  %8s  %8s  %6s\n' backend mode 'req/s' 'mean ms' 'p99 ms' non2xx
printf '%s\n' "${ROWS[@]}"
