#!/usr/bin/env bash
# Issue 17 benchmark: SQLite against PostgreSQL, one and two agora nodes.
# Builds agora-server in release, starts a durable throwaway PostgreSQL cluster
# (AGORA_PG_DURABLE=1 tests/pg/cluster.sh: fsync on, synchronous_commit on),
# and for every cell starts fresh nodes on a fresh database, registers alice
# and bob, and drives them with wrk for DURATION:
#   sqlite  one node, --db on a SQLite file (--sync full)
#   pg1     one node on a PostgreSQL database
#   pg2     two nodes on one PostgreSQL database; the CONNS connections are
#           split between them, one wrk per node, run at the same time
# with the scenarios of bench/lua/ (SCENARIOS):
#   send_private  POST /send alice -> bob: each 201 is durable (committed and
#                 fsynced); CONNS concurrent clients, so the writer batches
#   status        GET /status
# Each cell reports req/s (every wrk summed), p99 (the worse wrk's), non-2xx
# and socket errors, for send_private a check that the store holds what wrk
# counted (between the 201s and the 201s plus the requests in flight at the
# end) and the writer's mean batch size and time per batch on each node (from
# --metrics-addr: the batch's whole transaction, on PostgreSQL from BEGIN and
# the wait for the write lock to COMMIT), how much of that was the wait to
# begin (agora_store_write_lock_wait_seconds: BEGIN and the write lock, so
# mostly the other node's transactions) and its round trips to PostgreSQL per
# batch (agora_store_round_trips_total over the batches), and CPU per request by component:
# the agora node(s) and the postgres processes (utime+stime from
# /proc/PID/stat, postgres' children included) and the load generator (the
# wrk processes), each divided by the requests wrk counted, and the cores
# every other process used meanwhile (/proc/stat less those). Generator,
# nodes and PostgreSQL share this machine's cores (2 here): the figures
# compare the three set-ups on one machine; they are not what each part
# does on a machine of its own.
#
#   bench/pg.sh                                     # 3 runs: ~6 min
#   RUNS=1 DURATION=5s CONFIGS="pg1 pg2" bench/pg.sh
#
# Knobs (environment): RUNS (3; the configurations take turns within a run),
# CONFIGS ("sqlite pg1 pg2"), SCENARIOS ("send_private status"), CONNS (64 in
# all), DURATION (10s), RUNTIME (tokio), SERVER_THREADS (1 per node),
# SERVER_BIN (skips the build), CLUSTER (tests/pg/cluster.sh), SESSIONS
# (1: each node and each wrk in a session of its own, `setsid`: with the
# kernel's autogroup scheduling a session is a CPU group, and PostgreSQL's
# backends are one each; see BENCHMARKS.md, issue 23, the two-node `/status` tail),
# PORT (18100: nodes on PORT, PORT+1; metrics on PORT+10, PORT+11).
# Only loopback is used. Prints a markdown table, one row per cell, then the
# medians over the runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNS=${RUNS:-3}
CONFIGS=${CONFIGS:-"sqlite pg1 pg2"}
SCENARIOS=${SCENARIOS:-"send_private status"}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
RUNTIME=${RUNTIME:-tokio}
SERVER_THREADS=${SERVER_THREADS:-1}
CLUSTER=${CLUSTER:-"$root/tests/pg/cluster.sh"}
PORT=${PORT:-18100}
SESSIONS=${SESSIONS:-0}
# What the nodes and the wrk processes are started with. `setsid` runs them
# in place (they are not process-group leaders), so $! stays their pid.
in_session=()
[[ "$SESSIONS" == 1 ]] && in_session=(setsid)
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need psql postgresql-client

# Nodes (pids and ports) of the current cell, and the cluster: stopped at exit
# with the scratch folder (lib.sh's cleanup).
nodes=() ports=()
pgdir=
stop_nodes() {
  local p
  for p in "${nodes[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${nodes[@]}"; do wait "$p" 2>/dev/null || true; done
  nodes=() ports=()
}
stop_all() {
  stop_nodes
  if [[ -n "$pgdir" ]]; then "$CLUSTER" stop "$pgdir" || true; fi
  cleanup
}
trap stop_all EXIT

ulimit -n 65536 2>/dev/null || true
[[ -n "${SERVER_BIN:-}" ]] || (cd "$root" && cargo build --release -q -p agora-server)
server=${SERVER_BIN:-"$root/target/release/agora-server"}

# The cluster's folder must be reachable by the `postgres` user: not inside
# the scratch folder, which only root may enter.
pgdir=$(mktemp -d /tmp/agora-bench-pg.XXXXXX)
admin_url=$(AGORA_PG_DURABLE=1 "$CLUSTER" start "$pgdir")
pg_url() { echo "${admin_url%/*}/$1?sslmode=disable"; }
pg_postmaster() { head -n 1 "$pgdir/data/postmaster.pid"; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "$1" >/dev/null; }
pg_setting() { psql -X -At -d "$admin_url" -c "SHOW $1"; }

