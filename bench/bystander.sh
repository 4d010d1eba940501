#!/usr/bin/env bash
# A bystander's latency while other clients hold the server (issue 16,
# "Done when" (c)): SLOW clients trickle a body to one hook (a byte per
# client every 5 s, never finishing) and CALLERS wait on a `--respond` hook
# whose scenario is held by a gate file; meanwhile a bystander POSTs to a
# third hook, one request per connection, N times in a row. Target: p99
# under 50 ms.
#
#   bash bench/bystander.sh                         # from the repository root
#   SLOW=2000 CALLERS=1100 N=1000 bash bench/bystander.sh
#
# The server gets the hard limit on open files (`serve` raises its soft
# limit itself); this script raises its own for the clients' sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW="${SLOW:-2000}"
CALLERS="${CALLERS:-1100}"
N="${N:-1000}"

need python3 python3
build_release
ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d)
SERVER=""
cleanup() {
    touch "$TMP/gate"
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
export HOOKQ_DB="$TMP/hookq.db"

"$HOOKQ" hooks create slow --rate-limit 0 >/dev/null
"$HOOKQ" hooks create answering --rate-limit 0 >/dev/null
"$HOOKQ" hooks create bystander --rate-limit 0 >/dev/null
"$HOOKQ" scenario create held --hook answering --respond stdout --response-timeout 10m \
    -- sh -c "while [ ! -e '$TMP/gate' ]; do sleep 0.05; done; echo done" >/dev/null

"$HOOKQ" hooks serve --listen 127.0.0.1:0 --quiet 2> "$TMP/serve.err" &
SERVER=$!
for _ in $(seq 200); do
    grep -q "listening on" "$TMP/serve.err" 2>/dev/null && break
    sleep 0.05
done
ADDR=$(sed -n 's|^listening on http://||p' "$TMP/serve.err" | head -1)
token() { "$HOOKQ" --json hooks show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }

log() { echo "== $*" >&2; }
log "hookq $(revision) on $ADDR: $SLOW slow clients, $CALLERS waiting callers, $N bystander requests (load $(load1))"

python3 - "$ADDR" "$(token slow)" "$(token answering)" "$(token bystander)" \
    "$SLOW" "$CALLERS" "$N" "$HOOKQ_DB" "$SERVER" <<'EOF'
import resource, socket, sqlite3, sys, threading, time

addr, slow, answering, bystander = sys.argv[1:5]
n_slow, n_callers, n = map(int, sys.argv[5:8])
db, pid = sys.argv[8], sys.argv[9]
host, port = addr.rsplit(":", 1)
port = int(port)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def connect():
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def post(token, body, length=None, extra=b""):
    length = len(body) if length is None else length
    return (f"POST /wh/{token} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {length}\r\n{extra.decode()}\r\n").encode() + body

def read_reply(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError(f"closed: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(rest) < length:
        rest += s.recv(65536)
    return int(head.split(b" ")[1]), rest

def status_of(pid):
    fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return int(fields["Threads"]), fields["VmRSS"].strip()

# Slow clients: 50,000 declared bytes each (over 1 KiB, so hookq reads the
# body; 100 MB in all, within the default budget of body bytes in flight).
slow_socks = []
for _ in range(n_slow):
    s = connect()
    s.sendall(post(slow, b"abc", length=50_000))
    slow_socks.append(s)
stop = threading.Event()
def trickle():
    while not stop.wait(5):
        for s in slow_socks:
            try:
                s.send(b"x")
            except OSError:
                pass
threading.Thread(target=trickle, daemon=True).start()

callers = []
for i in range(n_callers):
    s = connect()
    s.sendall(post(answering, f"caller-{i}".encode()))
    callers.append(s)
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
deadline = time.time() + 120
while True:
    stored = conn.execute("SELECT COUNT(*) FROM events e JOIN hooks h ON h.id = e.hook_id WHERE h.name = 'answering'").fetchone()[0]
    if stored >= n_callers or time.time() > deadline:
        break
    time.sleep(0.2)
threads, rss = status_of(pid)
print(f"held: {n_slow} slow clients, {stored} of {n_callers} callers' events stored; server threads {threads}, RSS {rss}")

lat, statuses = [], {}
for i in range(n):
    t0 = time.perf_counter()
    s = connect()
    s.sendall(post(bystander, f"bystander-{i}".encode(), extra=b"Connection: close\r\n"))
    status, _ = read_reply(s)
    lat.append((time.perf_counter() - t0) * 1e3)
    s.close()
    statuses[status] = statuses.get(status, 0) + 1
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"bystander: {n} POSTs, statuses {statuses}; latency ms p50 {pct(50):.2f} p90 {pct(90):.2f} "
      f"p99 {pct(99):.2f} max {lat[-1]:.2f} (target p99 < 50)")
stop.set()
EOF
