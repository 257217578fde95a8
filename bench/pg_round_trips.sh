#!/usr/bin/env bash
# Issue 23: the PostgreSQL writer's round trips per batch, for batches of
# about 1, 16 and 64 commands: bench/pg.sh's send_private cell on one node
# (pg1) with 1, 16 and 64 connections. Each wrk connection has one send in
# flight, so a batch holds at most that many; the row's "batch size per
# node" says what they held, "round trips per batch per node" what each
# cost (agora_store_round_trips_total over agora_store_batch_size_count).
#
#   bench/pg_round_trips.sh                      # ~1 min, builds in release
#   SERVER_BIN=target/release/agora-server DURATION=3s bench/pg_round_trips.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for conns in ${ROUND_TRIP_CONNS:-1 16 64}; do
  CONFIGS=pg1 SCENARIOS=send_private RUNS=1 CONNS=$conns DURATION=${DURATION:-3s} \
    "$here/pg.sh" | awk -v c="$conns" '/^\| config/ && !h {print; h = 1} /^\| pg1 \| send_private/ && !r {print "connections " c ": " $0; r = 1}'
done
