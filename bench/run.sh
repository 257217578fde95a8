#!/usr/bin/env bash
# Load benchmark: builds agora-server (and the bare hyper yardstick) in release,
# starts a fresh server on a fresh database for every cell, registers two users,
# drives it with wrk and prints a markdown table of req/s, p50/p99 latency,
# server RSS and the load average; then measures memory per idle connection.
#
#   bench/run.sh                                  # everything, 10 s per cell
#   RUNTIMES=tokio CONNS=64 SCENARIOS=status DURATION=5s IDLE= bench/run.sh
#
# Knobs (environment):
#   RUNTIMES        agora runtimes                 "tokio smol blocking"
#   SCENARIOS       bench/lua/<name>.lua            "status connect send_private send_public"
#   CONNS           wrk connections                "16 64 256"
#   DURATION        per cell                       10s
#   SERVER_THREADS  worker threads (agora, hyper)  1 (wrk takes the other core)
#   WRK_THREADS     wrk threads                    1
#   BASELINE        run the hyper yardstick        1 ("" to skip)
#   IDLE            idle connections to open       10000 ("" to skip)
#   SYNC            agora --sync                   full
#   METRICS_ADDR    agora --metrics-addr           "" (metrics off); e.g. 127.0.0.1:9100,
#                   then `curl 127.0.0.1:9100/metrics` while it runs
#
# Only loopback is used. Output: markdown on stdout and in bench/results.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNTIMES=${RUNTIMES-"tokio smol blocking"}
CONNS=${CONNS:-"16 64 256"}
DURATION=${DURATION:-10s}
SCENARIOS=${SCENARIOS:-"status connect send_private send_public"}
PORT=${PORT:-18080}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-1}
BASELINE=${BASELINE-1}
IDLE=${IDLE-10000}
SYNC=${SYNC:-full}
METRICS_ADDR=${METRICS_ADDR:-}
metrics_flags=()
[[ -n "$METRICS_ADDR" ]] && metrics_flags=(--metrics-addr "$METRICS_ADDR")

base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

# 10,000 idle sockets need as many descriptors in the server and in the probe.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

[[ -n "${SERVER_BIN:-}" ]] || (cd "$root" && cargo build --release -q -p agora-server)
server=${SERVER_BIN:-"$root/target/release/agora-server"}
baseline="$here/hyper-baseline/target/release/hyper-baseline"
if [[ -n "$BASELINE" ]]; then
  (cd "$here/hyper-baseline" && cargo build --release -q)
fi

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
load() { cut -d' ' -f1 /proc/loadavg; }

# start_server KIND: agora runtime name, or "hyper". Sets pid, AGORA_TOKEN, AGORA_PEER.
start_server() {
  rm -f "$dir"/bench.db*
  if [[ "$1" == hyper ]]; then
    "$baseline" "$PORT" "$SERVER_THREADS" &
    pid=$!
    wait_up
    AGORA_TOKEN=00000000000000000000000000000000
  else
    "$server" --runtime "$1" --threads "$SERVER_THREADS" --port "$PORT" --db "$dir/bench.db" \
      --sync "$SYNC" --quota 1000000000 --max-connections 20000 --queue 8192 --log warn \
      "${metrics_flags[@]}" &
    pid=$!
    wait_up
    AGORA_TOKEN=$(register alice)
    register bob >/dev/null
  fi
  export AGORA_TOKEN AGORA_PEER=bob
}
stop_server() {
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

out="$here/results.md"
{
  echo "Run $(date -u +%FT%TZ): DURATION=$DURATION, server threads $SERVER_THREADS, wrk threads $WRK_THREADS, --sync $SYNC, metrics ${METRICS_ADDR:-off}, $(nproc) CPUs"
  echo
  echo "| server | scenario | conns | req/s | p50 | p99 | errors | server RSS (KiB) | load |"
  echo "|---|---|---|---|---|---|---|---|---|"
} | tee "$out"

cell() { # kind scenario conns
  start_server "$1"
  local before result rps p50 p99 errors rss
  before=$(load)
  result=$(wrk -t"$WRK_THREADS" -c"$3" -d"$DURATION" --latency -s "$here/lua/$2.lua" "$base_url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$result")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$result")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$result" | tr -s ' \n' ' ')
  rss=$(rss_kb "$pid")
  stop_server
  echo "| $1 | $2 | $3 | $rps | $p50 | $p99 | ${errors:--} | $rss | $before |" | tee -a "$out"
}

for c in $CONNS; do
  # The yardstick runs right before agora at the same connection count, so
  # their ratio is measured under the same machine load.
  [[ -n "$BASELINE" ]] && cell hyper status "$c"
  for rt in $RUNTIMES; do
    for scenario in $SCENARIOS; do
      cell "$rt" "$scenario" "$c"
    done
  done
done

if [[ -n "$IDLE" ]]; then
  {
    echo
    echo "Idle keep-alive connections (one GET /status each, then idle):"
    echo
    echo "| server | connections | RSS before (KiB) | RSS after (KiB) | bytes per idle connection | load |"
    echo "|---|---|---|---|---|---|"
  } | tee -a "$out"
  kinds="$RUNTIMES"
  [[ -n "$BASELINE" ]] && kinds="hyper $kinds"
  nofile=$(ulimit -n)
  for kind in $kinds; do
    n=$IDLE
    # The blocking runtime holds two descriptors per connection (one kept to
    # wake its thread at shutdown): stay under the file limit.
    if [[ "$kind" == blocking ]] && (( 2 * n + 500 > nofile )); then n=$(( (nofile - 500) / 2 )); fi
    start_server "$kind"
    line=$(python3 "$here/idle_conns.py" --pid "$pid" --port "$PORT" --token "$AGORA_TOKEN" -n "$n")
    stop_server
    before=$(sed -n 's/.*rss_before_kib=\([0-9]*\).*/\1/p' <<<"$line")
    after=$(sed -n 's/.*rss_after_kib=\([0-9]*\).*/\1/p' <<<"$line")
    per=$(sed -n 's/.*bytes_per_idle_conn=\([0-9-]*\).*/\1/p' <<<"$line")
    echo "| $kind | $n | $before | $after | $per | $(load) |" | tee -a "$out"
  done
fi
