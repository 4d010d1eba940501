#!/usr/bin/env bash
# Drain 10,000 queued events through `scenario run --max-cycles 10000` with
# /bin/true as the command, next to the ceiling: a plain sequential loop that
# spawns /bin/true with its stdin piped 10,000 times (bench/spawn_loop.rs).
# Then the time from a request's 200 to its command starting, p50/p99, for an
# `immediately` scenario at 200 req/s (bench/start_latency.rs).
# With PostgreSQL installed, the same drain on PostgreSQL (docs/scaling.md):
# one `scenario run`, then two at once on two scenarios (EVENTS/2 each), the
# way a second host adds a runner; with the CPU of hookq and of PostgreSQL.
# Usage: bash bench/drain.sh [EVENTS]    (PG=0: SQLite only)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-10000}
cargo build --release --quiet --bin hookq --example spawn_loop --example start_latency
BIN=target/release/hookq
DIR=$(mktemp -d)
PG_URL=""
cleanup() {
    if [ -n "$PG_URL" ]; then bash .ci/postgres.sh stop "$PG_URL"; fi
    rm -rf "$DIR"
}
trap cleanup EXIT
export HOOKQ_DB=$DIR/hookq.db
LOAD_START=$(load1)

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
TIMEFORMAT='%U %S'
{ time $BIN scenario run drain --max-cycles "$N" >/dev/null; } 2> "$DIR/sqlite.time"
hookq_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

# The same on PostgreSQL: rows inserted by psql in one transaction, as
# sqlite3 does above.
if pg_available; then
    PG_URL=$(bash .ci/postgres.sh start)
    fill_pg() {
        psql -X -q "$PG_URL" -c "
          INSERT INTO events (hook_id, received_at, method, path, query, headers, size)
          SELECT (SELECT id FROM hooks WHERE name = '$1'), 0, 'POST', '/', '', '[]', 16
          FROM generate_series(1, $2);
          INSERT INTO payloads (event_id, body)
          SELECT e.id, decode(md5(random()::text), 'hex') FROM events e
          WHERE e.hook_id = (SELECT id FROM hooks WHERE name = '$1')"
    }
    for name in pg pg_a pg_b; do
        HOOKQ_DB=$PG_URL $BIN hooks create "$name" --rate-limit 0 --queue-limit 1000000 >/dev/null
        HOOKQ_DB=$PG_URL $BIN scenario create "$name" --hook "$name" --schedule on-demand -- /bin/true >/dev/null
    done
    fill_pg pg "$N"; fill_pg pg_a $((N / 2)); fill_pg pg_b $((N / 2))
    psql -X -q "$PG_URL" -c 'VACUUM ANALYZE' -c CHECKPOINT
    # drain_pg NAME...: one scenario run per name at once; seconds, hookq's
    # CPU seconds, PostgreSQL's CPU seconds.
    drain_pg() {
        local start p0 p1 pids=() times=() name
        start=$(date +%s.%N); p0=$(pg_ticks "$PG_URL")
        for name in "$@"; do
            { time HOOKQ_DB=$PG_URL $BIN scenario run "$name" --max-cycles "$N" >/dev/null; } 2> "$DIR/$name.time" &
            pids+=($!); times+=("$DIR/$name.time")
        done
        wait "${pids[@]}"
        p1=$(pg_ticks "$PG_URL")
        awk -v a="$start" -v b="$(date +%s.%N)" -v p=$((p1 - p0)) -v tck="$(getconf CLK_TCK)" \
            '{ h += $1 + $2 } END { printf "%.3f %.2f %.2f\n", b - a, h, p / tck }' "${times[@]}"
    }
    read -r pg1_s pg1_cpu pg1_pg < <(drain_pg pg)
    read -r pg2_s pg2_cpu pg2_pg < <(drain_pg pg_a pg_b)
fi

start=$(date +%s.%N)
target/release/examples/spawn_loop "$N"
ceiling_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

awk -v n="$N" -v h="$hookq_s" -v c="$ceiling_s" -v hc="$(awk '{ print $1 + $2 }' "$DIR/sqlite.time")" \
    -v p1="${pg1_s:-}" -v p1c="${pg1_cpu:-}" -v p1p="${pg1_pg:-}" \
    -v p2="${pg2_s:-}" -v p2c="${pg2_cpu:-}" -v p2p="${pg2_pg:-}" -v load="$LOAD_START" 'BEGIN {
    printf "\n%-44s %8s %10s %10s %10s\n", "drain of " n " events (load " load ")", "seconds", "events/s", "hookq cpu", "pg cpu"
    printf "%-44s %8.2f %10.0f %9.2fs %10s\n", "hookq scenario run (/bin/true), SQLite", h, n / h, hc, "-"
    if (p1 != "") {
        printf "%-44s %8.2f %10.0f %9.2fs %9.2fs\n", "the same, PostgreSQL", p1, n / p1, p1c, p1p
        printf "%-44s %8.2f %10.0f %9.2fs %9.2fs\n", "two scenario runs at once (n/2 each), PostgreSQL", p2, n / p2, p2c, p2p
    }
    printf "%-44s %8.2f %10.0f\n", "ceiling: spawn loop (/bin/true, stdin)", c, n / c
    printf "ratio hookq / ceiling: %.2f\n", c / h
    if (p1 != "") printf "ratio PostgreSQL / SQLite: %.2f (one run), %.2f (two runs at once)\n", h / p1, h / p2
    print ""
}'

echo "request 200 -> command start, immediately scenario at 200 req/s:"
target/release/examples/start_latency "$BIN" 200 10
