#!/usr/bin/env bash
# Benchmark of issue 13: many tenants, one CloudWatch quota.
#
#   bench/quota.sh [E1_SECONDS] [E2_SECONDS]     # defaults: 180 and 60 (per E2 phase)
#
# Starts, on 127.0.0.1: a fresh Postgres database (dropped at the end), a stub
# CloudWatch Logs that enforces per-operation quotas and answers in ~50 ms
# (examples/quota_stub), and logward against it; seeds tenants and policies
# with logward's CLI; then runs the load generator (examples/quota_load):
#   E1  efficiency: 200 portal users over 10 tenants, Zipf over 20 streams,
#       polling every 2 s, 20 % historical paging -> U, upstream calls per
#       1,000 client requests; success rate; p99; throttles received.
#   E2  isolation: a quiet tenant at 1 request/s alone, then beside a noisy
#       tenant at 10x the GetLogEvents budget -> the quiet tenant's success
#       and p99, the noisy tenant's 429s, the upstream's peak calls/s.
# Prints a Markdown report (also written to bench/last-quota-run.md).
#
# Settings (environment): STUB_QUOTAS (the stub's quotas and logward's
# LOGWARD_UPSTREAM_QUOTAS, default CloudWatch's us-east-1 figures),
# QUOTA_SHARE (LOGWARD_UPSTREAM_QUOTA_SHARE, default 0.75), STUB_LATENCY_MS
# (50), TENANT_RATE (each tenant's own request rate limit, default 100000 so
# that the account budget, not the per-tenant bucket, is what E1 and E2
# measure), SCENARIO (e1, e2 or all), QUOTA_LOAD_ARGS (more flags for
# examples/quota_load, e.g. "--users 100 --zipf 1.2"; see its --help; the
# script seeds tenant-01..10, quiet and noisy, so --tenants stays at most 10),
# BUILD=debug (checks the script quickly; no figures from it).
# LOGWARD_UPSTREAM_QUOTAS and _SHARE are passed only to a logward that knows
# them. Needs Postgres on 127.0.0.1:5432 (as for the tests) and
# python3. Sends traffic only to 127.0.0.1. Not part of CI.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
E1_SECS="${1:-180}"
E2_SECS="${2:-60}"
STUB_QUOTAS="${STUB_QUOTAS:-GetLogEvents=25,FilterLogEvents=25,DescribeLogGroups=10,DescribeLogStreams=25,StartQuery=10,GetQueryResults=10}"
QUOTA_SHARE="${QUOTA_SHARE:-0.75}"
STUB_LATENCY_MS="${STUB_LATENCY_MS:-50}"
TENANT_RATE="${TENANT_RATE:-100000}"
DB=logward_quota_bench
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
WORK="$(mktemp -d /tmp/logward-quota.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "${PSQL[@]}" -c "drop database if exists $DB with (force)" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf 'quota-bench: %s\n' "$*" >&2; }

# BUILD=debug checks the script itself quickly; figures come from release builds.
if [[ "${BUILD:-release}" == debug ]]; then
    say "building debug binaries (BUILD=debug: not for figures)"
    cargo build --quiet --bin logward --example quota_stub --example quota_load
    BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug"
else
    say "building release binaries"
    cargo build --release --quiet --bin logward --example quota_stub --example quota_load
    BIN="${CARGO_TARGET_DIR:-$REPO/target}/release"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL [LOG]
    for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    say "nothing answers at $1"
    [[ -n "${2:-}" ]] && tail -5 "$2" >&2
    exit 1
}

TENANTS=(tenant-01 tenant-02 tenant-03 tenant-04 tenant-05 tenant-06 tenant-07 tenant-08 tenant-09 tenant-10 quiet noisy)
GROUP_LIST="$(printf '/%s/app,' "${TENANTS[@]}")"

# --- the stub ------------------------------------------------------------------
STUB_PORT="$(free_port)"
"$BIN/examples/quota_stub" --listen "127.0.0.1:$STUB_PORT" --quotas "$STUB_QUOTAS" \
    --latency-ms "$STUB_LATENCY_MS" --groups "${GROUP_LIST%,}" >"$WORK/stub.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$STUB_PORT/__stats" "$WORK/stub.log"

# --- the database, seeded through the CLI ---------------------------------------
"${PSQL[@]}" -c "drop database if exists $DB with (force)" -c "create database $DB"
export LOGWARD_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
"$BIN/logward" migrate >/dev/null
for t in "${TENANTS[@]}"; do
    "$BIN/logward" tenant create "$t" --name "Bench $t" >/dev/null
    "$BIN/logward" policy put "$t" --file policies/tenant-example-prefix.json >/dev/null
