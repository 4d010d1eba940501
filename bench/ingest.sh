#!/usr/bin/env bash
# Ingest throughput and latency of `hookq hooks serve`, side by side with its
# ceiling (a bare tiny_http responder, bench/bare_responder.rs) and
# adnanh/webhook, all on 127.0.0.1:
#   - wrk, POST of a 1 KiB JSON body, 16 connections, 10 s, against each;
#   - every acknowledged request stored: events in the database vs wrk's 2xx;
#   - open-loop latency at a fixed 2,000 req/s (bench/loadgen.rs);
#   - peak RSS (VmHWM) of each server;
#   - the wrk run again with 1,000,000 events already queued;
#   - this disk's fsync latency and the writer's ceiling without HTTP
#     (bench/commit_cost.rs), for reading the figures;
#   - with PostgreSQL installed, the wrk run against hookq on PostgreSQL
#     (a throwaway cluster of .ci/postgres.sh, durable commits): one
#     server, then two sharing the database with wrk's threads spread over
#     both (docs/scaling.md), with PostgreSQL's own CPU beside hookq's.
# Targets: hookq >= 0.6x bare, >= 2x webhook, p99 <= 5 ms at 2,000 req/s,
# RSS <= 50 MB.
#
# tiny_http hands each keep-alive connection to one pool thread for the
# connection's whole life. Upstream's pool did not grow for a burst of
# connections (util/task_pool.rs `spawn` queued a connection while a woken
# thread was still counted idle): of wrk's 16 connections, opened together,
# 12 waited unserved. Patch 7 of vendor/tiny_http fixes that; the `starved`
# column (connections that got no byte read mid-run) checks it stays fixed,
# and hookq is measured both cold (wrk's burst as it comes) and with its
# pool warmed first (loadgen opens the connections one by one).
#
#   bash bench/ingest.sh                 # from the repository root, ~2 minutes
#   DURATION=5 PREFILL=100000 bash bench/ingest.sh
#   WAIT_QUIET=120 bash bench/ingest.sh  # shared machine: wait up to 2 min for idle CPUs
#   PG=0 bash bench/ingest.sh            # without the PostgreSQL rows (PG=1: required)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION="${DURATION:-10}"        # seconds per load run
CONNS="${CONNS:-16}"              # connections, for wrk and loadgen
RATE="${RATE:-2000}"              # loadgen's fixed rate, req/s
PREFILL="${PREFILL:-1000000}"     # events queued before the last run (0: skip)
PORT_HOOKQ="${PORT_HOOKQ:-18080}"
PORT_BARE="${PORT_BARE:-18081}"
PORT_WEBHOOK="${PORT_WEBHOOK:-18082}"
PORT_HOOKQ2="${PORT_HOOKQ2:-18083}"  # the second server on PostgreSQL

need wrk wrk webhook webhook sqlite3 sqlite3 curl curl jq jq ss iproute2
build_release bare_responder loadgen commit_cost
THREADS=$((8 * $(nproc)))         # hookq's default request threads

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookq-bench-ingest.XXXXXX")
SERVER_PID=""
SERVER_PID2=""
PG_URL=""
COUNT_PG=""   # set: events() counts in PostgreSQL
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$SERVER_PID2" ]; then kill "$SERVER_PID2" 2>/dev/null || true; wait "$SERVER_PID2" 2>/dev/null || true; fi
    if [ -n "$PG_URL" ]; then bash .ci/postgres.sh stop "$PG_URL" || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOOKQ_DB="$TMP/hookq.db" BENCH_BODY="$TMP/body.json"
unset HOOKQ_NOW HOOKQ_LISTEN

for port in "$PORT_HOOKQ" "$PORT_BARE" "$PORT_WEBHOOK" "$PORT_HOOKQ2"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use; set PORT_HOOKQ/PORT_BARE/PORT_WEBHOOK/PORT_HOOKQ2" >&2; exit 1
    fi
done

