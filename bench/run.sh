#!/usr/bin/env bash
# Load benchmark: builds agora-server in release, starts it on a fresh database
# for each runtime, registers two users, drives it with wrk and prints a
# markdown table of req/s, p50/p99 latency and server RSS.
#
#   bench/run.sh                       # all runtimes, 16/64/256 connections, 10 s
#   RUNTIMES="tokio" CONNS="64" DURATION=5s bench/run.sh
#
# Only loopback is used. Output: a markdown table on stdout (bench/results.md too).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNTIMES=${RUNTIMES:-"tokio smol blocking"}
CONNS=${CONNS:-"16 64 256"}
DURATION=${DURATION:-10s}
SCENARIOS=${SCENARIOS:-"status connect send_private send_public"}
PORT=${PORT:-18080}
WRK_THREADS=${WRK_THREADS:-1}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
(cd "$root" && cargo build --release -q -p agora-server)
server="$root/target/release/agora-server"

register() { # name -> token
  curl -s -X POST "http://127.0.0.1:$PORT/get-token" -d "{\"user_name\": \"$1\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

out="$here/results.md"
{
  echo "| runtime | scenario | conns | req/s | p50 | p99 | server RSS after (KiB) |"
  echo "|---|---|---|---|---|---|---|"
} | tee "$out"
for rt in $RUNTIMES; do
  for scenario in $SCENARIOS; do
    for c in $CONNS; do
      dir=$(mktemp -d)
      "$server" --runtime "$rt" --port "$PORT" --db "$dir/bench.db" --quota 100000000 --log warn &
      pid=$!
      for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
      AGORA_TOKEN=$(register alice)
      register bob >/dev/null
      export AGORA_TOKEN AGORA_PEER=bob
      result=$(wrk -t"$WRK_THREADS" -c"$c" -d"$DURATION" --latency -s "$here/lua/$scenario.lua" "http://127.0.0.1:$PORT")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$result")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$result")
      errors=$(awk '/Non-2xx|Socket errors/' <<<"$result" | tr '\n' ' ')
      rss=$(rss_kb "$pid")
      kill -TERM "$pid"; wait "$pid" || true
      rm -rf "$dir"
      echo "| $rt | $scenario | $c | $rps | $p50 | $p99 | $rss ${errors:+($errors)}|" | tee -a "$out"
    done
  done
done
