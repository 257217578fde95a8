#!/usr/bin/env bash
# CPU time per durable send of the writer thread ('agora-store') and of
# the whole server, from `perf stat -e task-clock --per-thread` over a wrk
# send cell (bench/ab.sh's: a fresh server and database, two users, 64
# connections of private sends), with the mean batch from /metrics. This
# machine's VM has no hardware counters (`instructions` is "not
# supported"); for instructions see bench/writer_callgrind.sh. CPU time
# moves by 10-15 % with what else runs here: take turns, several rounds.
#
#   bench/writer_cpu.sh BINARY [FLAGS...]
#   bench/writer_cpu.sh /tmp/b3-after
#   bench/writer_cpu.sh env SOME_VAR=1 /tmp/b3-after
#
# Knobs (environment): CONNS (64), DURATION (8s), SCENARIO (send_private),
# PORT (18083), RUNTIME (tokio), EVENT (task-clock). Prints: writer and
# all threads' CPU µs per send, sends, batches.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
(($# >= 1)) || { sed -n 2,17p "$0"; exit 2; }
CONNS=${CONNS:-64}
DURATION=${DURATION:-8s}
SCENARIO=${SCENARIO:-send_private}
PORT=${PORT:-18083}
RUNTIME=${RUNTIME:-tokio}
metrics_port=$((PORT + 1))
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need perf linux-perf
ulimit -n 65536 2>/dev/null || true

read -ra command <<<"$*"
"${command[@]}" --runtime "$RUNTIME" --threads 1 --port "$PORT" --db "$dir/wi.db" --sync full \
  --quota 1000000000 --max-connections 20000 --queue 8192 --log warn \
  --metrics-addr "127.0.0.1:$metrics_port" &
pid=$!
wait_up
AGORA_TOKEN=$(register alice) AGORA_PEER=bob
register bob >/dev/null
export AGORA_TOKEN AGORA_PEER
batches() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^agora_store_batch_size_count/ {print $2}'; }
before=$(batches)
perf stat -e "${EVENT:-task-clock}" --per-thread -x, -o "$dir/perf.csv" -p "$pid" &
perf_pid=$!
sleep 0.2
sends=$(wrk -t1 -c"$CONNS" -d"$DURATION" -s "$here/lua/$SCENARIO.lua" "$base_url" |
  awk '/requests in/ {print $1}')
kill -INT "$perf_pid"
wait "$perf_pid" || true
after=$(batches)
kill -TERM "$pid"
wait "$pid" || true
pid=
# perf's CSV: "comm-tid,count,unit,event,...".
awk -F, -v sends="$sends" -v batches="$((after - before))" '
  $2 ~ /^[0-9.]+$/ { all += $2; if ($1 ~ /^agora-store-/) writer += $2; unit = $3; event = $4 }
  END { scale = unit == "msec" ? 1000 : 1
        printf "writer %.2f  all %.2f  %s/send; %d sends, %d batches (%.1f a batch)\n",
        writer * scale / sends, all * scale / sends, unit == "msec" ? "cpu-us" : event,
        sends, batches, sends / batches }' "$dir/perf.csv"
