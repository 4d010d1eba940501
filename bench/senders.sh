#!/usr/bin/env bash
# The cost of verifying senders and of remembering delivery ids (SPEC §12),
# side by side in one run, on 127.0.0.1 with wrk (a variant of
# bench/ingest.sh: POST of a 1 KiB JSON body, 16 connections):
#   1. a hook without a connection vs the same with a `slack` connection,
#      both sent the same signed request (HMAC-SHA256 over
#      `v0:{timestamp}:{body}`), so that only the verification differs,
#      alternated ROUNDS times so drift on a shared machine hits both;
#   2. a hook remembering delivery ids (`--dedupe-header X-Delivery`, each
#      request a new id) with no id remembered vs 1,000,000 remembered,
#      alternated the same way; a `--no-dedupe` hook beside them.
# For each run: requests per second, p99, and the server's CPU time per
# request (user + system, all threads), which other work on a shared
# machine disturbs far less than throughput. Ratios are the median of the
# per-round ratios (each round's runs are seconds apart).
# Targets: slack within 5% of none; 1,000,000 ids within 10% of none.
#
#   bash bench/senders.sh                  # from the repository root, ~3 minutes
#   DURATION=5 ROUNDS=3 IDS=1000000 bash bench/senders.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION="${DURATION:-3}"     # seconds per wrk run
ROUNDS="${ROUNDS:-7}"         # runs of each configuration, alternated
CONNS="${CONNS:-16}"
IDS="${IDS:-1000000}"         # ids remembered before the last configuration
PORT="${PORT:-18083}"

need wrk wrk sqlite3 sqlite3 curl curl jq jq openssl openssl
build_release

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookq-bench-senders.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOOKQ_DB="$TMP/hookq.db" BENCH_BODY="$TMP/body.json"
unset HOOKQ_NOW HOOKQ_LISTEN

