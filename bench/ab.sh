#!/usr/bin/env bash
# Interleaved A/B of agora-server binaries on one load cell: this machine's
# speed drifts over minutes, so the binaries take turns, RUNS times each, and
# the medians are compared. Each run is a bench/run.sh cell: a fresh server on
# a fresh database, two users, wrk with bench/lua/SCENARIO.lua.
#
#   bench/ab.sh RUNS RUNTIME SCENARIO BINARY...
#   bench/ab.sh 5 tokio send_private /tmp/agora-before target/release/agora-server
#   bench/ab.sh 5 tokio status target/release/agora-server \
#     "target/release/agora-server --metrics-addr 127.0.0.1:9100"   # one binary, two flag sets
#
# Knobs (environment): CONNS (64), DURATION (10s), SYNC (full), PORT (18081).
# Prints one markdown row per binary: req/s of each run, median req/s, median p99.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
(($# >= 4)) || { sed -n 2,13p "$0"; exit 2; }
runs=$1 runtime=$2 scenario=$3
shift 3
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
SYNC=${SYNC:-full}
PORT=${PORT:-18081}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
ulimit -n 65536 2>/dev/null || true

# one_run "BINARY [FLAGS...]" -> "req/s p99_ms"
one_run() {
  rm -f "$dir"/ab.db*
  local command
  read -ra command <<<"$1"
  "${command[@]}" --runtime "$runtime" --threads 1 --port "$PORT" --db "$dir/ab.db" --sync "$SYNC" \
    --quota 1000000000 --max-connections 20000 --queue 8192 --log warn &
  pid=$!
  wait_up
  AGORA_TOKEN=$(register alice) AGORA_PEER=bob
  register bob >/dev/null
  export AGORA_TOKEN AGORA_PEER
  local result
  result=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$here/lua/$scenario.lua" "$base_url")
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  awk '/Requests\/sec/ {rps = int($2)}
       $1 == "99%" {v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
                    p99 = unit == "us" ? v / 1000 : unit == "s" ? v * 1000 : v}
       END {print rps, p99}' <<<"$result"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A rates p99s
for _ in $(seq "$runs"); do
  for binary in "$@"; do
    read -r rate p99 < <(one_run "$binary")
    rates[$binary]="${rates[$binary]:-} $rate"
    p99s[$binary]="${p99s[$binary]:-} $p99"
  done
done
for binary in "$@"; do
  echo "| $binary | $runtime | $scenario |${rates[$binary]} | $(median <<<"${rates[$binary]}") | $(median <<<"${p99s[$binary]}") ms |"
done
