#!/usr/bin/env bash
# Instructions the server executes for a fixed request mix, counted by
# valgrind's callgrind: repeatable whatever else the machine is doing, where
# req/s on this shared machine moves by 15 % and more. For costs too small
# for wall-clock runs to show (metrics on and off: BENCHMARKS.md).
#
#   bench/instructions.sh RUNTIME [SERVER_FLAG...]
#   bench/instructions.sh blocking
#   bench/instructions.sh blocking --metrics-addr 127.0.0.1:9100
#
# The mix: register two users, 2,000 private sends, 10,000 GET /status, over
# one keep-alive connection (12,003 requests with the first /health). Knobs:
# SENDS, STATUS, PORT (18082), SERVER_BIN (default: a release build), TEXT
# (each send's message, `{i}` the send's number; default `m{i}`: one word,
# new each time; the search index's cost per send needs real sentences,
# e.g. TEXT='deployed the new cafe menu to staging please check the prices
# before lunch {i}', twelve words as bench/lua/send_words.lua and one new).
# Without sends (SENDS=0) the count repeats within ±0.3 %; with them the WAL
# checkpointer's share moves by a few per cent from run to run.
# Prints the total and the instructions per request, then the callgrind
# output file (kept, for callgrind_annotate).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
(($# >= 1)) || { sed -n 2,18p "$0"; exit 2; }
runtime=$1
shift
SENDS=${SENDS:-2000}
STATUS=${STATUS:-10000}
PORT=${PORT:-18082}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need valgrind valgrind
[[ -n "${SERVER_BIN:-}" ]] || (cd "$root" && cargo build --release -q -p agora-server)
server=${SERVER_BIN:-"$root/target/release/agora-server"}
out=$(mktemp --suffix=.callgrind)

valgrind --tool=callgrind --callgrind-out-file="$out" "$server" --runtime "$runtime" \
  --threads 1 --port "$PORT" --db "$dir/instructions.db" --quota 1000000000 --log warn \
  "$@" 2>"$dir/valgrind.log" &
pid=$!
# Under valgrind the server starts slowly.
for _ in $(seq 600); do curl -s -o /dev/null "$base_url/health" && break; sleep 0.1; done
TEXT=${TEXT:-'m{i}'}
python3 - "$PORT" "$SENDS" "$STATUS" "$TEXT" <<'PY'
import http.client, json, sys
port, sends, status = (int(a) for a in sys.argv[1:4])
text = sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def call(method, path, body=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    reply = conn.getresponse()
    return reply.status, reply.read()
token = json.loads(call("POST", "/get-token", {"user_name": "alice"})[1])["token"]
call("POST", "/get-token", {"user_name": "bob"})
for i in range(sends):
    assert call("POST", "/send", {"message": text.replace("{i}", str(i)), "send_to": "bob"}, token)[0] == 201
for _ in range(status):
    assert call("GET", "/status", None, token)[0] == 200
PY
kill -TERM "$pid"
wait "$pid" || true
pid=
total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$dir/valgrind.log")
requests=$((SENDS + STATUS + 3))
echo "runtime $runtime, flags [$*]: $total instructions, $((total / requests)) per request ($requests requests)"
echo "callgrind output: $out"
