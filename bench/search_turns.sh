#!/usr/bin/env bash
# Issue 27: bench/search.sh's latency steps in turns, so that binaries and
# backends share the machine's load: each round runs, for every binary of
# BINS in order, the SQLite step then the PostgreSQL step, on the same data
# (made before by bench/search.sh) and the same PostgreSQL copy (PG_URL,
# kept between rounds). Each step's header line holds the time and
# `uptime`. Medians: bench/search_medians.py on the output.
#
#   BINS="before=/path/agora-server after=target/release/agora-server" \
#   PG_URL=postgres://... CORPUS_BIN=... [DATA=...] [ROUNDS=5] [REQUESTS=200] \
#   bench/search_turns.sh > turns.log
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-200}
: "${BINS:?label=path of each agora-server binary}" "${PG_URL:?}" "${CORPUS_BIN:?}"
for round in $(seq "$ROUNDS"); do
  for bin in $BINS; do
    for step in sqlite pg; do
      echo "### round $round bin ${bin%%=*} step $step $(date -u +%T) uptime: $(uptime)"
      STEPS=$step SERVER_BIN=${bin#*=} REQUESTS=$REQUESTS "$here/search.sh" 2>&1 | grep -v '^queries'
    done
  done
done