# start_nodes CONFIG CELL: fresh database, as many nodes as CONFIG has.
start_nodes() {
  local db count i
  case $1 in
    sqlite) db="$dir/$2.db" count=1 ;;
    pg1) db=$(pg_url "$2") count=1 ;;
    pg2) db=$(pg_url "$2") count=2 ;;
    *) echo "unknown configuration $1" >&2; return 1 ;;
  esac
  [[ "$1" == sqlite ]] || psql_admin "CREATE DATABASE $2"
  for i in $(seq 0 $((count - 1))); do
    # One secret file per cell: its nodes share it (issue 28).
    "${in_session[@]}" "$server" --runtime "$RUNTIME" --threads "$SERVER_THREADS" --port $((PORT + i)) --db "$db" \
      --secret-file "$dir/$2.secret" --metrics-addr "127.0.0.1:$((PORT + 10 + i))" --quota 1000000000 \
      --max-connections 19000 --queue 8192 --log warn &
    nodes+=($!)
    ports+=($((PORT + i)))
  done
  for i in "${!ports[@]}"; do base_url="http://127.0.0.1:${ports[$i]}" wait_up; done
}

# CPU ticks (USER_HZ) so far of a process (and its reaped children, when asked).
ticks() { awk -v kids="${2:-}" '{t = $14 + $15; if (kids) t += $16 + $17; print t}' "/proc/$1/stat"; }
# Of the agora nodes.
agora_ticks() { local p t=0; for p in "${nodes[@]}"; do t=$((t + $(ticks "$p"))); done; echo $t; }
# Of the PostgreSQL cluster: the postmaster with what it reaped, and its
# children alive now (backends, WAL writer, checkpointer ...).
pg_ticks() {
  local pm c t
  pm=$(pg_postmaster)
  t=$(ticks "$pm" kids)
  for c in $(pgrep -P "$pm"); do t=$((t + $(ticks "$c" 2>/dev/null || echo 0))); done
  echo "$t"
}
# Busy ticks of the whole machine.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)

# metric NAME PORT: a sample of a node's /metrics.
metric() { curl -s "127.0.0.1:$2/metrics" | awk -v n="$1" '$1 == n {print $2}'; }

