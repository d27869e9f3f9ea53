#!/usr/bin/env bash
# Reporting incidents under load, against a release build on the Shenyang demo grid: wrk sends
# `POST /api/v1/incidents` (routed through the grid index, a fresh Idempotency-Key on every request) from 32
# connections for 10 s; then the database alone runs the statements one report runs, one transaction per
# report, at the same concurrency (pgbench with bench/report.pgbench on PostgreSQL, the report_statements
# bench on SQLite). The ratio of the two rates is what everything airgrid adds costs. SQLite, then PostgreSQL.
#
#   bash bench/incidents.sh
#
# Environment: AIRGRID_BENCH_POSTGRES_URL (a role that may create databases; default
# postgres://airgrid:airgrid@127.0.0.1:5432/airgrid), AIRGRID_BENCH_SKIP_POSTGRES=1 (SQLite only),
# AIRGRID_BENCH_SECONDS (default 10), AIRGRID_BENCH_CLIENTS (default 32). Needs wrk and pgbench (Debian
# packages `wrk`, `postgresql-contrib`). Only loopback traffic; servers and scratch databases are removed.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
SECONDS_PER_RUN="${AIRGRID_BENCH_SECONDS:-10}"
CLIENTS="${AIRGRID_BENCH_CLIENTS:-32}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-incidents-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Reports-$RANDOM-$$"
# A community of 和平区 in the demo grid: the baseline's statements route there.
CELL=210102001002
export AIRGRID_DATA_DIR="$WORK/data" AIRGRID_STORAGE_URL="$WORK/objects"

source bench/server.sh

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

cat >"$WORK/report.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local run = tostring(os.time())
local threads = 0
local counter = 0
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end
function init()
    math.randomseed(os.time() * 100 + id)
end
-- Points over central Shenyang (和平, 沈河, 大东, 皇姑, 铁西), each a new report with its own key.
function request()
    counter = counter + 1
    local lon = 123.33 + math.random() * 0.15
    local lat = 41.75 + math.random() * 0.10
    local body = string.format('{"category":"open_burning","description":"河边焚烧垃圾","lon":%.6f,"lat":%.6f,'
        .. '"accuracy_m":10,"occurred_at":"2026-12-01 09:20:00"}', lon, lat)
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Idempotency-Key"] = run .. "-" .. id .. "-" .. counter
    return wrk.format(nil, nil, headers, body)
end
function done(summary, latency, requests)
    io.write(string.format("RESULT %.1f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
        latency.mean / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
LUA

row() {
    ROWS+=("$(printf '%-10s  %-9s  %9s  %8s  %8s  %6s' "$@")")
}

run_backend() {
    local name=$1 url=$2 result rps mean p99 failed account base_rps
    AIRGRID_DATABASE_URL="$url" AIRGRID_LOG_FILTER=warn "$BIN" seed demo >"$WORK/seed-$name.log" 2>&1 ||
        { cat "$WORK/seed-$name.log" >&2; return 1; }
    start_server "$name" "$url"
    result=$(TOKEN="$TOKEN" wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" -s "$WORK/report.lua" \
        "$BASE/api/v1/incidents" | grep '^RESULT')
    read -r _ rps mean p99 failed <<<"$result"
    row "$name" api "$rps" "$mean" "$p99" "$failed"
    API_RPS=$rps
    stop_server
    account=$(sed -n 's/.*with id \([0-9a-f-]*\).*/\1/p' "$WORK/user-$name.log")
    if [[ $name == sqlite ]]; then
        result=$(AIRGRID_BENCH_DB="${url#sqlite://}" AIRGRID_BENCH_ACCOUNT="$account" AIRGRID_BENCH_CELL="$CELL" \
            AIRGRID_BENCH_CLIENTS="$CLIENTS" AIRGRID_BENCH_SECONDS="$SECONDS_PER_RUN" \
            cargo bench --quiet --bench report_statements | grep '^RESULT')
        read -r _ base_rps mean p99 <<<"$result"
    else
        sed -e "s/ACCOUNT/$account/g" -e "s/CELL/$CELL/g" bench/report.pgbench >"$WORK/report.pgbench"
        result=$(pgbench -n -M simple -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -r -f "$WORK/report.pgbench" "$url" 2>&1)
        base_rps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$result" | head -n 1)
        mean=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$result")
        p99="-"
    fi
    row "$name" database "$base_rps" "$mean" "$p99" 0
    ROWS+=("$(awk -v n="$name" -v a="$API_RPS" -v b="$base_rps" 'BEGIN { printf "%-10s  api / database = %.0f%%", n, 100 * a / b }')")
}

echo "--- building the release server and the SQLite baseline"
cargo build --release --quiet
cargo bench --quiet --bench report_statements --no-run 2>/dev/null
echo "--- SQLite"
run_backend sqlite "sqlite://$WORK/bench.db"
if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    command -v pgbench >/dev/null || { echo "pgbench is needed (apt-get install postgresql-contrib)" >&2; exit 1; }
    echo "--- PostgreSQL"
    PG_DB="airgrid_incidents_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi
echo
printf '%-10s  %-9s  %9s  %8s  %8s  %6s\n' backend what 'reports/s' 'mean ms' 'p99 ms' non2xx
printf '%s\n' "${ROWS[@]}"
