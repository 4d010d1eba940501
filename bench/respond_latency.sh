#!/usr/bin/env bash
# The latency of an answered webhook, as one sequential keep-alive client
# sees it (Python http.client: one connection, one POST after the other),
# side by side in one run:
#   - hookq, a `--respond stdout -- cat` scenario (immediately): the answer
#     is the body, after the event's cycle has committed;
#   - adnanh/webhook, its command (`printf %s PAYLOAD`, as close to `cat` as
#     it allows: it has no stdin for commands) with
#     `include-command-output-in-response: true`;
#   - both again behind nginx, upstream keep-alive (`keepalive 16`,
#     HTTP/1.1, `Connection ""`).
# Rounds alternate between the four targets so that a busy moment on the
# machine falls on all of them. Prints p50/p90/p99 of each and hookq's p50
# over webhook's. Target (issue #16): hookq's p50 within 1.5x webhook's.
#
#   bash bench/respond_latency.sh             # from the repository root, ~1 minute
#   REQUESTS=3000 ROUNDS=5 bash bench/respond_latency.sh
#   HOOKQ_BIN=/path/to/hookq bash bench/respond_latency.sh   # another build, not rebuilt
#
# Installs nothing: it needs webhook, nginx, python3 and curl on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

REQUESTS="${REQUESTS:-2000}"      # per target, over all rounds
ROUNDS="${ROUNDS:-4}"
WARMUP="${WARMUP:-50}"            # per target and round, not counted
PORT_HOOKQ="${PORT_HOOKQ:-18090}"
PORT_WEBHOOK="${PORT_WEBHOOK:-18091}"
PORT_NGINX="${PORT_NGINX:-18092}"

missing=()
for tool in webhook:webhook nginx:nginx python3:python3 curl:curl; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}; install them first, e.g. sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
NGINX=$(PATH="$PATH:/usr/sbin" command -v nginx)
if [ -n "${HOOKQ_BIN:-}" ]; then HOOKQ=$HOOKQ_BIN; else build_release; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookq-bench-respond.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOOKQ_DB="$TMP/hookq.db"
unset HOOKQ_NOW HOOKQ_LISTEN

for port in "$PORT_HOOKQ" "$PORT_WEBHOOK" "$PORT_NGINX"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use; set PORT_HOOKQ/PORT_WEBHOOK/PORT_NGINX" >&2; exit 1
    fi
done

# Start a server in the background and wait until URL answers.
start_server() {
    local name=$1 url=$2; shift 2
    "$@" > "$TMP/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "$url" && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name did not start: $*" >&2; cat "$TMP/$name.log" >&2; exit 1
}

# --- hookq ------------------------------------------------------------------------
token=$("$HOOKQ" hooks create lat --rate-limit 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$HOOKQ" scenario create lat --hook lat --respond stdout -- cat >/dev/null
start_server hookq "http://127.0.0.1:$PORT_HOOKQ/healthz" \
    "$HOOKQ" hooks serve --listen "127.0.0.1:$PORT_HOOKQ" --quiet

# --- adnanh/webhook ---------------------------------------------------------------
cat > "$TMP/hooks.json" <<JSON
[{"id": "lat", "execute-command": "$(command -v printf)",
  "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "string", "name": "%s"},
                                {"source": "entire-payload"}]}]
JSON
start_server webhook "http://127.0.0.1:$PORT_WEBHOOK/" \
    webhook -ip 127.0.0.1 -port "$PORT_WEBHOOK" -hooks "$TMP/hooks.json"

# --- nginx in front of both -------------------------------------------------------
mkdir -p "$TMP/nginx/logs"
user=""
[ "$(id -u)" -ne 0 ] || user="user root;"
cat > "$TMP/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    upstream hookq { server 127.0.0.1:$PORT_HOOKQ; keepalive 16; }
    upstream webhook { server 127.0.0.1:$PORT_WEBHOOK; keepalive 16; }
    server {
        listen 127.0.0.1:$PORT_NGINX;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /hookq/ { proxy_pass http://hookq/; }
        location /webhook/ { proxy_pass http://webhook/; }
    }
}
CONF
start_server nginx "http://127.0.0.1:$PORT_NGINX/hookq/healthz" \
    "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log"

# --- the client -------------------------------------------------------------------
cat > "$TMP/client.py" <<'PY'
import http.client, json, sys, time

requests, rounds, warmup = (int(a) for a in sys.argv[1:4])
targets = [arg.split("=", 1) for arg in sys.argv[4:]]
body = json.dumps({"event": "push", "ref": "refs/heads/main", "n": 0}).encode()
times = {name: [] for name, _ in targets}

def run(url, count, keep):
    host, path = url[len("http://"):].split("/", 1)
    conn = http.client.HTTPConnection(host, timeout=30)
    for i in range(count):
        t0 = time.perf_counter()
        conn.request("POST", "/" + path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - t0
        # webhook hands its command the payload parsed and written again.
        if response.status != 200 or json.loads(answer) != json.loads(body):
            sys.exit(f"{url}: {response.status} {answer[:200]!r}")
        if keep:
            times[name].append(elapsed)
    conn.close()

for r in range(rounds):
    for name, url in targets:
        run(url, warmup, False)
        run(url, requests // rounds, True)

def pct(sorted_times, p):
    return 1000 * sorted_times[min(len(sorted_times) - 1, int(p / 100 * len(sorted_times)))]

p50 = {}
print(f"{'target':<24} {'requests':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
for name, _ in targets:
    t = sorted(times[name])
    p50[name] = pct(t, 50)
    print(f"{name:<24} {len(t):>8} {pct(t, 50):>8.2f} {pct(t, 90):>8.2f} {pct(t, 99):>8.2f}")
for way in ("direct", "nginx"):
    ratio = p50[f"hookq {way}"] / p50[f"webhook {way}"]
    print(f"p50 hookq / webhook, {way}: {ratio:.2f} (target <= 1.5)")
PY

check_quiet
echo "$QUIET; $(nproc) cores; revision $(revision); $REQUESTS requests per target in $ROUNDS rounds" >&2
python3 "$TMP/client.py" "$REQUESTS" "$ROUNDS" "$WARMUP" \
    "hookq direct=http://127.0.0.1:$PORT_HOOKQ/wh/$token" \
    "webhook direct=http://127.0.0.1:$PORT_WEBHOOK/hooks/lat" \
    "hookq nginx=http://127.0.0.1:$PORT_NGINX/hookq/wh/$token" \
    "webhook nginx=http://127.0.0.1:$PORT_NGINX/webhook/hooks/lat"
executions=$("$HOOKQ" scenario runs lat --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo "?")
echo "hookq: $("$HOOKQ" hooks show lat --json | python3 -c 'import json,sys; h=json.load(sys.stdin); print("queue", h.get("queue"))'), executions listed: $executions" >&2
