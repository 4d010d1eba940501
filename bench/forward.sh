#!/usr/bin/env bash
# Forwarding scenarios (SPEC §10): EVENTS queued events (1 KiB JSON) forwarded
# by `scenario run --max-cycles` to a minimal local keep-alive HTTP server,
# next to the ceiling: a plain loop posting the same bodies to the same server
# over one keep-alive connection (bench/forward_bench.rs); ROUNDS rounds
# (default 5), each hookq's run beside the loop's, and the median ratio. Then the time from
# a request's 200 to the target receiving its delivery, p50/p99, for an
# `immediately` forwarding scenario at 200 req/s.
# Usage: bash bench/forward.sh [EVENTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
cargo build --release --quiet --bin hookq --example forward_bench
BIN=target/release/hookq
target/release/examples/forward_bench drain "$BIN" "$N" 1024 "${2:-5}"
echo "request 200 -> target receives, immediately forwarding scenario at 200 req/s:"
target/release/examples/forward_bench latency "$BIN" 200 10
