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

# Jiffies of all CPUs: total and idle (idle + iowait).
machine_cpu() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat; }

# Share of the machine's CPU in use over the next $1 seconds, in percent.
busy_pct() {
    local t0 i0 t1 i1
    read -r t0 i0 < <(machine_cpu); sleep "$1"; read -r t1 i1 < <(machine_cpu)
    echo $(( 100 * ((t1 - t0) - (i1 - i0)) / (t1 - t0 > 0 ? t1 - t0 : 1) ))
}

# Other work on the machine skews every figure. Report how busy it is; with
# WAIT_QUIET=SECONDS, wait up to that long for it to fall under 10%.
check_quiet() {
    local busy waited=0
    busy=$(busy_pct 2)
    while [ "$busy" -ge 10 ] && [ "$waited" -lt "${WAIT_QUIET:-0}" ]; do
        echo "machine ${busy}% busy; waiting for it to quiet down" >&2
        sleep 3; waited=$((waited + 5)); busy=$(busy_pct 2)
    done
    [ "$busy" -lt 10 ] || echo "warning: machine ${busy}% busy before the run; figures will be low" >&2
    QUIET="${busy}% busy before start"
}
