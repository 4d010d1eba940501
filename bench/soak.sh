#!/usr/bin/env bash
# Concurrency soak (docs/reliability.md): for SECONDS (default 60), on one
# database at once:
#   - a server receiving webhooks (4 client loops) with --no-scenarios,
#   - two cron-style `scenario run` loops on two scenarios (one of them fails
#     on some events, which go to `incomplete`),
#   - `sweep` every 3 s, `hooks replay --state incomplete` and `hooks list`
#     in loops.
# Then checks: no command ever reported "database is locked"; no event was
# processed by two executions at once; received = done + queued + incomplete
# + discarded, nothing left running.
# Usage: bash bench/soak.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${1:-60}
cargo build --release --quiet --bin hookq || exit 1
BIN=$PWD/target/release/hookq
DIR=$(mktemp -d)
export HOOKQ_DB=$DIR/hookq.db
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT

$BIN hooks create a --rate-limit 0 --queue-limit 1000000 >/dev/null
$BIN hooks create b --rate-limit 0 --queue-limit 1000000 >/dev/null
$BIN scenario create sa --hook a --schedule on-demand --max-cycles 50 -- sh -c 'cat > /dev/null' >/dev/null
# sb fails on every event whose id ends in 7: those go to `incomplete`.
$BIN scenario create sb --hook b --schedule on-demand --max-cycles 50 --store-incomplete \
    -- sh -c 'cat > /dev/null; case "$HOOKQ_EVENT_ID" in *7) exit 1;; esac' >/dev/null
$BIN scenario edit sb --max-errors 1000000 >/dev/null

$BIN hooks serve --listen 127.0.0.1:0 --no-scenarios --quiet 2> "$DIR/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$DIR/serve.err" 2>/dev/null && break; sleep 0.05; done
ADDR=$(sed -n 's/^listening on http:\/\///p' "$DIR/serve.err" | head -1)
URL_A="http://$ADDR/wh/$($BIN hooks show a --json | sed -n 's/.*"token": "\(.*\)".*/\1/p')"
URL_B="http://$ADDR/wh/$($BIN hooks show b --json | sed -n 's/.*"token": "\(.*\)".*/\1/p')"
END=$(( $(date +%s) + SECONDS_TOTAL ))

loop() { # name, command...: run until END, stderr kept
    local name=$1; shift
    while [ "$(date +%s)" -lt "$END" ]; do "$@" >/dev/null 2>> "$DIR/$name.err"; done
}
post_loop() { # name, url
    local n=0
    while [ "$(date +%s)" -lt "$END" ]; do
        n=$((n + 1))
        curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
             -d "{\"n\":$n}" "$2" >> "$DIR/$1.codes"
    done
}
post_loop pa1 "$URL_A" & pids+=($!)
post_loop pa2 "$URL_A" & pids+=($!)
post_loop pb1 "$URL_B" & pids+=($!)
post_loop pb2 "$URL_B" & pids+=($!)
loop run_a $BIN scenario run sa --force & pids+=($!)
loop run_b $BIN scenario run sb --force & pids+=($!)
loop list $BIN hooks list & pids+=($!)
(while [ "$(date +%s)" -lt "$END" ]; do $BIN sweep --json >/dev/null 2>> "$DIR/sweep.err"; sleep 3; done) & pids+=($!)
(while [ "$(date +%s)" -lt "$END" ]; do
    $BIN hooks replay b --state incomplete --json >> "$DIR/replays.json" 2>> "$DIR/replay.err"; sleep 2
 done) & pids+=($!)

sleep "$SECONDS_TOTAL"
sleep 2
for pid in "${pids[@]:1}"; do wait "$pid" 2>/dev/null; done
kill -TERM "${pids[0]}"; wait "${pids[0]}"; pids=()

fail=0
echo "== soak of ${SECONDS_TOTAL}s on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
acked=$(cat "$DIR"/p*.codes | grep -c '^200$')
refused=$(cat "$DIR"/p*.codes | grep -vc '^200$')
echo "requests: $acked acknowledged (200), $refused other"
locked=$(cat "$DIR"/*.err | grep -ci 'locked')
echo "\"database is locked\" reported: $locked"
[ "$locked" -eq 0 ] || { fail=1; grep -i locked "$DIR"/*.err | head -5; }
errors=$(cat "$DIR"/run_*.err "$DIR"/list.err "$DIR"/sweep.err "$DIR"/replay.err 2>/dev/null | grep -v 'exit status\|execution\|^$' | grep -c 'hookq:')
echo "other command errors: $errors"
[ "$errors" -eq 0 ] || { fail=1; grep -h 'hookq:' "$DIR"/*.err | grep -v 'exit status' | sort | uniq -c | head; }
q() { sqlite3 "$HOOKQ_DB" "$1" 2>/dev/null || $BIN hooks list >/dev/null; }
if command -v sqlite3 >/dev/null; then
    received=$(q "SELECT COUNT(*) FROM events")
    replays=$(q "SELECT COUNT(*) FROM events WHERE replay_of IS NOT NULL")
    by_state=$(q "SELECT group_concat(state || '=' || n, ' ') FROM (SELECT state, COUNT(*) n FROM events GROUP BY state)")
    sum=$(q "SELECT COUNT(*) FROM events WHERE state IN ('done','queued','incomplete','discarded')")
    running=$(q "SELECT COUNT(*) FROM events WHERE state = 'running'")
    overlaps=$(q "SELECT COUNT(*) FROM operations x JOIN operations y
                  ON x.event_id = y.event_id AND x.id < y.id
                 AND y.started_at < x.started_at + x.duration_ms")
    ops=$(q "SELECT COUNT(*) FROM operations")
    echo "events: $received received ($((received - replays)) by HTTP, $replays replays): $by_state"
    echo "operations: $ops; overlapping executions of one event: $overlaps"
    [ "$((received - replays))" -eq "$acked" ] || { echo "MISMATCH: $acked acknowledged, $((received - replays)) stored"; fail=1; }
    [ "$sum" -eq "$received" ] && [ "$running" -eq 0 ] || { echo "MISMATCH: states do not add up"; fail=1; }
    [ "$overlaps" -eq 0 ] || fail=1
else
    echo "(sqlite3 not installed: counts not checked; apt-get install sqlite3)"
fi
[ "$fail" -eq 0 ] && echo "soak: OK" || echo "soak: FAILED"
exit "$fail"
