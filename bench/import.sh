#!/usr/bin/env bash
# Times importing the Shenyang demo grid (2,292 cells, ~1 MB of GeoJSON) through
# POST /api/v1/grid/import against a release build of the server: once into an empty database
# ("fresh") and once more with every cell unchanged ("repeat"). Runs on SQLite, then on PostgreSQL.
#
#   bash bench/import.sh
#
# Environment:
#   AIRGRID_BENCH_POSTGRES_URL  a role that may create databases
#                               (default postgres://airgrid:airgrid@127.0.0.1:5432/airgrid)
#   AIRGRID_BENCH_SKIP_POSTGRES=1  run SQLite only
#
# Each database gets a scratch administrator (created with `airgrid user add`, before the server starts);
# the script signs in as it and sends its access token. Sign-in is not part of the timed requests.
#
# Only loopback traffic. Every wait is bounded; the server, the scratch SQLite file and the scratch
# PostgreSQL database are removed on exit, however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=src/grid/shenyang_grid_demo.geojson
PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-import-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Import-$RANDOM-$$"
export AIRGRID_DATA_DIR="$WORK/data"

source bench/server.sh

# POSTs the demo file; prints "seconds created updated unchanged".
import_once() {
    local out="$WORK/response.json" result status seconds
    result=$(curl -sS --max-time 120 -o "$out" -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/geo+json' --data-binary "@$DEMO" \
        "$BASE/api/v1/grid/import")
    read -r status seconds <<<"$result"
    if [[ "$status" != 200 ]]; then
        echo "import answered HTTP $status:" >&2
        head -c 2000 "$out" >&2
        echo >&2
        return 1
    fi
    local counts
    counts=$(grep -o '"\(created\|updated\|unchanged\)":[0-9]*' "$out" | cut -d: -f2 | tr '\n' ' ')
    echo "$seconds $counts"
}

run_backend() {
    local name=$1 url=$2 run result seconds created updated unchanged
    start_server "$name" "$url"
    for run in fresh repeat; do
        result=$(import_once)
        read -r seconds created updated unchanged <<<"$result"
        ROWS+=("$(printf '%-10s  %-6s  %8.3f  %7s  %7s  %9s' "$name" "$run" "$seconds" "$created" "$updated" \
            "$unchanged")")
    done
    stop_server
}

echo "--- building the release server"
cargo build --release --quiet
[[ -x "$BIN" ]] || { echo "no server binary at $BIN" >&2; exit 1; }

echo "--- SQLite"
run_backend sqlite "sqlite://$WORK/import-bench.db"

if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    echo "--- PostgreSQL"
    PG_DB="airgrid_import_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi

echo
printf '%-10s  %-6s  %8s  %7s  %7s  %9s\n' backend run seconds created updated unchanged
printf '%s\n' "${ROWS[@]}"
features=$(grep -o '"type":"Feature"' "$DEMO" | wc -l)
echo "(demo grid: $features features, $(wc -c <"$DEMO") bytes; target: under 2 s each)"
