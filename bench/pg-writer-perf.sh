#!/usr/bin/env bash
# Where the PostgreSQL backend of one node's writer spends its CPU while the
# write lock is held (issue 23): perf samples of that backend alone
# (application_name 'agora writer') while wrk drives send_private on 64
# connections, then its CPU per send and per batch, and the share of named
# PostgreSQL functions with their callees (perf --children): starting and
# ending the statements' plans, the data-modifying CTEs, the foreign-key
# checks, index inserts, COMMIT.
#
#   bench/pg-writer-perf.sh postgres://postgres@127.0.0.1:PORT/postgres
#
# A fresh database (agora_writer_perf_<pid>) is made in that cluster and
# dropped after; start a durable one for figures a 201 pays
# (AGORA_PG_DURABLE=1 tests/pg/cluster.sh start DIR). Needs perf, wrk,
# psql, python3; SERVER_BIN (default target/release/agora-server),
# DURATION (perf's seconds, 6), CONNS (wrk's connections, 64), PORT (18299;
# metrics on PORT+1), PERF_DATA.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
admin=${1:?usage: $0 postgres://.../postgres}
root=$(cd "$(dirname "$0")/.." && pwd)
server=${SERVER_BIN:-"$root/target/release/agora-server"}
port=${PORT:-18299}
duration=${DURATION:-6}
db_name=agora_writer_perf_$$
db=${admin%/*}/$db_name
base_url="http://127.0.0.1:$port"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
# bench/scratch.sh's cleanup (the server, the scratch folder), then the database.
trap 'cleanup; psql "$admin" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null 2>&1 || true' EXIT
psql "$admin" -qc "CREATE DATABASE $db_name"

"$server" --db "$db" --secret-file "$dir/secret" --port "$port" --threads 1 \
  --metrics-addr "127.0.0.1:$((port + 1))" --quota 1000000000 --log warn 2>"$dir/node.log" &
pid=$!
wait_up
AGORA_TOKEN=$(register alice) AGORA_PEER=bob
register bob >/dev/null
export AGORA_TOKEN AGORA_PEER
load() { wrk -t1 -c"${CONNS:-64}" -d"$1" -s "$root/bench/lua/send_private.lua" "http://127.0.0.1:$port"; }
metric() {
  curl -s "http://127.0.0.1:$((port + 1))/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'
}
load 2s >/dev/null
writer=$(psql "$db" -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'agora writer'")
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$writer/stat"; }
batches0=$(metric agora_store_batch_size_count) sends0=$(metric agora_store_batch_size_sum)
cpu0=$(cpu)
perf record -F 1999 -g -p "$writer" -o "$dir/writer.data" -- sleep "$duration" >/dev/null 2>&1 &
recording=$!
load "${duration}s" | grep "Requests/sec"
wait "$recording" || true
# PERF_DATA=FILE keeps the samples (perf report -i FILE).
[[ -n "${PERF_DATA:-}" ]] && cp "$dir/writer.data" "$PERF_DATA"
cpu1=$(cpu)
batches1=$(metric agora_store_batch_size_count) sends1=$(metric agora_store_batch_size_sum)
python3 - "$hz" "$cpu0" "$cpu1" "$batches0" "$batches1" "$sends0" "$sends1" <<'EOF'
import sys
hz, c0, c1, b0, b1, s0, s1 = map(float, sys.argv[1:])
cpu = (c1 - c0) / hz
batches, sends = b1 - b0, s1 - s0
print(f"writer backend: {cpu:.2f} s CPU, {batches:.0f} batches of {sends / batches:.1f} commands, "
      f"{cpu / sends * 1e6:.1f} us per command, {cpu / batches * 1e3:.3f} ms per batch")
EOF
echo "share of the writer backend's samples, callees included:"
perf report -i "$dir/writer.data" --children --sort sym --stdio -g none 2>/dev/null |
  python3 -c '
import re, sys
names = ["exec_bind_message", "exec_execute_message", "PortalStart", "standard_ExecutorStart",
         "ExecInitNode", "standard_ExecutorRun", "standard_ExecutorFinish",
         "AfterTriggerEndQuery", "RI_FKey_check", "ExecInsertIndexTuples", "ginInsert",
         "btinsert", "ExecInitLockRows", "standard_ExecutorEnd", "CommitTransaction",
         "XLogFlush", "exec_simple_query", "PostgresMain"]
seen = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(\S+)", line)
    if m and m.group(3) in names and m.group(3) not in seen:
        seen[m.group(3)] = float(m.group(1))
for name in names:
    if name in seen:
        print(f"{seen[name]:6.1f} %  {name}")
'
