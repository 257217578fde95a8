#!/usr/bin/env bash
# Live delivery benchmark (issue 14): builds agora-server and the load
# generator bench/live-load in release, then, for every runtime and run, starts
# a fresh server on a fresh database and drives it with the generator:
#   sse   SUBSCRIBERS event streams (GET /events, Accept: text/event-stream),
#         one sender posting RATE public messages a second for DURATION s:
#         deliveries/s, latency from each 201 to each receipt, the server's
#         RSS per idle subscriber and CPU per delivery;
#   poll  WAITERS long-polls (GET /events?since=HEAD&timeout=60), one message,
#         ROUNDS rounds: wake latency from the 201 to each answer.
# Latencies are measured with the kernel's receive timestamps of the 201 and
# of each receipt (see bench/live-load/src/stamp.rs). "Other processes" is the
# CPU the rest of the machine used meanwhile (/proc/stat less the server and
# the generator), in cores: this machine is shared. The full output of each
# run, with the generator's own view and the latency from the POST, goes to
# bench/live-results.txt. Prints a markdown table per scenario, one row per run.
#
#   bench/live.sh                                 # tokio and smol, 3 runs: ~8 min
#   RUNTIMES=tokio RUNS=1 DURATION=10 SCENARIOS=sse bench/live.sh
#   RUNTIMES=blocking SUBSCRIBERS=6000 bench/live.sh   # see BENCHMARKS.md
#   SERVER_BIN="/tmp/agora-before target/release/agora-server" bench/live.sh
#
# With several SERVER_BIN binaries, each run starts each binary in turn
# (interleaved, as bench/ab.sh does: this machine's speed drifts over minutes).
#
# Knobs (environment): RUNTIMES ("tokio smol"), RUNS (3), SCENARIOS ("sse poll"),
# SUBSCRIBERS (10000), RATE (20), DURATION (30), WAITERS (1000), ROUNDS (5),
# GEN_THREADS (generator runtime threads, 1), SERVER_THREADS (0: one per CPU),
# SERVER_BIN (binaries to compare; skips the server build), PORT (18090),
# ROOM (issue 25: a public room, e.g. '#live', that every subscriber joins
# and the sender writes to instead of the public chat; empty: the public chat).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNTIMES=${RUNTIMES:-"tokio smol"}
RUNS=${RUNS:-3}
SCENARIOS=${SCENARIOS:-"sse poll"}
SUBSCRIBERS=${SUBSCRIBERS:-10000}
RATE=${RATE:-20}
DURATION=${DURATION:-30}
WAITERS=${WAITERS:-1000}
ROUNDS=${ROUNDS:-5}
GEN_THREADS=${GEN_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-0}
PORT=${PORT:-18090}
ROOM=${ROOM:-}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

(cd "$root" && cargo build --release -q -p agora-live-load)
[[ -n "${SERVER_BIN:-}" ]] || (cd "$root" && cargo build --release -q -p agora-server)
servers=${SERVER_BIN:-"$root/target/release/agora-server"}
generator="$root/target/release/agora-live-load"
log="$here/live-results.txt"
: >"$log"

# field NAME LINE: the value of NAME=... in a generator's summary line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# one_run SERVER RUNTIME SCENARIO -> the generator's summary line
one_run() {
  local server=$1
  shift
  rm -f "$dir"/live.db*
  "$server" --runtime "$1" --threads "$SERVER_THREADS" --port "$PORT" --db "$dir/live.db" \
    --quota 1000000000 --max-connections 19000 --queue 8192 --log error &
  pid=$!
  wait_up
  local args
  if [[ "$2" == sse ]]; then
    args=(sse --subscribers "$SUBSCRIBERS" --rate "$RATE" --seconds "$DURATION")
    [[ -z "$ROOM" ]] || args+=(--room "$ROOM")
  else
    args=(poll --waiters "$WAITERS" --rounds "$ROUNDS")
  fi
  {
    echo "== $server $1 $2, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$generator" --addr "127.0.0.1:$PORT" --pid "$pid" --threads "$GEN_THREADS" "${args[@]}"
  } >>"$log" 2>&1 || echo "summary failed=1" >>"$log"
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  tail -n 1 "$log"
}

echo "Run $(date -u +%FT%TZ): $(nproc) CPUs, server threads $SERVER_THREADS, generator threads $GEN_THREADS"
for scenario in $SCENARIOS; do
  echo
  if [[ "$scenario" == sse ]]; then
    echo "SSE: $SUBSCRIBERS subscribers, $RATE public messages/s for $DURATION s (latency from the 201, kernel stamps)"
    echo
    echo "| server | runtime | run | load | deliveries/s | missing | p50 | p99 | a message's last receipt, p99 | sends/s | server µs/delivery | bytes per idle subscriber | other processes, cores |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  else
    echo "Long-poll: $WAITERS waiters, one message, $ROUNDS rounds (latency from the 201, kernel stamps)"
    echo
    echo "| server | runtime | run | load | wake p50 | wake p99 | wake max | answers without the message | bytes per held wait | server µs per wait | other processes, cores |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
  fi
  for rt in $RUNTIMES; do
    for run in $(seq "$RUNS"); do
      for server in $servers; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        s=$(one_run "$server" "$rt" "$scenario")
        if [[ "$scenario" == sse ]]; then
          echo "| $server | $rt | $run | $load | $(field deliveries_per_s "$s") | $(field missing "$s") | $(field kernel_p50_ms "$s") ms | $(field kernel_p99_ms "$s") ms | $(field complete_p99_ms "$s") ms | $(field send_rate "$s") | $(field server_cpu_us_per_delivery "$s") | $(field bytes_per_idle_subscriber "$s") | $(field other_cores "$s") |"
        else
          echo "| $server | $rt | $run | $load | $(field kernel_p50_ms "$s") ms | $(field kernel_p99_ms "$s") ms | $(field kernel_max_ms "$s") ms | $(field wrong "$s") | $(field bytes_per_held_wait "$s") | $(field server_cpu_us_per_wait "$s") | $(field other_cores "$s") |"
        fi
      done
    done
  done
done
