# Shared helpers for the bench scripts (sourced, not run).

# Install Debian packages for the commands that are missing: need CMD PKG ...
need() {
    local missing=()
    while [ $# -ge 2 ]; do
        command -v "$1" >/dev/null 2>&1 || missing+=("$2")
        shift 2
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# The 1-minute load average, as `uptime` shows it.
load1() { cut -d' ' -f1 /proc/loadavg; }

# Build the release binary (and any examples given), print nothing on success.
build_release() {
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
    local args=()
    for ex in "$@"; do args+=(--example "$ex"); done
    cargo build --release --quiet --bin hookq "${args[@]}" >&2
    HOOKQ="$CARGO_TARGET_DIR/release/hookq"
    EXAMPLES="$CARGO_TARGET_DIR/release/examples"
}

# What was measured: commit, and whether the tree had local changes.
revision() {
    if [ -n "${BENCH_REV:-}" ]; then echo "$BENCH_REV"; return; fi
    local rev
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if ! git diff --quiet HEAD -- src Cargo.toml 2>/dev/null; then rev="$rev+dirty"; fi
    echo "$rev"
}

# CPU ticks used so far by every process outside this script's process group,
# children they reaped included (so a build's finished compilers count).
others_ticks() {
    local me
    me=$(ps -o pgid= -p $$ | tr -d ' ')
    # A process that ends between the glob and the read fails `cat`: not
    # an error here (with pipefail it ended the whole script).
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v me="$me" '
        { sub(/^.*\) /, ""); if ($3 != me) t += $12 + $13 + $14 + $15 }
        END { print t + 0 }'
}

# Share of the machine's CPU that other processes use over the next $1
# seconds, in percent.
others_pct() {
    local a b
    a=$(others_ticks); sleep "$1"; b=$(others_ticks)
    awk -v t=$((b - a)) -v tck="$(getconf CLK_TCK)" -v s="$1" -v n="$(nproc)" 'BEGIN { printf "%d", 100 * t / tck / s / n }'
}

# Other work on the machine skews every figure. Report how busy it is; with
# WAIT_QUIET=SECONDS, wait up to that long for it to fall under 10%.
check_quiet() {
    local busy waited=0
    busy=$(others_pct 2)
    while [ "$busy" -ge 10 ] && [ "$waited" -lt "${WAIT_QUIET:-0}" ]; do
        echo "other processes use ${busy}% of the machine; waiting for it to quiet down" >&2
        sleep 3; waited=$((waited + 5)); busy=$(others_pct 2)
    done
    [ "$busy" -lt 10 ] || echo "warning: other processes use ${busy}% of the machine; figures will be low" >&2
    QUIET="${busy}% busy with other work before start"
}


# CPU ticks used so far by the PostgreSQL cluster at URL (a cluster of
# .ci/postgres.sh): its postmaster with the backends it reaped, and every
# backend still running. Those processes are outside this script's process
# group: others_ticks counts them too.
pg_ticks() {
    local port pid
    port=$(sed -E 's#^.*:([0-9]+)(/.*)?$#\1#' <<<"$1")
    pid=$(head -1 "${TMPDIR:-/tmp}/hookq-pg-$port/data/postmaster.pid")
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pid" '
        { pid = $1; sub(/^.*\) /, "")
          if (pid == pm) t += $12 + $13 + $14 + $15; else if ($2 == pm) t += $12 + $13 }
        END { print t + 0 }'
}

# Whether PostgreSQL can be started here for the PostgreSQL columns (PG=0
# skips them; PG=1 requires them).
pg_available() {
    [ "${PG:-auto}" != 0 ] || return 1
    if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
        return 0
    fi
    [ "${PG:-auto}" != 1 ] || { echo "PG=1 but PostgreSQL is not installed (initdb)" >&2; exit 1; }
    echo "PostgreSQL is not installed: no PostgreSQL columns (apt-get install postgresql)" >&2
    return 1
}