head='{"event":"push","ref":"refs/heads/main","repository":{"id":123456,"full_name":"acme/widgets"},"sender":{"login":"octocat"},"pad":"'
printf '%s%s"}' "$head" "$(printf "%$((1024 - ${#head} - 2))s" | tr ' ' x)" > "$BENCH_BODY"

SECRET=8f742231b10e8888abcd99yyyzzz85a5
SECRET="$SECRET" "$HOOKQ" connections create slack --kind slack --secret-env SECRET >/dev/null
url_of() { echo "http://127.0.0.1:$PORT/wh/$("$HOOKQ" hooks create "$@" --rate-limit 0 --queue-limit 100000000 --json | jq -r .token)"; }
PLAIN=$(url_of plain)
SLACK=$(url_of slack --connection slack)
NODEDUPE=$(url_of nodedupe --no-dedupe)
FRESH=$(url_of fresh --dedupe-header X-Delivery)
FULL=$(url_of full --dedupe-header X-Delivery)

# The Slack signature of the body, at a timestamp that stays within the
# 5-minute tolerance for the whole run.
T=$(date +%s)
printf 'X-Slack-Request-Timestamp: %s\nX-Slack-Signature: v0=%s\n' "$T" \
    "$(printf '%s' "v0:$T:$(cat "$BENCH_BODY")" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')" \
    > "$TMP/slack.headers"

"$HOOKQ" hooks serve --listen "127.0.0.1:$PORT" --quiet > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' -H @"$TMP/slack.headers" -H 'Content-Type: application/json' --data-binary @"$BENCH_BODY" "$SLACK")
[ "$code" = 200 ] || { echo "the signed request got $code" >&2; exit 1; }

declare -A RPS P99 CPUREQ
run=0
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# measure NAME URL [headers file] [ids]: one wrk run, appended to NAME's lists.
measure() {
    local name=$1 url=$2 headers=${3:-} ids=${4:-0} out
    run=$((run + 1))
    local c0 c1; c0=$(cpu_ticks "$SERVER_PID")
    out=$(BENCH_HEADERS="$headers" BENCH_IDS="$ids" BENCH_RUN="$run" \
        wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 5s -s bench/senders.lua "$url" | grep '^WRK ')
    local non; non=$(sed -n 's/.*non2xx3xx=\([0-9]*\).*/\1/p' <<<"$out")
    [ "$non" -eq 0 ] || { echo "$name: $non answers were not 2xx" >&2; exit 1; }
    c1=$(cpu_ticks "$SERVER_PID")
    CPUREQ[$name]+="$(awk -v c=$((c1 - c0)) -v tck="$(getconf CLK_TCK)" -v n="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")" 'BEGIN { printf "%.1f", 1e6 * c / tck / n }') "
    RPS[$name]+="$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$out") "
    P99[$name]+="$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$out") "
    echo "$name: $out" >&2
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

check_quiet
START_QUIET=$QUIET
for _ in $(seq "$ROUNDS"); do
    # The same signed request to both: only the verification differs.
    measure none "$PLAIN" "$TMP/slack.headers"
    measure slack "$SLACK" "$TMP/slack.headers"
done
stored=$(sqlite3 "$HOOKQ_DB" "SELECT count(*) FROM events e JOIN hooks h ON h.id = e.hook_id WHERE h.name = 'slack'")

# 1,000,000 ids remembered by `full`, expiring tomorrow, as the server would
# have written them (it reloads nothing for this: the table is read per commit).
full_id=$(sqlite3 "$HOOKQ_DB" "SELECT id FROM hooks WHERE name = 'full'")
expires=$(( ($(date +%s) + 86400) * 1000 ))
sqlite3 "$HOOKQ_DB" >/dev/null "PRAGMA busy_timeout = 10000;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $IDS)
    INSERT INTO deliveries (hook_id, delivery, expires_at)
    SELECT $full_id, printf('%08x-0000-4000-8000-%012x', abs(random()) % 4294967296, i), $expires FROM n;"
remembered=$(sqlite3 "$HOOKQ_DB" "SELECT count(*) FROM deliveries WHERE hook_id = $full_id")

for _ in $(seq "$ROUNDS"); do
    measure no-dedupe "$NODEDUPE" "" 1
    measure "0 ids" "$FRESH" "" 1
    measure "$IDS ids" "$FULL" "" 1
done
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
dups=$(sqlite3 "$HOOKQ_DB" "SELECT sum(duplicates) FROM hooks")

# The median over rounds of A's figure / B's, in the same round.
ratio() {
    paste <(tr ' ' '\n' <<<"$1" | grep .) <(tr ' ' '\n' <<<"$2" | grep .) |
        awk '{ print $1 / $2 }' | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
{
    echo "## senders $(date -u +%Y-%m-%dT%H:%MZ) $(revision)"
    echo "$(nproc) CPUs, $START_QUIET; wrk -t2 -c$CONNS -d${DURATION}s, 1 KiB JSON, $ROUNDS alternated rounds"
    echo
    echo "| hook | req/s (median) | p99 ms (median) | server CPU us/request (median) | runs (req/s) |"
    echo "| --- | --- | --- | --- | --- |"
    for name in none slack no-dedupe "0 ids" "$IDS ids"; do
        echo "| $name | $(median "${RPS[$name]}") | $(median "${P99[$name]}") | $(median "${CPUREQ[$name]}") | ${RPS[$name]}|"
    done
    echo
    echo "slack / none, per round: req/s $(ratio "${RPS[slack]}" "${RPS[none]}") (target >= 0.95), CPU per request $(ratio "${CPUREQ[slack]}" "${CPUREQ[none]}"); $stored signed events stored"
    echo "$IDS ids / 0 ids, per round: req/s $(ratio "${RPS[$IDS ids]}" "${RPS[0 ids]}") (target >= 0.90), CPU per request $(ratio "${CPUREQ[$IDS ids]}" "${CPUREQ[0 ids]}"); 0 ids / no-dedupe: req/s $(ratio "${RPS[0 ids]}" "${RPS[no-dedupe]}"), CPU per request $(ratio "${CPUREQ[0 ids]}" "${CPUREQ[no-dedupe]}"); $remembered ids remembered, $dups duplicates"
}
