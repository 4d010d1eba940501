#!/usr/bin/env bash
# `hookq sweep` on a large database, with a server receiving during it:
#   - 10,000 hooks and 1,000,000 events with 1 KiB payloads received over
#     the last 45 days in id order (so a third are older than 30 days), the
#     hooks taking turns; built with sqlite3 (a recursive CTE, one
#     transaction). 500 hooks disabled 40 days ago (deleted with their
#     50,000 events), 500 unassigned for 10 days and 500 whose scenario is
#     inactive for 40 days (disabled), the rest with an active scenario;
#   - the wall time of a full `hookq sweep` (release build);
#   - the ingest latency of `hookq hooks serve` during the sweep: sequential
#     curl POSTs of 1 KiB to a hook the sweep leaves alone, p50/p99/max and
#     any answer that is not 200 (and the same for 3 s before, as baseline);
#   - file sizes after the fill, after the sweep, after a second fill of the
#     same shape (1,000,000 events, 500 more hooks disabled long ago) and
#     after a second sweep 30 days later, which purges the rest of the first
#     fill's payloads: the payloads take the same room after each sweep, and
#     the file grows only by the event rows kept as history.
# Targets: sweep < 30 s, p99 < 50 ms during it, no growth of payload storage.
#
#   bash bench/sweep.sh              # from anywhere; 2-3 minutes, 2.5 GB in a temp dir
#   EVENTS=100000 bash bench/sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOOKS=10000
EVENTS="${EVENTS:-1000000}"
PORT="${PORT:-18093}"
DAY=86400000

for cmd in sqlite3 curl; do
    if ! command -v "$cmd" >/dev/null; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$cmd"
    fi
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet --bin hookq
HOOKQ="$CARGO_TARGET_DIR/release/hookq"

