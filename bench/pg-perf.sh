#!/usr/bin/env bash
# Where one agora node on PostgreSQL spends its CPU, and where the PostgreSQL
# backends serving it spend theirs (BENCHMARKS.md, issue 17, "Per-request CPU
# by component"): perf samples of both while wrk drives the node, grouped
# into the scheduler, TCP and syscalls, the PostgreSQL client, tokio,
# agora's own code, PostgreSQL itself, and the allocator and libc.
#
#   bench/pg-perf.sh postgres://postgres@127.0.0.1:PORT/DB [send_private|status]
#
# DB must exist (tests/pg/cluster.sh start DIR gives a cluster; createdb or
# psql -c 'CREATE DATABASE ...' a database). Needs perf, wrk, psql, python3
# and target/release/agora-server (cargo build --release -p agora-server).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
db=${1:?usage: $0 postgres://.../DB [send_private|status]}
scenario=${2:-send_private}
root=$(cd "$(dirname "$0")/.." && pwd)
server=${SERVER_BIN:-"$root/target/release/agora-server"}
port=${PORT:-18199}
base_url="http://127.0.0.1:$port"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

# The database outlives this run: so does its server secret (issue 28).
secret=${SECRET_FILE:-"$root/target/agora-bench.secret"}
"$server" --db "$db" --secret-file "$secret" --port "$port" --threads 1 --quota 1000000000 \
  --log warn 2>"$dir/node.log" &
pid=$!
wait_up
AGORA_TOKEN=$(register alice) AGORA_PEER=bob
register bob >/dev/null
export AGORA_TOKEN AGORA_PEER
load() { wrk -t1 -c64 -d"$1" -s "$root/bench/lua/$scenario.lua" "http://127.0.0.1:$port"; }
load 2s >/dev/null
backends=$(psql "$db" -Atc "SELECT string_agg(pid::text, ',') FROM pg_stat_activity
                            WHERE application_name LIKE 'agora %'")
perf record -F 1999 -g -p "$pid" -o "$dir/node.data" -- sleep 8 >/dev/null 2>&1 &
on_node=$!
perf record -F 1999 -g -p "$backends" -o "$dir/backends.data" -- sleep 8 >/dev/null 2>&1 &
on_backends=$!
load 8s | grep "Requests/sec"
wait "$on_node" "$on_backends" || true

for side in node backends; do
  echo "== $side ($scenario)"
  perf report -i "$dir/$side.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
    python3 -c '
import re, sys, collections
groups = [
    ("kernel: scheduler, sleep and wake", lambda d, k, s: k and re.search(
        r"raw_spin_unlock_irq|finish_task_switch|schedule|try_to_wake|futex|select_task|enqueue|dequeue|update_curr|psi_", s)),
    ("kernel: TCP over loopback, other syscalls", lambda d, k, s: k),
    ("the PostgreSQL client", lambda d, k, s: re.search(r"tokio_postgres|postgres_protocol|postgres_types|postgres::", s)),
    ("tokio", lambda d, k, s: re.search(r"tokio::|mio::", s)),
    ("agora (core, store, adapters)", lambda d, k, s: re.search(r"agora_", s)),
    ("PostgreSQL itself", lambda d, k, s: d == "postgres"),
    ("allocator, memcpy, libc, std", lambda d, k, s: True),
]
total = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    pct, dso, kernel, sym = float(m.group(1)), m.group(2), m.group(3) == "k", m.group(4)
    for name, match in groups:
        if match(dso, kernel, sym):
            total[name] += pct
            break
for name, _ in groups:
    if total[name]:
        print(f"{total[name]:6.1f} %  {name}")
'
done
