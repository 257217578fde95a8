#!/usr/bin/env bash
# Instructions the server executes per GET /search, per query of
# bench/search.sh, counted by valgrind's callgrind: what a search costs,
# whatever else the shared machine is doing (its latencies move 2-3x with
# the load; these counts by a few per cent).
#
#   bench/search_instructions.sh SERVER_BIN DB QUERIES_JSON
#   bench/search_instructions.sh target/release/agora-server \
#     /tmp/agora-search-bench/search-1000000.db /tmp/agora-search-bench/queries-1000000.json
#
# DB is bench/search.sh's database (made by bench/search-corpus, already
# migrated by SERVER_BIN: a migration under valgrind takes hours). Asks as
# u0000, one request at a time, each query 3 times not counted then
# REQUESTS (20) times with the counters zeroed before and dumped after.
# Prints the instructions per request of each query. Knobs: REQUESTS, PORT
# (18083), RUNTIME (blocking).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
(($# == 3)) || { sed -n 2,16p "$0"; exit 2; }
server=$1 db=$2 queries=$3
REQUESTS=${REQUESTS:-20}
PORT=${PORT:-18083}
RUNTIME=${RUNTIME:-blocking}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need valgrind valgrind
out=$dir/search.callgrind

valgrind --tool=callgrind --callgrind-out-file="$out" "$server" --runtime "$RUNTIME" \
  --threads 1 --port "$PORT" --db "$db" --secret-file "$db.secret" --log warn \
  2>"$dir/valgrind.log" &
pid=$!
for _ in $(seq 1200); do curl -s -o /dev/null "$base_url/health" && break; sleep 0.1; done
python3 - "$PORT" "$queries" "$REQUESTS" "$pid" "$out" <<'PY'
import glob, http.client, json, subprocess, sys, urllib.parse
port, queries, requests, pid, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
queries = json.load(open(queries))
token = "a5" * 8 + "%016x" % 0  # u0000, as bench/search_latency.py
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def ask(q):
    conn.request("GET", "/search?q=" + urllib.parse.quote(q), headers={"Authorization": "Bearer " + token})
    reply = conn.getresponse()
    body = reply.read()
    assert reply.status == 200, body[:200]
def total(path):
    for line in open(path):
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no total in {path}")
for kind in ["common", "rare", "two_words", "prefix", "long_prefix", "adversarial"]:
    for _ in range(3):
        ask(queries[kind])
    subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
    for _ in range(requests):
        ask(queries[kind])
    before = set(glob.glob(out + "*"))
    subprocess.run(["callgrind_control", "--dump=" + kind, pid], check=True, capture_output=True)
    dumped = sorted(set(glob.glob(out + "*")) - before)
    count = sum(total(path) for path in dumped)
    print(f"{kind} {queries[kind]!r}: {count // requests} instructions per request")
PY
kill -TERM "$pid"
wait "$pid" || true
pid=