TMP="$(mktemp -d /tmp/hookq-bench-sweep.XXXXXX)"
SERVER=""
PROBE=""
cleanup() {
    [ -n "$PROBE" ] && kill "$PROBE" 2>/dev/null || true
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
export HOOKQ_DB="$TMP/hookq.db"
unset HOOKQ_NOW HOOKQ_BASE_URL HOOKQ_LISTEN

NOW=$(( $(date +%s) * 1000 ))                 # first sweep
NOW2=$(( NOW + 30 * DAY ))                     # second sweep
iso() { date -u -d "@$(( $1 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The probe hook: created by hookq (schema, auto_vacuum), kept alive by an
# active scenario; the server is run with --no-scenarios.
"$HOOKQ" hooks create probe --rate-limit 0 --queue-limit 10000000 >/dev/null
"$HOOKQ" scenario create probe-s --hook probe --schedule on-demand -- true >/dev/null
PROBE_URL="$("$HOOKQ" hooks url probe --base-url "http://127.0.0.1:$PORT")"

# Events with `state = 'done'` do not touch the hooks.queued counter (its
# triggers count queued events only), so the counters stay right.
# fill AT FIRST_ID DOOMED: $EVENTS events received in the 45 days before AT
# (ms), in id order, over the bench hooks in turn; every 20th event goes to
# the hooks the sweep deletes: bench hooks k % 20 = 0 (DOOMED = 0), or the
# 500 hooks from id DOOMED.
fill() {
    local at="$1" first="$2" doomed="$3"
    sqlite3 "$HOOKQ_DB" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS - 1)
INSERT INTO events (id, hook_id, state, received_at, method, path, query, headers,
                    remote_addr, content_type, size)
SELECT $first + i,
       CASE WHEN i % 20 = 0 AND $doomed > 0 THEN $doomed + (i / 20) % 500 ELSE 2 + i % $HOOKS END,
       'done',
       $at - (45 * $DAY * ($EVENTS - i)) / $EVENTS,
       'POST', '/wh/bench', '', '[]', '127.0.0.1', 'application/json', 1024
FROM n;
INSERT INTO payloads (event_id, body) SELECT id, randomblob(1024) FROM events WHERE id >= $first;
COMMIT;
SQL
}

sizes() {
    local label="$1" db wal free payloads events
    db=$(stat -c %s "$HOOKQ_DB")
    wal=$(stat -c %s "$HOOKQ_DB-wal" 2>/dev/null || echo 0)
    read -r free payloads events < <(sqlite3 -separator ' ' "$HOOKQ_DB" \
        "SELECT (SELECT freelist_count FROM pragma_freelist_count),
                (SELECT sum(pgsize) FROM dbstat WHERE name = 'payloads'),
                (SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'events%' OR name LIKE 'sqlite_autoindex_events%')")
    printf '%-22s %7s MiB  wal %5s MiB  payloads %6s MiB  events+indexes %5s MiB  free pages %s\n' \
        "$label" "$(mib "$db")" "$(mib "$wal")" "$(mib "${payloads:-0}")" "$(mib "${events:-0}")" "$free"
}

echo "== fill: $HOOKS hooks, $EVENTS events of 1 KiB"
T=$(date +%s.%N)
sqlite3 "$HOOKQ_DB" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
BEGIN;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < $HOOKS - 1)
INSERT INTO hooks (id, name, token, enabled, rate_limit, queue_limit, max_body, created_at,
                   enabled_at, disabled_at, disabled_reason, unassigned_since, last_event_at)
SELECT 2 + k, printf('bench-%05d', k), lower(hex(randomblob(16))), k % 20 <> 0, 0, 1000000, 5242880,
       $NOW - 60 * $DAY, $NOW - 60 * $DAY,
       CASE WHEN k % 20 = 0 THEN $NOW - 40 * $DAY END,
       CASE WHEN k % 20 = 0 THEN 'disabled by hand' END,
       CASE WHEN k % 20 = 0 THEN $NOW - 50 * $DAY WHEN k % 20 = 1 THEN $NOW - 10 * $DAY END,
       CASE WHEN k % 20 = 1 THEN $NOW - 10 * $DAY ELSE $NOW - 3600000 END
FROM n;
INSERT INTO scenarios (name, hook_id, command, schedule, max_cycles, max_errors, timeout_ms,
                       input, store_incomplete, active, inactive_since, created_at)
SELECT 's-' || name, id, '["true"]', 'on-demand', 1, 3, 300000, 'raw', 0,
       (id - 2) % 20 <> 2, CASE WHEN (id - 2) % 20 = 2 THEN $NOW - 40 * $DAY END, created_at
FROM hooks WHERE id >= 2 AND (id - 2) % 20 >= 2;
COMMIT;
SQL
fill "$NOW" 1 0
echo "   $(secs "$T" "$(date +%s.%N)") s"
sizes "after fill 1"

start_server() {
    "$HOOKQ" hooks serve --listen "127.0.0.1:$PORT" --no-scenarios --quiet 2>"$TMP/serve.log" &
    SERVER=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the server did not start:" >&2; cat "$TMP/serve.log" >&2; exit 1
}
stop_server() { kill "$SERVER"; wait "$SERVER" || true; SERVER=""; }

head -c 1024 /dev/zero | tr '\0' 'x' | sed 's/^/{"pad":"/; s/.\{8\}$/"}/' >"$TMP/body.json"
# Sequential POSTs until the file $1 exists (or 200 s): "status seconds" lines.
probe() {
    local until="$1" end=$(( $(date +%s) + 200 ))
    while [ ! -e "$until" ] && [ "$(date +%s)" -lt "$end" ]; do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 \
            -H 'Content-Type: application/json' --data-binary @"$TMP/body.json" "$PROBE_URL" || echo "000 30"
    done
}
latency() {
    sort -k2 -n "$1" | awk '
        function at(q,   i) { i = int(NR * q + 0.999999); if (i < 1) i = 1; return 1000 * t[i] }
        { t[NR] = $2; if ($1 != 200) bad++ }
        END {
            if (NR == 0) { print "no requests"; exit }
            printf "%d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d not 200\n",
                NR, at(0.50), at(0.99), 1000 * t[NR], bad
        }'
}

# sweep LABEL AT: baseline latency for 3 s, then the sweep with the probe running.
sweep() {
    local label="$1" at="$2"
    start_server
    rm -f "$TMP/stop"
    ( sleep 3; touch "$TMP/stop" ) &
    probe "$TMP/stop" >"$TMP/base.txt"
    rm -f "$TMP/stop"
    probe "$TMP/stop" >"$TMP/during.txt" &
    PROBE=$!
    local t0 t1
    t0=$(date +%s.%N)
    # Bounded, like the whole script: a sweep that takes over 2 minutes
    # here has missed its target by far anyway.
    HOOKQ_NOW="$(iso "$at")" timeout 120 "$HOOKQ" sweep >"$TMP/sweep.txt" ||
        echo "(the sweep failed or was stopped after 120 s: exit $?)" >>"$TMP/sweep.txt"
    t1=$(date +%s.%N)
    touch "$TMP/stop"; wait "$PROBE"; PROBE=""
    stop_server
    echo "== $label: $(head -1 "$TMP/sweep.txt")"
    echo "   sweep wall time: $(secs "$t0" "$t1") s"
    echo "   ingest before:   $(latency "$TMP/base.txt")"
    echo "   ingest during:   $(latency "$TMP/during.txt")"
}

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ), nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
sweep "sweep 1" "$NOW"
sizes "after sweep 1"

echo "== fill 2: 500 hooks disabled 40 days before the second sweep, $EVENTS more events"
T=$(date +%s.%N)
sqlite3 "$HOOKQ_DB" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 499)
INSERT INTO hooks (id, name, token, enabled, rate_limit, queue_limit, max_body, created_at,
                   enabled_at, disabled_at, disabled_reason, unassigned_since, last_event_at)
SELECT 2 + $HOOKS + k, printf('bench2-%05d', k), lower(hex(randomblob(16))), 0, 0, 1000000,
       5242880, $NOW2 - 60 * $DAY, $NOW2 - 60 * $DAY, $NOW2 - 40 * $DAY, 'disabled by hand',
       $NOW2 - 50 * $DAY, $NOW2 - 3600000
FROM n;
SQL
fill "$NOW2" "$(sqlite3 "$HOOKQ_DB" "SELECT max(id) + 1 FROM events")" $(( 2 + HOOKS ))
echo "   $(secs "$T" "$(date +%s.%N)") s"
sizes "after fill 2"
sweep "sweep 2" "$NOW2"
sizes "after sweep 2"
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
