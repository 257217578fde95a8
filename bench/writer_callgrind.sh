#!/usr/bin/env bash
# Instructions per durable send of the writer thread ('agora-store'),
# counted by callgrind (valgrind) under a wrk send cell, from a fresh
# database, for a fixed number of sends (the search index's merges grow
# with what is stored). Hardly moved by other work on the machine, unlike
# CPU time, but not exact: valgrind runs one thread at a time, so batches
# are small (8-25 sends) and vary with its scheduling, and the WAL
# checkpoints the writer runs itself vary too: runs of one binary spread
# by up to 8 %. Take turns, three rounds or more, compare medians.
#
#   bench/writer_callgrind.sh BINARY [FLAGS...]
#   SENDS=8000 bench/writer_callgrind.sh env SOME_VAR=1 /tmp/b3-after
#
# Knobs (environment): SENDS (4000, then wrk stops), CONNS (64), DURATION
# (60s at most), SCENARIO (send_private_count),
# PORT (18086), KEEP (a path: the writer thread's callgrind file is copied
# there, for callgrind_annotate), METRICS (0: a binary without
# --metrics-addr). Prints: writer instructions/send, all
# threads' instructions/send (the HTTP thread's included), sends, batches.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
(($# >= 1)) || { sed -n 2,17p "$0"; exit 2; }
CONNS=${CONNS:-64}
DURATION=${DURATION:-60s}
SCENARIO=${SCENARIO:-send_private_count}
export SENDS=${SENDS:-4000}
PORT=${PORT:-18086}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need valgrind valgrind
ulimit -n 65536 2>/dev/null || true

# An older binary without --metrics-addr: METRICS=0 (sends are then wrk's
# count, batches unknown).
METRICS_FLAG=()
[[ ${METRICS:-1} == 0 ]] || METRICS_FLAG=(--metrics-addr "127.0.0.1:$((PORT + 1))")
read -ra command <<<"$*"
envs=()
while [[ ${command[0]} == env || ${command[0]} == *=* ]]; do
  [[ ${command[0]} == env ]] || envs+=("${command[0]}")
  command=("${command[@]:1}")
done
env "${envs[@]}" valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/cg.out" \
  "${command[@]}" --runtime tokio --threads 1 --port "$PORT" --db "$dir/cg.db" --sync full \
  --quota 1000000000 --max-connections 20000 --queue 8192 --log warn \
  ${METRICS_FLAG[@]+"${METRICS_FLAG[@]}"} 2>/dev/null &
pid=$!
wait_up 60
AGORA_TOKEN=$(register alice) AGORA_PEER=bob
register bob >/dev/null
export AGORA_TOKEN AGORA_PEER
# The writer's commands so far (wrk's count misses those in flight at its
# end, which the writer still runs before the dump).
metric() {
  [[ ${METRICS:-1} != 0 ]] || { echo 0; return; }
  curl -s "http://127.0.0.1:$((PORT + 1))/metrics" | awk -v name="$1" '$1 == name {print int($2)}'
}
commands() { metric agora_store_batch_size_sum; }
# Counted from here: not the start, the migrations or the registrations.
callgrind_control --zero "$pid" >/dev/null
before=$(commands) batches_before=$(metric agora_store_batch_size_count)
wrk_sends=$(wrk -t1 -c"$CONNS" -d"$DURATION" -s "$here/lua/$SCENARIO.lua" "$base_url" |
  awk '/requests in/ {print $1}')
sleep 1
sends=$(($(commands) - before)) batches=
((sends > 0)) || sends=$wrk_sends
batches=$(($(metric agora_store_batch_size_count) - batches_before))
callgrind_control --dump=cell "$pid" >/dev/null
kill -TERM "$pid"
wait "$pid" || true
pid=
writer=0 all=0
for file in "$dir"/cg.out.1-*; do
  total=$(awk '/^summary:/ {print $2}' "$file")
  all=$((all + total))
  if grep -q 'Writer.*::run' "$file"; then
    writer=$((writer + total))
    [[ -z "${KEEP:-}" ]] || cp "$file" "$KEEP"
  fi
done
echo "writer $((writer / sends))  all $((all / sends))  instructions/send; $sends sends ($wrk_sends answered to wrk), $batches batches"
