#!/usr/bin/env bash
# A year of hourly air-quality readings for 100 stations (876,000 rows) against a release build: the stations
# are registered over Shenyang's demo grid, one CSV of the year is imported through
# POST /api/v1/air-readings/import (one transaction, every station-day's statistics computed), imported
# again (every row unchanged), then the year's figures (GET /api/v1/stats/air-quality) and the city's daily
# AQI for the year are read. Reports rows/s of both imports, the seconds of each read, and the server's peak
# RSS (VmHWM). SQLite, then PostgreSQL.
#
#   bash bench/air.sh
#
# Environment: AIRGRID_BENCH_POSTGRES_URL (a role that may create databases; default
# postgres://airgrid:airgrid@127.0.0.1:5432/airgrid), AIRGRID_BENCH_SKIP_POSTGRES=1 (SQLite only),
# AIRGRID_BENCH_STATIONS (default 100). Needs python3, curl and psql. Only loopback traffic; servers and
# scratch databases are removed.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
STATIONS="${AIRGRID_BENCH_STATIONS:-100}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-air-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Air-$RANDOM-$$"
FILE="$WORK/readings.csv"
export AIRGRID_DATA_DIR="$WORK/data" AIRGRID_STORAGE_URL="$WORK/objects"

source bench/server.sh

now() { date +%s.%N; }

# 2025, every hour of every station: a winter-heavy PM cycle with noise, CO in mg/m³ with two decimals.
python3 - "$STATIONS" "$FILE" <<'PY'
import datetime, math, random, sys
stations, path = int(sys.argv[1]), sys.argv[2]
random.seed(2025)
start = datetime.datetime(2025, 1, 1, 1)
with open(path, "w") as f:
    f.write("station_code,time,so2,no2,co,o3,pm10,pm2_5\n")
    for s in range(stations):
        code = f"B{s:03d}"
        for h in range(365 * 24):
            t = start + datetime.timedelta(hours=h)
            season = 1 + 0.8 * math.cos(2 * math.pi * h / (365 * 24))
            pm25 = max(1, int(random.gauss(30 * season, 12)))
            f.write(f"{code},{t:%Y-%m-%d %H:%M},{random.randint(4, 20)},{random.randint(10, 50)},"
                    f"{random.uniform(0.3, 1.5):.2f},{random.randint(20, 160)},{int(pm25 * 1.7)},{pm25}\n")
PY
BYTES=$(stat -c %s "$FILE")
COUNT=$(( $(wc -l <"$FILE") - 1 ))
echo "$COUNT rows, $((BYTES / 1024 / 1024)) MiB"

create_stations() {
    for s in $(seq 0 $((STATIONS - 1))); do
        local code lon lat
        code=$(printf 'B%03d' "$s")
        lon=$(awk -v s="$s" 'BEGIN { printf "%.4f", 123.30 + (s % 10) * 0.02 }')
        lat=$(awk -v s="$s" 'BEGIN { printf "%.4f", 41.76 + int(s / 10) * 0.008 }')
        curl -fsS --max-time 30 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            --data-binary "{\"code\":\"$code\",\"name\":\"站点$code\",\"kind\":\"national\",\"lon\":$lon,\"lat\":$lat,\"active_from\":\"2013-01-01\"}" \
            "$BASE/api/v1/air-stations" >/dev/null
    done
}

# Prints the seconds a request took; fails on an error answer.
timed() {
    local started
    started=$(now)
    curl -fsS --max-time 3600 -H "Authorization: Bearer $TOKEN" "$@" >"$WORK/answer.json" ||
        { cat "$WORK/answer.json" >&2; return 1; }
    awk -v s="$started" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'
}

run_backend() {
    local name=$1 url=$2 first again stats daily rss
    AIRGRID_DATABASE_URL="$url" AIRGRID_LOG_FILTER=warn "$BIN" seed demo >"$WORK/seed-$name.log" 2>&1 ||
        { cat "$WORK/seed-$name.log" >&2; return 1; }
    start_server "$name" "$url"
    create_stations
    first=$(timed -H 'Content-Type: text/csv' --data-binary "@$FILE" "$BASE/api/v1/air-readings/import?source=bench")
    grep -q "\"created\":$COUNT" "$WORK/answer.json" || { cat "$WORK/answer.json" >&2; return 1; }
    again=$(timed -H 'Content-Type: text/csv' --data-binary "@$FILE" "$BASE/api/v1/air-readings/import?source=bench")
    grep -q "\"unchanged\":$COUNT" "$WORK/answer.json" || { cat "$WORK/answer.json" >&2; return 1; }
    stats=$(timed "$BASE/api/v1/stats/air-quality?year=2025")
    grep -q '"valid_days":365' "$WORK/answer.json" || { cat "$WORK/answer.json" >&2; return 1; }
    daily=$(timed "$BASE/api/v1/air-quality/daily?from=2025-01-01&to=2025-12-31")
    rss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")
    stop_server
    ROWS+=("$(awk -v n="$name" -v c="$COUNT" -v f="$first" -v a="$again" -v s="$stats" -v d="$daily" -v m="$rss" 'BEGIN {
        printf "%-10s  %9.0f  %9.0f  %8.2f  %8.2f  %7s", n, c / f, c / a, s, d, m }')")
}
run_backend sqlite "sqlite://$WORK/bench.db"
if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    echo "--- PostgreSQL"
    PG_DB="airgrid_air_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi
echo
printf '%-10s  %9s  %9s  %8s  %8s  %7s\n' backend 'import/s' 'again/s' 'stats s' 'daily s' 'RSS MB'
printf '%s\n' "${ROWS[@]}"
