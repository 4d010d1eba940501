#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for hookq's tests and benchmarks (docs/scaling.md).
#
#   url=$(bash .ci/postgres.sh start)   # prints postgres://hookq@127.0.0.1:PORT/hookq
#   bash .ci/postgres.sh stop "$url"    # stops it and removes its files
#   bash .ci/postgres.sh pause "$url"   # stops it, keeping its files (an outage)
#   bash .ci/postgres.sh resume "$url"  # starts it again on the same port
#   url=$(bash .ci/postgres.sh start --tls DIR)
#       # TLS only (hostssl), with DIR/server.crt and DIR/server.key
#
# The cluster lives in a directory of its own under ${TMPDIR:-/tmp}
# (hookq-pg-PORT), listens on 127.0.0.1 only (and on a socket in that
# directory), trusts local connections (nothing else can reach it) and keeps
# PostgreSQL's durable defaults (fsync, synchronous_commit on): benchmarks
# measure the real cost of a commit. Several can run at once (a test that
# restarts its own PostgreSQL must not disturb the others). PostgreSQL
# refuses to run as root: as root the cluster runs as the `postgres` user
# of the Debian package, otherwise as the caller.
#
# PG_BIN: where initdb and pg_ctl are (default: the newest
# /usr/lib/postgresql/*/bin, else the PATH).
set -euo pipefail

pg_bin() {
    if [[ -n ${PG_BIN:-} ]]; then
        echo "$PG_BIN"
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [[ -n $newest ]]; then
        echo "$newest"
    else
        dirname "$(command -v pg_ctl)"
    fi
}

# Run a command as the cluster's owner.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

dir_of() { echo "${TMPDIR:-/tmp}/hookq-pg-$1"; }

# The server's options: its address, and TLS if the cluster has its files.
options_of() {
    local port=$1 dir=$2 options
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300"
    if [[ -f $dir/server.key ]]; then
        options+=" -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
    fi
    echo "$options"
}

start() {
    local bin port dir log tls=
    if [[ ${1:-} == --tls ]]; then
        tls=${2:?usage: postgres.sh start --tls DIR}
        [[ -f $tls/server.crt && -f $tls/server.key ]] ||
            { echo "postgres.sh: no server.crt and server.key in $tls" >&2; exit 2; }
    fi
    bin=$(pg_bin)
    for _ in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        dir=$(dir_of "$port")
        mkdir "$dir" 2>/dev/null || continue # another cluster's, or taken
        [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
        chmod 700 "$dir"
        log="$dir/server.log"
        as_owner "$bin/initdb" -D "$dir/data" -U hookq --auth=trust -E UTF8 --locale=C \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
        if [[ -n $tls ]]; then
            # PostgreSQL wants its key private to its owner; plain text refused.
            install -m 600 "$tls/server.crt" "$tls/server.key" "$dir/"
            [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/server.crt" "$dir/server.key"
            printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
        fi
        # -w waits until it accepts connections; a port in use fails here.
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 \
            -o "$(options_of "$port" "$dir")" start >/dev/null; then
            as_owner "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U hookq -d postgres \
                -c 'CREATE DATABASE hookq' >/dev/null
            echo "postgres://hookq@127.0.0.1:$port/hookq"
            return
        fi
        if ! grep -q 'could not bind\|Address already in use' "$log" 2>/dev/null; then
            cat "$log" >&2
            rm -rf "$dir"
            exit 1
        fi
        rm -rf "$dir"
    done
    echo "postgres.sh: no free port found" >&2
    exit 1
}

# The port of a cluster's URL, and its directory, which must hold one.
port_of() {
    local port
    port=$(sed -E 's#^.*:([0-9]+)(/.*)?$#\1#' <<<"$1")
    [[ $port =~ ^[0-9]+$ ]] || { echo "postgres.sh: no port in $1" >&2; exit 2; }
    [[ -d $(dir_of "$port")/data ]] || { echo "postgres.sh: no cluster in $(dir_of "$port")" >&2; exit 1; }
    echo "$port"
}

stop() {
    local port dir
    port=$(port_of "$1")
    dir=$(dir_of "$port")
    # A paused cluster (a test that failed during its outage) has nothing
    # to stop: its files go all the same.
    if as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
}

pause() {
    local port
    port=$(port_of "$1")
    as_owner "$(pg_bin)/pg_ctl" -D "$(dir_of "$port")/data" -m fast -w stop >/dev/null
}

resume() {
    local port dir
    port=$(port_of "$1")
    dir=$(dir_of "$port")
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$(options_of "$port" "$dir")" start >/dev/null
}

case "${1:-}" in
start) start "${@:2}" ;;
stop) stop "${2:?usage: postgres.sh stop URL}" ;;
pause) pause "${2:?usage: postgres.sh pause URL}" ;;
resume) resume "${2:?usage: postgres.sh resume URL}" ;;
*)
    echo "usage: postgres.sh start [--tls DIR] | stop URL | pause URL | resume URL" >&2
    exit 2
    ;;
esac
