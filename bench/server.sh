# Shared by the load scripts: start a release server on a scratch database, sign in, stop it, clean up.
# The caller sets WORK, BIN, PG_ADMIN_URL, BENCH_USER, BENCH_PASSWORD and PG_DB (empty) before sourcing.

cleanup() {
    stop_server
    if [[ -n "$PG_DB" ]]; then
        psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" \
            >/dev/null 2>&1 || echo "warning: could not drop scratch database $PG_DB" >&2
        PG_DB=""
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# Creates the scratch administrator, starts the server on a free loopback port (the OS picks it; the
# server logs it), waits for /readyz and signs in.
start_server() {
    local name=$1 url=$2 log="$WORK/server-$1.log" port="" answer
    AIRGRID_DATABASE_URL="$url" AIRGRID_LOG_FILTER=warn "$BIN" user add --username "$BENCH_USER" \
        --password "$BENCH_PASSWORD" --role admin >"$WORK/user-$name.log" 2>&1 ||
        { cat "$WORK/user-$name.log" >&2; echo "$name: could not create the scratch administrator" >&2; return 1; }
    AIRGRID_DATABASE_URL="$url" AIRGRID_LISTEN=127.0.0.1:0 AIRGRID_LOG_FORMAT=json AIRGRID_LOG_FILTER=info \
        AIRGRID_SHUTDOWN_TIMEOUT_SECS=5 "$BIN" serve >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        port=$(grep -o '"port":[0-9]*' "$log" | head -n 1 | cut -d: -f2 || true)
        [[ -n "$port" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "the server exited" >&2; return 1; }
        sleep 0.1
    done
    [[ -n "$port" ]] || { cat "$log" >&2; echo "the server did not start within 30 s" >&2; return 1; }
    BASE="http://127.0.0.1:$port"
    local ready=""
    for _ in $(seq 1 300); do
        curl -fsS --max-time 2 "$BASE/readyz" >/dev/null 2>&1 && { ready=1; break; }
        sleep 0.1
    done
    [[ -n "$ready" ]] || { cat "$log" >&2; echo "$name: /readyz did not answer within 30 s" >&2; return 1; }
    answer=$(curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary @- "$BASE/api/v1/auth/token" \
        <<<"{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}")
    TOKEN=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$answer")
    [[ -n "$TOKEN" ]] || { echo "$name: sign-in failed: $answer" >&2; return 1; }
}

