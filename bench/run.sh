#!/usr/bin/env bash
# Benchmark: logward against a plain proxy hop, side by side, on this machine.
#
#   bench/run.sh [SECONDS] [CONNECTIONS]      # defaults: 15 s per scenario, 64 connections
#
# Scenarios, each loaded with oha over keep-alive connections:
#   a  the stub upstream directly (what one CloudWatch call costs here)
#   b  nginx proxy_pass in front of the stub (the cost of one plain proxy hop)
#   c  logward, HS256 JWT          d  logward, RS256 JWT
#   e  logward, API key            f  logward, denied requests (403, no upstream call)
# and then: (b) and (c) at half of their peak rate (latency under moderate
# load), and logward's peak RSS while holding 1000 keep-alive connections.
# For each: requests/s, p50/p99/p99.9 latency, CPU seconds per 1000 requests
# of the process under test, its peak RSS. Prints a Markdown report (also
# written to bench/last-run.md).
#
# Needs Postgres on 127.0.0.1:5432 (as for the tests), nginx and oha (installed
# here if missing: apt-get install nginx-light, cargo install oha), openssl,
# python3. Sends traffic only to 127.0.0.1. Not part of CI.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
DURATION="${1:-15}"
CONNS="${2:-64}"
WORK="$(mktemp -d /tmp/logward-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -f "$WORK/nginx.pid" ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
# oha and logward each hold one socket per connection in the 1000-connection run.
ulimit -n 65536 2>/dev/null || ulimit -n 4096
say() { printf 'bench: %s\n' "$*" >&2; }

command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null || {
    say "installing nginx-light"
    apt-get install -y -qq nginx-light >/dev/null
}
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
command -v oha >/dev/null || {
    say "installing oha (cargo install, a few minutes once)"
    cargo install oha --locked --quiet
}

