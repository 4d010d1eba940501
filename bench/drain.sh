#!/usr/bin/env bash
# Drain 10,000 queued events through `scenario run --max-cycles 10000` with
# /bin/true as the command, next to the ceiling: a plain sequential loop that
# spawns /bin/true with its stdin piped 10,000 times (bench/spawn_loop.rs).
# Then the time from a request's 200 to its command starting, p50/p99, for an
# `immediately` scenario at 200 req/s (bench/start_latency.rs).
# Usage: bash bench/drain.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
cargo build --release --quiet --bin hookq --example spawn_loop --example start_latency
BIN=target/release/hookq
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
export HOOKQ_DB=$DIR/hookq.db

$BIN hooks create drain --rate-limit 0 --queue-limit 1000000 >/dev/null
$BIN scenario create drain --hook drain --schedule on-demand -- /bin/true >/dev/null
echo "filling the queue with $N events..."
# One transaction through the library's own enqueue (via hooks send would
# spawn N processes): use sqlite3 if present, else hooks send.
if command -v sqlite3 >/dev/null; then
    sqlite3 "$HOOKQ_DB" "
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
      INSERT INTO events (hook_id, received_at, method, path, query, headers, size)
      SELECT (SELECT id FROM hooks WHERE name = 'drain'), 0, 'POST', '/', '', '[]', 16 FROM n;
      INSERT INTO payloads (event_id, body) SELECT id, randomblob(16) FROM events;"
else
    for _ in $(seq "$N"); do $BIN hooks send drain --data x >/dev/null; done
fi
echo "queued: $($BIN hooks show drain --json | grep '"queue"')"

start=$(date +%s.%N)
$BIN scenario run drain --max-cycles "$N" >/dev/null
hookq_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

start=$(date +%s.%N)
target/release/examples/spawn_loop "$N"
ceiling_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

awk -v n="$N" -v h="$hookq_s" -v c="$ceiling_s" 'BEGIN {
    printf "\n%-40s %8s %10s\n", "drain of " n " events", "seconds", "events/s"
    printf "%-40s %8.2f %10.0f\n", "hookq scenario run (/bin/true)", h, n / h
    printf "%-40s %8.2f %10.0f\n", "ceiling: spawn loop (/bin/true, stdin)", c, n / c
    printf "ratio hookq / ceiling: %.2f\n\n", c / h
}'

echo "request 200 -> command start, immediately scenario at 200 req/s:"
target/release/examples/start_latency "$BIN" 200 10
