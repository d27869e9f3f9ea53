#!/usr/bin/env bash
# Bulk import of vehicle inspections against a release build: bench/inspections.py writes 100,000 realistic
# rows (GB 3847 methods, ~97.7 % passing, positions over Shenyang routed through the grid index); they are
# imported through POST /api/v1/vehicle-inspections/import as a job (from the upload until the job has
# succeeded), then imported again (every row unchanged). In the same run the database loads the same file by
# its own bulk path (PostgreSQL `\copy` through psql; SQLite a prepared INSERT loop in one transaction with
# the service's pragmas, Python's sqlite3) into a table of text columns twice: plain, and with the indexes
# the service's table keeps for its queries, whose upkeep is most of a bulk load's cost. Reports rows/s, the
# ratio to each raw path, the re-import speed-up and the server's peak RSS (VmHWM). SQLite, then PostgreSQL.
#
#   bash bench/vehicles.sh
#
# Environment: AIRGRID_BENCH_POSTGRES_URL (a role that may create databases; default
# postgres://airgrid:airgrid@127.0.0.1:5432/airgrid), AIRGRID_BENCH_SKIP_POSTGRES=1 (SQLite only),
# AIRGRID_BENCH_ROWS (default 100000). Needs python3, curl and psql. Only loopback traffic; servers and
# scratch databases are removed.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${AIRGRID_BENCH_POSTGRES_URL:-postgres://airgrid:airgrid@127.0.0.1:5432/airgrid}"
BIN="${CARGO_TARGET_DIR:-target}/release/airgrid"
COUNT="${AIRGRID_BENCH_ROWS:-100000}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airgrid-vehicles-bench.XXXXXX")
SERVER_PID=""
PG_DB=""
ROWS=()
BENCH_USER=bench-admin
BENCH_PASSWORD="Bench-Vehicles-$RANDOM-$$"
FILE="$WORK/inspections.csv"
export AIRGRID_DATA_DIR="$WORK/data" AIRGRID_STORAGE_URL="$WORK/objects"

source bench/server.sh

now() { date +%s.%N; }

# Uploads the file as a job and waits for it; prints "seconds created unchanged".
import_file() {
    local started answer job status="" summary
    started=$(now)
    answer=$(curl -sS --max-time 600 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
        -H 'Prefer: respond-async' --data-binary "@$FILE" "$BASE/api/v1/vehicle-inspections/import?source=bench")
    job=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$answer" | head -n 1)
    [[ -n "$job" ]] || { echo "the import was not queued: $answer" >&2; return 1; }
    for _ in $(seq 1 6000); do
        summary=$(curl -sS --max-time 30 -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/jobs/$job")
        status=$(sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' <<<"$summary")
        [[ $status == succeeded || $status == failed ]] && break
        sleep 0.1
    done
    [[ $status == succeeded ]] || { echo "the job ended $status: $summary" >&2; return 1; }
    awk -v s="$started" -v e="$(now)" \
        -v c="$(sed -n 's/.*"created":\([0-9]*\).*/\1/p' <<<"$summary")" \
        -v u="$(sed -n 's/.*"unchanged":\([0-9]*\).*/\1/p' <<<"$summary")" 'BEGIN { printf "%.2f %d %d\n", e - s, c, u }'
}

# Loads the file by the database's own bulk path into a table of text columns, plain, or with the indexes
# the service's table has for its queries (record id unique, time, plate, VIN, and the position standing in
# for the cell); prints the seconds it took.
raw_load() {
    local name=$1 url=$2 indexed=$3
    if [[ $name == sqlite ]]; then
        python3 - "${url#sqlite://}" "$FILE" "$indexed" <<'PY'
import csv, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")
db.execute("PRAGMA cache_size = -16384")
table = "raw_indexed" if sys.argv[3] == "1" else "raw_plain"
with open(sys.argv[2], encoding="utf-8") as f:
    rows = csv.reader(f)
    header = next(rows)
    columns = ", ".join(f"c{i + 1} TEXT" for i in range(len(header)))
    db.execute(f"CREATE TABLE {table} ({columns})")
    if sys.argv[3] == "1":
        for i, cols in enumerate(["c1", "c3, c1", "c4, c3", "c6", "c20"]):
            db.execute(f"CREATE {'UNIQUE ' if i == 0 else ''}INDEX {table}_{i} ON {table} ({cols})")
    started = time.perf_counter()
    with db:
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})", rows)
print(f"{time.perf_counter() - started:.2f}")
PY
    else
        local columns started table=raw_plain
        columns=$(head -n 1 "$FILE" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%sc%d text", (i > 1 ? ", " : ""), i }')
        [[ $indexed == 1 ]] && table=raw_indexed
        psql "$url" -q -v ON_ERROR_STOP=1 -c "CREATE TABLE $table ($columns)"
        if [[ $indexed == 1 ]]; then
            psql "$url" -q -v ON_ERROR_STOP=1 -c "CREATE UNIQUE INDEX ON $table (c1)" -c "CREATE INDEX ON $table (c3, c1)" \
                -c "CREATE INDEX ON $table (c4, c3)" -c "CREATE INDEX ON $table (c6)" -c "CREATE INDEX ON $table (c20)"
        fi
        started=$(now)
        psql "$url" -q -v ON_ERROR_STOP=1 -c "\\copy $table FROM '$FILE' WITH (FORMAT csv, HEADER true)"
        awk -v s="$started" -v e="$(now)" 'BEGIN { printf "%.2f\n", e - s }'
    fi
}

run_backend() {
    local name=$1 url=$2 first again plain indexed rss
    AIRGRID_DATABASE_URL="$url" AIRGRID_LOG_FILTER=warn "$BIN" seed demo >"$WORK/seed-$name.log" 2>&1 ||
        { cat "$WORK/seed-$name.log" >&2; return 1; }
    start_server "$name" "$url"
    first=$(import_file)
    again=$(import_file)
    rss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")
    stop_server
    plain=$(raw_load "$name" "$url" 0)
    indexed=$(raw_load "$name" "$url" 1)
    ROWS+=("$(awk -v n="$name" -v c="$COUNT" -v f="$first" -v a="$again" -v p="$plain" -v x="$indexed" -v m="$rss" 'BEGIN {
        split(f, F, " "); split(a, A, " ")
        printf "%-10s  %8.0f  %9.0f  %5.0f%%  %9.0f  %5.0f%%  %9.0f  %6.1fx  %6s  (created %d, then unchanged %d)",
            n, c / F[1], c / p, 100 * p / F[1], c / x, 100 * x / F[1], c / A[1], F[1] / A[1], m, F[2], A[3] }')")
}

command -v psql >/dev/null || { echo "psql is needed" >&2; exit 1; }
echo "--- building the release server; generating $COUNT rows"
cargo build --release --quiet
python3 bench/inspections.py "$COUNT" >"$FILE"
echo "--- SQLite"
run_backend sqlite "sqlite://$WORK/bench.db"
if [[ "${AIRGRID_BENCH_SKIP_POSTGRES:-0}" != 1 ]]; then
    echo "--- PostgreSQL"
    PG_DB="airgrid_vehicles_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    run_backend postgresql "${PG_ADMIN_URL%/*}/$PG_DB"
fi
echo
printf '%-10s  %8s  %9s  %6s  %9s  %6s  %9s  %7s  %6s\n' backend 'api r/s' 'plain r/s' 'ratio' 'index r/s' 'ratio' \
    'again r/s' speedup 'RSS MB'
printf '%s\n' "${ROWS[@]}"
