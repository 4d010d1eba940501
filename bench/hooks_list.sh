#!/usr/bin/env bash
# `hookq hooks list --json` and `hookq hooks show NAME` over 10,000 hooks.
# Targets: list < 100 ms, show < 10 ms (release build).
#
#   bash bench/hooks_list.sh            # from the repository root
#   HOOKS=50000 RUNS=20 bash bench/hooks_list.sh
#   WAIT_QUIET=120 bash bench/hooks_list.sh   # shared machine: wait for idle CPUs
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

HOOKS="${HOOKS:-10000}"
RUNS="${RUNS:-50}"

need sqlite3 sqlite3 hyperfine hyperfine jq jq
build_release

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookq-bench-list.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
export HOOKQ_DB="$TMP/hookq.db"
unset HOOKQ_NOW

# One hook through the binary, so the schema is the real one; the rest in one
# transaction, mirroring what `hooks create` stores: 32-char [a-z0-9] tokens,
# every 10th hook disabled, every 3rd with a last event, creation times spread
# over the past days.
"$HOOKQ" hooks create hook-00001 >/dev/null
started=$(date +%s.%N)
sqlite3 "$HOOKQ_DB" <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $HOOKS),
     c(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM c WHERE j < 32),
     now(t) AS (SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
INSERT INTO hooks (name, token, enabled, rate_limit, queue_limit, max_body,
                   created_at, enabled_at, disabled_at, disabled_reason,
                   unassigned_since, last_event_at)
SELECT printf('hook-%05d', i),
       -- "j > i - i" ties the subquery to the row, so each hook gets its own token
       (SELECT group_concat(substr('abcdefghijklmnopqrstuvwxyz0123456789',
                                   1 + abs(random() % 36), 1), '')
        FROM c WHERE j > i - i),
       i % 10 <> 0, 5, 10000, 5242880,
       t - i * 60000, t - i * 60000,
       CASE WHEN i % 10 = 0 THEN t - i * 1000 END,
       CASE WHEN i % 10 = 0 THEN 'manual' END,
       t - i * 60000,
       CASE WHEN i % 3 = 0 THEN t - i * 500 END
FROM n, now;
COMMIT;
SQL
inserted=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
count=$(sqlite3 "$HOOKQ_DB" 'SELECT count(*) FROM hooks')
tokens=$(sqlite3 "$HOOKQ_DB" "SELECT count(DISTINCT token) FROM hooks WHERE length(token) = 32 AND token NOT GLOB '*[^a-z0-9]*'")
[ "$count" = "$HOOKS" ] && [ "$tokens" = "$HOOKS" ] || { echo "setup failed: $count hooks, $tokens good tokens" >&2; exit 1; }
listed=$("$HOOKQ" hooks list --json | jq length)
[ "$listed" = "$HOOKS" ] || { echo "hooks list --json shows $listed hooks, expected $HOOKS" >&2; exit 1; }
middle=$(printf 'hook-%05d' $((HOOKS / 2)))

check_quiet
load_before=$(load1)
# -N: no shell in between; hyperfine sends stdout to /dev/null.
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$TMP/list.json" \
    "$HOOKQ hooks list --json" >&2
hyperfine -N --warmup 10 --runs $((RUNS * 4)) --export-json "$TMP/show.json" \
    "$HOOKQ hooks show $middle" >&2
load_after=$(load1)

ms() { printf '%.1f' "$(jq -r ".results[0].$2 * 1000" "$TMP/$1.json")"; }
verdict() { awk -v m="$1" -v t="$2" 'BEGIN { print (m < t) ? "met" : "NOT met" }'; }
list_mean=$(ms list mean); show_mean=$(ms show mean)
cat <<OUT

== hooks list / show, $HOOKS hooks ($(date -u +%Y-%m-%d), rev $(revision), nproc $(nproc), load $load_before -> $load_after, machine $QUIET)
setup: $HOOKS hooks inserted in ${inserted}s
command                        mean ms  stddev  min     max     target
hooks list --json (> null)     $(printf '%-8s %-7s %-7s %-7s' "$list_mean" "$(ms list stddev)" "$(ms list min)" "$(ms list max)") < 100 ms: $(verdict "$list_mean" 100)
hooks show $middle         $(printf '%-8s %-7s %-7s %-7s' "$show_mean" "$(ms show stddev)" "$(ms show min)" "$(ms show max)") < 10 ms: $(verdict "$show_mean" 10)
OUT