done

# --- logward ---------------------------------------------------------------------
QUOTA_ENV=()
if grep -aq LOGWARD_UPSTREAM_QUOTAS "$BIN/logward"; then
    QUOTA_ENV+=(LOGWARD_UPSTREAM_QUOTAS="$STUB_QUOTAS")
    QUOTA_MODE="LOGWARD_UPSTREAM_QUOTAS=$STUB_QUOTAS"
else
    QUOTA_MODE="none: this logward has no LOGWARD_UPSTREAM_QUOTAS (it forwards every allowed call)"
fi
if grep -aq LOGWARD_UPSTREAM_QUOTA_SHARE "$BIN/logward"; then
    QUOTA_ENV+=(LOGWARD_UPSTREAM_QUOTA_SHARE="$QUOTA_SHARE")
    QUOTA_MODE="$QUOTA_MODE, LOGWARD_UPSTREAM_QUOTA_SHARE=$QUOTA_SHARE"
fi
GLE_QUOTA="$(tr ',' '\n' <<<"$STUB_QUOTAS" | awk -F= '$1 == "GetLogEvents" {print $2}')"
BUDGET="$(python3 -c "print(round(${GLE_QUOTA:-25} * $QUOTA_SHARE, 4))")"
LW_PORT="$(free_port)"
export HS_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
METRICS_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
env -i PATH="$PATH" \
    LOGWARD_DATABASE_URL="$LOGWARD_DATABASE_URL" \
    LOGWARD_LISTEN="127.0.0.1:$LW_PORT" \
    LOGWARD_ADMIN_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')" \
    LOGWARD_JWT_HS256_SECRET="$HS_SECRET" \
    LOGWARD_METRICS_TOKEN="$METRICS_TOKEN" \
    LOGWARD_AWS_ACCOUNT_ID=123456789012 \
    LOGWARD_RATE_LIMIT_PER_SEC="$TENANT_RATE" LOGWARD_RATE_LIMIT_BURST="$TENANT_RATE" \
    LOGWARD_LOG_FORMAT=json LOGWARD_LOG=info \
    "${QUOTA_ENV[@]}" \
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:$STUB_PORT" \
    "$BIN/logward" serve >/dev/null 2>"$WORK/logward.log" &
PIDS+=("$!")
LW="http://127.0.0.1:$LW_PORT"
wait_http "$LW/healthz" "$WORK/logward.log"
check="$(python3 scripts/mint_jwt.py --secret-env HS_SECRET --tenant tenant-01 --sub check --ttl 600)"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $check" \
    "$LW/v1/log-groups/%2Ftenant-01%2Fapp/log-streams/web-01/events?limit=1")"
[[ "$code" == 200 ]] || { say "logward answered $code to a warm-up request"; tail -5 "$WORK/logward.log" >&2; exit 1; }
sleep 1 # the warm-up call leaves the stub's one-second window

# --- load --------------------------------------------------------------------------
say "E1 for ${E1_SECS}s, then E2 for ${E2_SECS}s alone and ${E2_SECS}s with the noisy tenant"
{
    echo "## Quota run of $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src examples bench || echo ' (with uncommitted changes)')"
    echo
    echo "Command: \`bench/quota.sh $E1_SECS $E2_SECS\`. $(nproc) cores shared by the stub, logward, Postgres and"
    echo "the load generator (load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)). Stub: quotas"
    echo "\`$STUB_QUOTAS\` calls/s, ${STUB_LATENCY_MS} ms per answer. logward's account budget: $QUOTA_MODE."
    echo "Each tenant's own rate limit: $TENANT_RATE/s (out of the way)."
    echo
    "$BIN/examples/quota_load" --url "$LW" --stub "http://127.0.0.1:$STUB_PORT" --secret-env HS_SECRET \
        --e1-secs "$E1_SECS" --e2-secs "$E2_SECS" --budget "$BUDGET" --scenario "${SCENARIO:-all}" \
        ${QUOTA_LOAD_ARGS:-}
    # What logward itself counted over the whole run (E1 and E2 together).
    echo "<details><summary>logward's upstream, cache, budget and queue metrics at the end of the run</summary>"
    echo
    echo '```'
    curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "$LW/metrics" |
        grep -E '^logward_[a-z_]*(upstream|cache|budget|quota|throttl|queue|reject|coalesc)' |
        grep -v '_bucket{' || echo "(none)"
    echo '```'
    echo "</details>"
} | tee "$REPO/bench/last-quota-run.md"