# cell CONFIG SCENARIO RUN -> one table row; the figures also go to $dir/rows.
cell() {
  local name="bench_$1_$2_$3" each out i a0 p0 m0 a1 p1 m1 gen requests rps p99 errors check batches commit wait trips
  start_nodes "$1" "$name"
  base_url="http://127.0.0.1:${ports[0]}"
  AGORA_TOKEN=$(register alice) AGORA_PEER=bob
  register bob >/dev/null
  export AGORA_TOKEN AGORA_PEER
  each=$((CONNS / ${#ports[@]}))
  ((each > 0)) || { echo "CONNS=$CONNS: fewer connections than the nodes of $1" >&2; return 1; }
  out="$dir/wrk"
  rm -f "$out".*
  a0=$(agora_ticks) p0=0 m0=$(machine_ticks)
  [[ "$1" == sqlite ]] || p0=$(pg_ticks)
  # One wrk per node at once, in a subshell whose `times` then gives their
  # CPU (its children's user and system time; not in a pipe, which would be
  # a subshell of its own with no children).
  (
    for i in "${!ports[@]}"; do
      "${in_session[@]}" wrk -t1 -c"$each" -d"$DURATION" --latency -s "$here/lua/$2.lua" "http://127.0.0.1:${ports[$i]}" >"$out.$i" &
    done
    wait
    times >"$out.times"
  )
  gen=$(awk 'NR == 2 {s = 0; for (i = 1; i <= 2; i++) {split($i, t, /[ms]/); s += t[1] * 60 + t[2]} print s}' "$out.times")
  a1=$(agora_ticks) p1=0 m1=$(machine_ticks)
  [[ "$1" == sqlite ]] || p1=$(pg_ticks)
  requests=$(cat "$out".[0-9] | awk '/requests in/ {n += $1} END {print n}')
  rps=$(cat "$out".[0-9] | awk '/Requests\/sec/ {n += $2} END {printf "%d", n}')
  p99=$(cat "$out".[0-9] | awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
          ms = u == "us" ? v / 1000 : u == "s" ? v * 1000 : v; if (ms > m) m = ms} END {printf "%.2f ms", m}')
  errors=$(cat "$out".[0-9] | awk '/Non-2xx|Socket errors/' | tr -s ' \n' ' ')
  check=-
  if [[ "$2" == send_private ]]; then
    # alice's private chat with bob holds every message wrk saw answered, and
    # at most the CONNS requests still in flight when wrk stopped besides.
    local stored
    stored=$(curl -s -H "Authorization: Bearer $AGORA_TOKEN" "$base_url/status" |
      python3 -c 'import json, sys; print(sum(c["messages_number"] for c in json.load(sys.stdin)["chats"] if c["name"] == "bob"))')
    if ((stored >= requests && stored <= requests + CONNS)); then check="ok ($stored)"; else check="**WRONG: $stored stored, $requests answered**"; fi
  fi
  # The writer's figures, for the sends (in `status` it only registered two users).
  batches=- commit=- wait=- trips=-
  [[ "$2" == send_private ]] && batches="" commit="" wait="" trips=""
  for i in "${!ports[@]}"; do
    [[ "$2" == send_private ]] || break
    local mp=$((PORT + 10 + i)) bs bc cs cc rt lw
    bs=$(metric agora_store_batch_size_sum "$mp") bc=$(metric agora_store_batch_size_count "$mp")
    cs=$(metric agora_store_commit_duration_seconds_sum "$mp") cc=$(metric agora_store_commit_duration_seconds_count "$mp")
    rt=$(metric agora_store_round_trips_total "$mp")
    lw=$(metric agora_store_write_lock_wait_seconds_total "$mp")
    wait+="${wait:+ / }$(awk -v s="${lw:-0}" -v c="${bc:-0}" 'BEGIN {if (c > 0 && s > 0) printf "%.2f", 1000 * s / c; else printf "-"}')"
    trips+="${trips:+ / }$(awk -v s="${rt:-0}" -v c="${bc:-0}" 'BEGIN {if (c > 0 && s > 0) printf "%.1f", s / c; else printf "-"}')"
    batches+="${batches:+ / }$(awk -v s="${bs:-0}" -v c="${bc:-0}" 'BEGIN {if (c > 0) printf "%.1f", s / c; else printf "-"}')"
    commit+="${commit:+ / }$(awk -v s="${cs:-0}" -v c="${cc:-0}" 'BEGIN {if (c > 0) printf "%.2f", 1000 * s / c; else printf "-"}')"
  done
  stop_nodes
  [[ "$1" == sqlite ]] || psql_admin "DROP DATABASE $name WITH (FORCE)"
  # CPU per request in µs; other processes in cores over the run.
  local seconds=${DURATION%s}
  awk -v a=$((a1 - a0)) -v p=$((p1 - p0)) -v m=$((m1 - m0)) -v g="$gen" -v n="$requests" -v hz="$hz" \
    -v s="$seconds" -v row="| $1 | $2 | $3 | $rps | $p99 | ${errors:--} | $check | $batches | $commit | $wait | $trips" 'BEGIN {
      us = 1e6 / hz / n
      other = (m - a - p - g * hz) / hz / s
      printf "%s | %.1f | %.1f | %.1f | %.1f | %.2f |\n", row, a * us, p * us, g * 1e6 / n, (a + p) * us + g * 1e6 / n, other
    }' | tee -a "$dir/rows"
}

echo "Run $(date -u +%FT%TZ): $(nproc) CPUs shared by wrk, the agora nodes and PostgreSQL $(pg_setting server_version)" \
  "(fsync $(pg_setting fsync), synchronous_commit $(pg_setting synchronous_commit)); SQLite --sync full;" \
  "$CONNS connections in all, $DURATION per cell, runtime $RUNTIME, $SERVER_THREADS worker thread(s) per node"
echo
echo "| config | scenario | run | req/s | p99 | errors | stored | batch size per node | ms per batch per node | of which waiting to begin | round trips per batch per node | agora µs/req | postgres µs/req | wrk µs/req | total µs/req | other processes, cores |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for run in $(seq "$RUNS"); do
  for scenario in $SCENARIOS; do
    for config in $CONFIGS; do
      cell "$config" "$scenario" "$run"
    done
  done
done

# Medians over the runs of the numeric columns that matter.
echo
echo "Medians over $RUNS run(s):"
echo
echo "| config | scenario | req/s | agora µs/req | postgres µs/req | wrk µs/req | total µs/req |"
echo "|---|---|---|---|---|---|---|"
for scenario in $SCENARIOS; do
  for config in $CONFIGS; do
    awk -F' *\\| *' -v c="$config" -v s="$scenario" '$2 == c && $3 == s {
        n++; r[n] = $5; a[n] = $13; p[n] = $14; g[n] = $15; t[n] = $16 }
      function med(x,   i, j, v) {
        for (i = 2; i <= n; i++) { v = x[i]; for (j = i - 1; j >= 1 && x[j] > v; j--) x[j + 1] = x[j]; x[j + 1] = v }
        return x[int((n + 1) / 2)] }
      END { if (n) printf "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f |\n", c, s, med(r), med(a), med(p), med(g), med(t) }' "$dir/rows"
  done
done