# The body: a 1 KiB JSON object (the same shape loadgen sends).
head='{"event":"push","ref":"refs/heads/main","repository":{"id":123456,"full_name":"acme/widgets"},"sender":{"login":"octocat"},"pad":"'
printf '%s%s"}' "$head" "$(printf "%$((1024 - ${#head} - 2))s" | tr ' ' x)" > "$BENCH_BODY"
jq -e . "$BENCH_BODY" >/dev/null && [ "$(wc -c < "$BENCH_BODY")" -eq 1024 ]

log() { printf '\n--- %s\n' "$*" >&2; }

# Start a server in the background and wait until URL answers.
start_server() {
    local url=$1; shift
    "$@" > "$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "$url" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start: $*" >&2; cat "$TMP/server.log" >&2; exit 1
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }     # utime + stime, all threads
# The hookq servers running (one, or two on PostgreSQL), and PostgreSQL.
servers_ticks() {
    local t
    t=$(cpu_ticks "$SERVER_PID")
    if [ -n "$SERVER_PID2" ]; then t=$((t + $(cpu_ticks "$SERVER_PID2"))); fi
    echo "$t"
}
cluster_ticks() { if [ -n "$PG_URL" ]; then pg_ticks "$PG_URL"; else echo 0; fi; }
hwm_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
events() {
    if [ -n "$COUNT_PG" ]; then psql -X -At "$PG_URL" -c 'SELECT count(*) FROM events'
    else sqlite3 "$HOOKQ_DB" 'SELECT count(*) FROM events'; fi
}

# Open CONNS connections one after the other (loadgen staggers them), so a
# tiny_http server has a pool thread for each when wrk connects.
warm_pool() {
    "$EXAMPLES/loadgen" --url "$1" --rate 1000 --connections "$CONNS" --duration 0.5 >/dev/null || true
}

# Server-side connections on PORT that received no byte in half a second in
# the middle of a wrk run: wrk always has a request out on each connection,
# so such a connection's request is sitting unread.
conn_bytes() {
    ss -Htni state established "( sport = :$1 )" | awk '
        /^[0-9]/ { peer = $4; next }
        { for (i = 1; i <= NF; i++) if ($i ~ /^bytes_received:/) { split($i, kv, ":"); print peer, kv[2] } }' | sort
}
starved() {
    local a b
    a=$(conn_bytes "$1"); sleep 0.5; b=$(conn_bytes "$1")
    join <(echo "$a") <(echo "$b") | awk '$2 == $3 { n++ } END { print n + 0 }'
}

declare -A RPS REQ NON BAD P50 P99 CPU WRKCPU OTHER RSS LOAD OK2XX STORED STARVED PGCPU

# run_wrk NAME URL: wrk against the running server, results into the arrays.
# CPU columns: the server's CPU time, wrk's, and that of every process
# outside this script (other builds and tests), over the wall time;
# 100% = one core.
run_wrk() {
    local name=$1 url=$2 port c0 c1 o0 o1 p0 p1 out w wrk_pid
    port=${url#http://127.0.0.1:}; port=${port%%/*}
    LOAD[$name]=$(load1)
    c0=$(servers_ticks); o0=$(others_ticks); p0=$(cluster_ticks)
    TIMEFORMAT='%U %S'
    { time wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 5s -s bench/post.lua "$url" > "$TMP/wrk.out"; } 2> "$TMP/wrk.time" &
    wrk_pid=$!
    sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
    STARVED[$name]=$(starved "$port")
    wait "$wrk_pid"
    c1=$(servers_ticks); o1=$(others_ticks); p1=$(cluster_ticks)
    cat "$TMP/wrk.out" >&2
    out=$(grep '^WRK ' "$TMP/wrk.out")
    RPS[$name]=$(field "$out" rps); REQ[$name]=$(field "$out" requests); NON[$name]=$(field "$out" non2xx3xx)
    OK2XX[$name]=$(( REQ[$name] - NON[$name] ))   # wrk counts status > 399 as errors; hookq sends no 3xx
    BAD[$name]=$(( NON[$name] + $(field "$out" connect) + $(field "$out" read) + $(field "$out" write) + $(field "$out" timeout) ))
    P50[$name]=$(field "$out" p50_ms); P99[$name]=$(field "$out" p99_ms)
    w=$(awk '{ print $1 + $2 }' "$TMP/wrk.time")
    # PostgreSQL's processes are outside this script: "other" without them.
    read -r CPU[$name] WRKCPU[$name] OTHER[$name] PGCPU[$name] < <(awk -v c=$((c1 - c0)) \
        -v o=$((o1 - o0 - (p1 - p0))) -v p=$((p1 - p0)) -v pg="$PG_URL" \
        -v tck="$(getconf CLK_TCK)" -v w="$w" -v d="$DURATION" '
        BEGIN { printf "%.0f%% %.0f%% %.0f%% %s\n", 100 * c / tck / d, 100 * w / d, 100 * o / tck / d,
                       pg == "" ? "-" : sprintf("%.0f%%", 100 * p / tck / d) }')
    RSS[$name]=$(hwm_mb "$SERVER_PID")
}

# Every 2xx that wrk saw must be a stored event. wrk abandons the requests in
# flight when it stops (at most one per connection); hookq still commits them,
# so the database may hold up to CONNS more events than wrk counted.
check_stored() {
    local name=$1 before=$2 after stored ok
    sleep 0.5
    after=$(events)
    ok=${OK2XX[$name]}
    stored=$((after - before))
    if [ "$stored" -ge "$ok" ] && [ $((stored - ok)) -le "$CONNS" ]; then
        STORED[$name]="ok, $stored events stored for $ok 2xx answers (+$((stored - ok)) in flight when wrk stopped)"
    else
        STORED[$name]="FAILED: $stored events stored for $ok 2xx answers"
    fi
}

# Group-commit batch sizes from /metrics, between two snapshots.
# batch_snap FILE [PORT...]: the counters of every server given, added up.
batch_snap() {
    local file=$1 port; shift
    [ $# -gt 0 ] || set -- "$PORT_HOOKQ"
    for port in "$@"; do curl -s "http://127.0.0.1:$port/metrics"; done |
        grep '^hookq_commit_batch_size' | awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' > "$file"
}
batch_delta() {
    join <(sort "$1") <(sort "$2") | awk '
        { d[$1] = $3 - $2 }
        END {
            for (k in d) {
                if (k ~ /_sum$/) s = d[k]
                if (k ~ /_count$/) n = d[k]
            }
            if (!n) { print "no commits"; exit }
            printf "%d commits, mean %.1f events per commit; share of commits with <= 1, 2, 4, 8, 16 events:", n, s / n
            split("1 2 4 8 16", les, " ")
            for (j = 1; j <= 5; j++) printf " %.0f%%", 100 * d["hookq_commit_batch_size_bucket{le=\"" les[j] "\"}"] / n
            print ""
        }'
}

check_quiet
START_QUIET=$QUIET

# --- the disk and the writer alone ------------------------------------------------
log "fsync latency of $TMP"
dd_out=$(dd if=/dev/zero of="$TMP/dsync" bs=4k count=1000 oflag=dsync 2>&1 | tail -1)
DSYNC_MS=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "s,") print $(i - 1) }' <<<"$dd_out" | awk '{ printf "%.3f", $1 }')
rm -f "$TMP/dsync"
sqlite3 "$TMP/fsync.db" 'PRAGMA journal_mode=WAL; CREATE TABLE t (b BLOB);' >/dev/null
t0=$(date +%s%N)
for _ in $(seq 500); do echo "INSERT INTO t VALUES (randomblob(1024));"; done |
    sqlite3 -cmd 'PRAGMA synchronous=FULL' "$TMP/fsync.db"
COMMIT_MS=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.3f", ns / 1e6 / 500 }')
rm -f "$TMP"/fsync.db*
echo "dd oflag=dsync 4 KiB: $DSYNC_MS ms per write; sqlite3 WAL synchronous=FULL: $COMMIT_MS ms per 1-row commit" >&2
# The writer's ceiling without HTTP: hookq's insert statements, by batch size.
HOOKQ_DB="$TMP/cost.db" "$HOOKQ" hooks create bench --rate-limit 0 --queue-limit 100000000 >/dev/null
"$EXAMPLES/commit_cost" "$TMP/cost.db" 1 2048 1,2,4,8,16,64 > "$TMP/cost.out"
grep -v '^COMMIT_COST' "$TMP/cost.out" >&2
CEILING=$(awk '/^COMMIT_COST/ { split($2, b, "="); split($3, e, "="); split($4, u, "=");
                          printf "%s%s: %s/s (%s us)", sep, b[2], e[2], u[2]; sep = ", " }' "$TMP/cost.out")
rm -f "$TMP"/cost.db*

# --- a. bare tiny_http responder ----------------------------------------------------
log "bare tiny_http responder, $THREADS threads"
start_server "http://127.0.0.1:$PORT_BARE/" "$EXAMPLES/bare_responder" "127.0.0.1:$PORT_BARE" "$THREADS"
check_quiet
warm_pool "http://127.0.0.1:$PORT_BARE/wh/bench"
run_wrk bare "http://127.0.0.1:$PORT_BARE/wh/bench"
stop_server

# --- b. hookq hooks serve -----------------------------------------------------------
log "hookq hooks serve --quiet --metrics"
token=$("$HOOKQ" hooks create bench --rate-limit 0 --queue-limit 100000000 --json | jq -r .token)
hook_id=$(sqlite3 "$HOOKQ_DB" "SELECT id FROM hooks WHERE name = 'bench'")
URL="http://127.0.0.1:$PORT_HOOKQ/wh/$token"
# --metrics only exposes /metrics; the counters are kept either way.
start_server "http://127.0.0.1:$PORT_HOOKQ/healthz" \
    "$HOOKQ" hooks serve --listen "127.0.0.1:$PORT_HOOKQ" --quiet --metrics
check_quiet
log "hookq, cold pool: wrk's connections as they come"
before=$(events); batch_snap "$TMP/b0"
run_wrk cold "$URL"
check_stored cold "$before"; batch_snap "$TMP/b1"
BATCH_COLD=$(batch_delta "$TMP/b0" "$TMP/b1")

log "hookq, warm pool"
check_quiet
warm_pool "$URL"
before=$(events); batch_snap "$TMP/b0"
run_wrk hookq "$URL"
check_stored hookq "$before"; batch_snap "$TMP/b1"
BATCH_WARM=$(batch_delta "$TMP/b0" "$TMP/b1")

log "loadgen: $RATE req/s, $CONNS connections, ${DURATION}s, against hookq"
check_quiet
LG_LOAD=$(load1)
before=$(events)
c0=$(cpu_ticks "$SERVER_PID"); o0=$(others_ticks)
TIMEFORMAT='%U %S'
{ time "$EXAMPLES/loadgen" --url "$URL" --rate "$RATE" --connections "$CONNS" --duration "$DURATION" > "$TMP/loadgen.out" || true; } 2> "$TMP/loadgen.time"
c1=$(cpu_ticks "$SERVER_PID"); o1=$(others_ticks)
LG_CPU=$(awk -v c=$((c1 - c0)) -v o=$((o1 - o0)) -v tck="$(getconf CLK_TCK)" -v d="$DURATION" '
    { w = $1 + $2 } END { printf "server %.0f%%, loadgen %.0f%%, other processes %.0f%% of a core",
                               100 * c / tck / d, 100 * w / d, 100 * o / tck / d }' "$TMP/loadgen.time")
lg_out=$(cat "$TMP/loadgen.out")
echo "$lg_out" >&2
lg=$(grep '^LOADGEN ' <<<"$lg_out")
sleep 0.2
lg_stored=$(( $(events) - before ))
if [ "$lg_stored" -eq "$(field "$lg" ok)" ]; then LG_STORED="ok, $lg_stored stored for $(field "$lg" ok) 2xx"
else LG_STORED="FAILED: $lg_stored stored for $(field "$lg" ok) 2xx"; fi
HOOKQ_HWM=$(hwm_mb "$SERVER_PID")
stop_server

# --- b2. hookq on PostgreSQL: one server, then two sharing the database ----------
if pg_available; then
    PG_URL=$(bash .ci/postgres.sh start)
    log "hookq hooks serve on PostgreSQL ($PG_URL)"
    pg_token=$(HOOKQ_DB=$PG_URL "$HOOKQ" hooks create bench --rate-limit 0 --queue-limit 100000000 --json | jq -r .token)
    COUNT_PG=1
    start_server "http://127.0.0.1:$PORT_HOOKQ/healthz" \
        env HOOKQ_DB="$PG_URL" "$HOOKQ" hooks serve --listen "127.0.0.1:$PORT_HOOKQ" --quiet --metrics
    check_quiet
    warm_pool "http://127.0.0.1:$PORT_HOOKQ/wh/$pg_token"
    before=$(events); batch_snap "$TMP/b0"
    run_wrk pg1 "http://127.0.0.1:$PORT_HOOKQ/wh/$pg_token"
    check_stored pg1 "$before"; batch_snap "$TMP/b1"
    BATCH_PG1=$(batch_delta "$TMP/b0" "$TMP/b1")

    log "two hookq hooks serve on PostgreSQL, wrk's threads spread over both"
    "$HOOKQ" --db "$PG_URL" hooks serve --listen "127.0.0.1:$PORT_HOOKQ2" --quiet --metrics \
        > "$TMP/server2.log" 2>&1 &
    SERVER_PID2=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT_HOOKQ2/healthz" && break
        sleep 0.1
    done
    check_quiet
    warm_pool "http://127.0.0.1:$PORT_HOOKQ/wh/$pg_token"
    warm_pool "http://127.0.0.1:$PORT_HOOKQ2/wh/$pg_token"
    before=$(events); batch_snap "$TMP/b0" "$PORT_HOOKQ" "$PORT_HOOKQ2"
    export BENCH_PORTS="$PORT_HOOKQ,$PORT_HOOKQ2"
    run_wrk pg2 "http://127.0.0.1:$PORT_HOOKQ/wh/$pg_token"
    unset BENCH_PORTS
    check_stored pg2 "$before"; batch_snap "$TMP/b1" "$PORT_HOOKQ" "$PORT_HOOKQ2"
    BATCH_PG2=$(batch_delta "$TMP/b0" "$TMP/b1")
    RSS[pg2]="${RSS[pg2]}+$(hwm_mb "$SERVER_PID2")"
    kill "$SERVER_PID2"; wait "$SERVER_PID2" 2>/dev/null || true; SERVER_PID2=""
    stop_server
    PG_VERSION=$(psql -X -At "$PG_URL" -c 'SHOW server_version')
    bash .ci/postgres.sh stop "$PG_URL"; PG_URL=""; COUNT_PG=""
fi

# --- c. adnanh/webhook --------------------------------------------------------------
log "$(webhook -version)"
printf '#!/bin/sh\ntouch "%s/webhook-ran"\n' "$TMP" > "$TMP/ran.sh"; chmod +x "$TMP/ran.sh"
# The rule wants a header value that is never sent: no command runs.
cat > "$TMP/hooks.json" <<JSON
[{"id": "bench", "execute-command": "$TMP/ran.sh",
  "trigger-rule": {"match": {"type": "value", "value": "never-sent",
                             "parameter": {"source": "header", "name": "X-Bench-Trigger"}}}}]
JSON
start_server "http://127.0.0.1:$PORT_WEBHOOK/" webhook -ip 127.0.0.1 -port "$PORT_WEBHOOK" -hooks "$TMP/hooks.json"
probe=$(curl -s -w ' %{http_code} %{time_total}' -X POST -H 'Content-Type: application/json' \
    --data-binary @"$BENCH_BODY" "http://127.0.0.1:$PORT_WEBHOOK/hooks/bench")
sleep 0.3
if [ "${probe% * *}" != "Hook rules were not satisfied." ] || [ -e "$TMP/webhook-ran" ]; then
    echo "webhook probe failed (answer: $probe, command ran: $([ -e "$TMP/webhook-ran" ] && echo yes || echo no))" >&2; exit 1
fi
WEBHOOK_PROBE="one POST answered in ${probe##* }s, status $(awk '{ print $(NF-1) }' <<<"$probe"), \"Hook rules were not satisfied.\", no command run"
check_quiet
warm_pool "http://127.0.0.1:$PORT_WEBHOOK/hooks/bench"   # nothing to warm; same steps for all
run_wrk webhook "http://127.0.0.1:$PORT_WEBHOOK/hooks/bench"
[ ! -e "$TMP/webhook-ran" ] || { echo "webhook ran its command during the run" >&2; exit 1; }
stop_server

# --- d. hookq again, with PREFILL events queued -----------------------------------
if [ "$PREFILL" -gt 0 ]; then
    log "prefilling $PREFILL events (with 1 KiB payloads) for hook bench"
    t0=$(date +%s%N)
    # Setup, not measurement: no journal and no fsync while filling; back to
    # WAL after. Inserting through the tables lets the triggers keep
    # hooks.queued right.
    sqlite3 "$HOOKQ_DB" >/dev/null <<SQL
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
CREATE TEMP TABLE body AS SELECT readfile('$BENCH_BODY') AS b;
BEGIN;
CREATE TEMP TABLE first AS SELECT coalesce(max(id), 0) AS id FROM events;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $PREFILL)
INSERT INTO events (hook_id, received_at, method, path, query, headers,
                    remote_addr, content_type, size)
SELECT $hook_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - $PREFILL + i,
       'POST', '/wh/$token', '',
       '[["Host","127.0.0.1:$PORT_HOOKQ"],["Content-Type","application/json"],["Content-Length","1024"]]',
       '127.0.0.1', 'application/json', 1024
FROM n;
INSERT INTO payloads (event_id, body)
SELECT e.id, body.b FROM events e, body WHERE e.id > (SELECT id FROM first);
COMMIT;
PRAGMA journal_mode = WAL;
SQL
    # Write the filled file out now: else the kernel flushes it during the
    # run, and the server's fsyncs wait behind that writeback.
    sync "$HOOKQ_DB"
    PREFILL_S=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
    QUEUED=$(sqlite3 "$HOOKQ_DB" "SELECT queued FROM hooks WHERE id = $hook_id")
    DB_MB=$(du -m "$HOOKQ_DB" | cut -f1)
    echo "prefilled in ${PREFILL_S}s: $QUEUED queued, database ${DB_MB} MB" >&2
    log "hookq hooks serve with $QUEUED events queued"
    start_server "http://127.0.0.1:$PORT_HOOKQ/healthz" \
        "$HOOKQ" hooks serve --listen "127.0.0.1:$PORT_HOOKQ" --quiet --metrics
    check_quiet
    warm_pool "$URL"
    before=$(events); batch_snap "$TMP/b0"
    run_wrk full "$URL"
    check_stored full "$before"; batch_snap "$TMP/b1"
    BATCH_FULL=$(batch_delta "$TMP/b0" "$TMP/b1")
    stop_server
fi

# --- summary ------------------------------------------------------------------------
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "NOT met" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
row() {
    printf '%-26s %8s %6s %6s %6s %7s %6s %5s %5s %6s %5s %6s\n' "$1" "${RPS[$2]}" "${P50[$2]}" "${P99[$2]}" \
        "${BAD[$2]}" "${STARVED[$2]}/$CONNS" "${CPU[$2]}" "${WRKCPU[$2]}" "${OTHER[$2]}" "${RSS[$2]}" "${LOAD[$2]}" \
        "${PGCPU[$2]:--}"
}
r_bare=$(ratio "${RPS[hookq]}" "${RPS[bare]}"); r_webhook=$(ratio "${RPS[hookq]}" "${RPS[webhook]}")
cat <<OUT

== ingest: wrk -t2 -c$CONNS -d${DURATION}s, POST 1 KiB JSON, 127.0.0.1
   $(date -u '+%Y-%m-%d %H:%M UTC'), rev $(revision), nproc $(nproc), $(webhook -version), machine $START_QUIET
   disk: $DSYNC_MS ms per 4 KiB O_DSYNC write, $COMMIT_MS ms per sqlite3 WAL synchronous=FULL commit
   writer alone (bench/commit_cost.rs), events/s by events per commit: $CEILING
server                        req/s p50 ms p99 ms errors starved server   wrk other RSS MB  load pg cpu
$(row "bare tiny_http ($THREADS thr)" bare)
$(row "hookq serve" hookq)
$(row "hookq serve, cold pool" cold)
$(row "$(webhook -version | awk '{ print "webhook " $3 }')" webhook)
OUT
if [ "$PREFILL" -gt 0 ]; then row "hookq, ${QUEUED} queued" full; fi
if [ -n "${RPS[pg1]:-}" ]; then
    row "hookq on PostgreSQL" pg1
    row "2 x hookq on PostgreSQL" pg2
fi
cat <<OUT
(errors: wrk's status > 399 + socket errors. starved: connections that got no byte read mid-run.
 server, wrk, other, pg cpu: CPU time over wall time, 100% = one of the $(nproc) cores; server: both
 servers of the two-server row; pg cpu: PostgreSQL's processes; other = every other process
 outside this script (builds, tests). RSS: peak VmHWM (each server). load: 1-min load average at
 start, which counts the servers' own threads too)

hookq / bare     $r_bare   (target >= 0.6: $(verdict "$r_bare" 0.6 ">="))
hookq / webhook  $r_webhook   (target >= 2:   $(verdict "$r_webhook" 2 ">="))
stored vs acked: ${STORED[hookq]}; cold run ${STORED[cold]}
group commit:    $BATCH_WARM
  cold pool:     $BATCH_COLD
webhook probe:   $WEBHOOK_PROBE
OUT
if [ -n "${RPS[pg1]:-}" ]; then
cat <<OUT

PostgreSQL $PG_VERSION (.ci/postgres.sh: fsync and synchronous_commit on):
  one server    ${RPS[pg1]} req/s = $(ratio "${RPS[pg1]}" "${RPS[hookq]}") x SQLite's; stored vs acked: ${STORED[pg1]}
                group commit: $BATCH_PG1
  two servers   ${RPS[pg2]} req/s = $(ratio "${RPS[pg2]}" "${RPS[pg1]}") x one server; stored vs acked: ${STORED[pg2]}
                group commit: $BATCH_PG2
OUT
fi
cat <<OUT

loadgen, open loop, $RATE req/s, $CONNS connections, ${DURATION}s against hookq (load $LG_LOAD; $LG_CPU):
$(sed -n 1,2p <<<"$lg_out" | sed 's/^/  /')
  p99 $(field "$lg" p99_ms) ms (target <= 5 ms: $(verdict "$(field "$lg" p99_ms)" 5 "<=")); stored vs acked: $LG_STORED
hookq peak RSS over both wrk runs and loadgen: $HOOKQ_HWM MB (target <= 50 MB: $(verdict "$HOOKQ_HWM" 50 "<="))
OUT
if [ "$PREFILL" -gt 0 ]; then
cat <<OUT

with $QUEUED events queued (database $DB_MB MB, prefilled in ${PREFILL_S}s):
  ${RPS[full]} req/s = $(ratio "${RPS[full]}" "${RPS[hookq]}") x the warm run above; peak RSS ${RSS[full]} MB
  stored vs acked: ${STORED[full]}
  group commit: $BATCH_FULL
OUT
fi