say "building release binaries"
cargo build --release --quiet --bin logward --example stub_upstream
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
    for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    say "nothing answers at $1"; exit 1
}
ticks() { # utime+stime of a process and its children processes, in clock ticks
    local total=0 pid
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
CLK="$(getconf CLK_TCK)"

# --- stub upstream (one worker: it answers instantly) -------------------------
STUB_PORT="$(free_port)"
"$BIN/examples/stub_upstream" "127.0.0.1:$STUB_PORT" 1 >/dev/null 2>&1 &
STUB_PID=$!; PIDS+=("$STUB_PID")
wait_http "http://127.0.0.1:$STUB_PORT/"

# --- nginx: one worker per core, keep-alive to the upstream -------------------
NGINX_PORT="$(free_port)"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    upstream stub { server 127.0.0.1:$STUB_PORT; keepalive 128; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://stub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
wait_http "http://127.0.0.1:$NGINX_PORT/"
NGINX_PIDS=("$(cat "$WORK/nginx.pid")" $(pgrep -P "$(cat "$WORK/nginx.pid")"))

# --- logward against the stub -------------------------------------------------
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists logward_bench with (force)' -c 'create database logward_bench' 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2>/dev/null
openssl pkey -in "$WORK/rsa.pem" -pubout -out "$WORK/rsa.pub.pem"
LW_PORT="$(free_port)"
ADMIN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export HS_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
env -i PATH="$PATH" \
    LOGWARD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/logward_bench \
    LOGWARD_LISTEN="127.0.0.1:$LW_PORT" \
    LOGWARD_ADMIN_TOKEN="$ADMIN" \
    LOGWARD_JWT_HS256_SECRET="$HS_SECRET" \
    LOGWARD_JWT_PUBLIC_KEY_FILE="$WORK/rsa.pub.pem" \
    LOGWARD_AWS_ACCOUNT_ID=123456789012 \
    LOGWARD_RATE_LIMIT_PER_SEC=100000 LOGWARD_RATE_LIMIT_BURST=100000 \
    LOGWARD_KEY_RATE_LIMIT_PER_SEC=100000 LOGWARD_KEY_RATE_LIMIT_BURST=100000 \
    LOGWARD_UPSTREAM_MAX_INFLIGHT=4096 \
    LOGWARD_WORKERS="${LOGWARD_WORKERS:-$(nproc)}" \
    ${MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX="$MALLOC_ARENA_MAX"} \
    LOGWARD_LOG_FORMAT=json LOGWARD_LOG=info \
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:$STUB_PORT" \
    "$BIN/logward" serve >/dev/null 2>"$WORK/logward.log" &
LW_PID=$!; PIDS+=("$LW_PID")
LW="http://127.0.0.1:$LW_PORT"
wait_http "$LW/healthz"
A=(-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json')
curl -sf "${A[@]}" -d '{"id":"bench","name":"Bench"}' "$LW/admin/v1/tenants" >/dev/null
curl -sf "${A[@]}" -X PUT --data-binary @policies/tenant-example-prefix.json "$LW/admin/v1/tenants/bench/policy" >/dev/null
API_KEY="$(curl -sf "${A[@]}" -d '{"name":"bench"}' "$LW/admin/v1/tenants/bench/api-keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
HS_TOKEN="$(python3 scripts/mint_jwt.py --secret-env HS_SECRET --tenant bench --sub bench --ttl 7200)"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
RS_INPUT="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$(printf '{"sub":"bench","tenant":"bench","exp":%s}' $(( $(date +%s) + 7200 )) | b64url)"
RS_TOKEN="$RS_INPUT.$(printf '%s' "$RS_INPUT" | openssl dgst -sha256 -sign "$WORK/rsa.pem" -binary | b64url)"

READ_PATH="/v1/log-groups/%2Fbench%2Fapp/log-streams/web-1/events?startFromHead=true&limit=10"
DENIED_PATH="/v1/log-groups/%2Fother%2Fapp/log-streams/web-1/events?startFromHead=true&limit=10"
for check in "$HS_TOKEN" "$RS_TOKEN" "$API_KEY"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $check" "$LW$READ_PATH")"
    [[ "$code" == 200 ]] || { say "logward answered $code to a warm-up request"; tail -5 "$WORK/logward.log" >&2; exit 1; }
done

# --- load -----------------------------------------------------------------------
# run NAME URL AUTH_HEADER_OR_EMPTY PIDS... -> one Markdown row
declare -A PEAK
run() {
    local name="$1" url="$2" auth="$3" rate="$4"; shift 4
    local before after hdr=() q=()
    [[ -n "$auth" ]] && hdr=(-H "Authorization: Bearer $auth")
    [[ -n "$rate" ]] && q=(-q "$rate")
    oha -z 2s -c "$CONNS" --no-tui "${hdr[@]}" "$url" >/dev/null 2>&1 # warm-up
    before="$(ticks "$@")"
    oha -z "${DURATION}s" -c "$CONNS" --no-tui --output-format json "${q[@]}" "${hdr[@]}" "$url" >"$WORK/$name.json"
    after="$(ticks "$@")"
    python3 - "$WORK/$name.json" "$name" "$((after - before))" "$CLK" "$(hwm_kib "$1")" <<'PY'
import json, sys
path, name, ticks, clk, hwm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
d = json.load(open(path))
s, p = d["summary"], d["latencyPercentiles"]
total = sum(v for k, v in d.get("statusCodeDistribution", {}).items())
rps = s["requestsPerSec"]
ok = ", ".join(f"{k}: {v}" for k, v in sorted(d.get("statusCodeDistribution", {}).items()))
cpu = (ticks / clk) / (total / 1000) if total else float("nan")
ms = lambda x: f"{x * 1000:.2f}"
print(f"| {name} | {rps:,.0f} | {ms(p['p50'])} | {ms(p['p99'])} | {ms(p['p99.9'])} | {cpu:.3f} | {hwm / 1024:.1f} | {ok} |")
PY
}
peak() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"]))' "$WORK/$1.json"; }

HEADER='| scenario | req/s | p50 ms | p99 ms | p99.9 ms | CPU s / 1000 req | peak RSS MiB | statuses |
|---|---:|---:|---:|---:|---:|---:|---|'
{
    echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, ${DURATION}s per scenario, $CONNS connections"
    echo
    echo "Command: \`bench/run.sh $DURATION $CONNS\`. CPU and RSS are of the process under test only"
    echo "(a: the stub; b: nginx master and workers; c-f: logward). The load generator runs on the same cores."
    echo
    echo "$HEADER"
    run "a-stub-direct" "http://127.0.0.1:$STUB_PORT/" "" "" "$STUB_PID"
    run "b-nginx-proxy" "http://127.0.0.1:$NGINX_PORT/" "" "" "${NGINX_PIDS[@]}"
    xacts() { psql -h 127.0.0.1 -U postgres -tAc "select xact_commit + xact_rollback from pg_stat_database where datname = 'logward_bench'"; }
    X_BEFORE="$(xacts)"
    if [[ -n "${PROFILE:-}" ]]; then
        # PROFILE=1: a flat CPU profile of logward during scenario c (perf, software clock);
        # PROFILE=graph: the same with call graphs, reported with inclusive ("children") shares.
        graph=(); [[ "$PROFILE" == graph ]] && graph=(--call-graph dwarf,16384)
        perf record -F 499 "${graph[@]}" -o "$WORK/perf.data" -p "$LW_PID" -- sleep "$((DURATION + 2))" >/dev/null 2>&1 &
        PERF_PID=$!
    fi
    run "c-logward-hs256" "$LW$READ_PATH" "$HS_TOKEN" "" "$LW_PID"
    X_AFTER="$(xacts)"
    if [[ -n "${PROFILE:-}" ]]; then
        wait "$PERF_PID" || true
        report=(--no-children --sort dso,symbol); [[ "$PROFILE" == graph ]] && report=(--children --sort symbol -g none)
        { perf report -i "$WORK/perf.data" "${report[@]}" --stdio 2>/dev/null || true; } |
            grep -v '^#' | sed -e 's/[[:space:]]*-[[:space:]]*-[[:space:]]*$//' -e '/^$/d' | head -150 >"$REPO/bench/last-profile.txt" || true
    fi
    run "d-logward-rs256" "$LW$READ_PATH" "$RS_TOKEN" "" "$LW_PID"
    run "e-logward-api-key" "$LW$READ_PATH" "$API_KEY" "" "$LW_PID"
    run "f-logward-denied" "$LW$DENIED_PATH" "$HS_TOKEN" "" "$LW_PID"
    echo
    C_TOTAL="$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["statusCodeDistribution"].values()))' "$WORK/c-logward-hs256.json")"
    echo "Database transactions on logward's database during scenario c: $((X_AFTER - X_BEFORE)) for $C_TOTAL requests"
    echo "(the batched audit writer and the periodic directory reload; requests themselves make none)."
    echo
    NGINX_HALF=$(( $(peak b-nginx-proxy) / 2 ))
    LW_HALF=$(( $(peak c-logward-hs256) / 2 ))
    echo "At half of each one's peak rate (fixed rate):"
    echo
    echo "$HEADER"
    run "b-nginx-at-$NGINX_HALF-rps" "http://127.0.0.1:$NGINX_PORT/" "" "$NGINX_HALF" "${NGINX_PIDS[@]}"
    run "c-logward-hs256-at-$LW_HALF-rps" "$LW$READ_PATH" "$HS_TOKEN" "$LW_HALF" "$LW_PID"
    echo
    echo "Holding 1000 keep-alive connections (logward, HS256, at 1000 req/s):"
    echo
    echo "$HEADER"
    CONNS=1000 run "c-logward-1000-connections" "$LW$READ_PATH" "$HS_TOKEN" "1000" "$LW_PID"
    echo
    queries="$(psql -h 127.0.0.1 -U postgres -d logward_bench -tAc "select count(*) from audit_events where kind = 'data'")"
    echo "Audit rows written by logward during the run (batched, off the request path): $queries."
} | tee "$REPO/bench/last-run.md"
