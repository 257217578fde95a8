#!/usr/bin/env bash
# Issue 27 benchmark: GET /search on 1,000,000 messages, SQLite and
# PostgreSQL, and what the index costs a durable send.
#
#   bench/search.sh                 # ~10 min the first time (the data), then ~4
#   STEPS="sqlite sends" bench/search.sh
#
# 1. The data (once; kept in $DATA and reused): bench/search-corpus writes a
#    SQLite database through the store's own SqlView, search index
#    included: 1,000 users, 500,000 public and 500,000 private messages
#    (users 0-499 and 500-999 talk privately only within their half, each
#    user in 20 chats), 4 to 16 words each from a 50,000-word Zipf
#    vocabulary (s = 1.05), and `quokka` in 30% of the private messages of
#    users 500-999 only. It prints the queries and the index's size.
# 2. sqlite: agora-server (release) on that file; bench/search_latency.py
#    asks as u0000 (in 20 chats of the first half) one query at a time,
#    REQUESTS times each: a common word (Zipf rank 1), a rare word (rank
#    ~20,000, still found), two words (ranks 4 and 41), a 4-character
#    prefix (a prefix index serves it), a 6-character one (none does) and
#    the adversarial word (frequent only in chats u0000 is not in); p50
#    and p99 in ms.
# 3. pg: the same file copied into a durable throwaway PostgreSQL
#    (`agora-server migrate`, which builds the tsvectors and counts their
#    words per chat), VACUUM ANALYZE, the same queries; the sizes of the
#    table, its GIN index and the per-chat vocabulary.
# 4. sends: durable sends/s (wrk, CONNS connections, bench/lua/send_words.lua:
#    twelve words) on a fresh SQLite database with the index, and on one
#    whose index is a no-op view (agora-search-corpus --no-index), taking
#    turns RUNS times, DURATION each; medians.
#
#    With PG_URL (a database the step made before, kept: the copy takes
#    minutes), the step serves that one instead, as it is (a server opening
#    it brings its schema up to date first).
#
# Knobs: STEPS ("sqlite pg sends"), DATA (/tmp/agora-search-bench),
# MESSAGES (1000000), REQUESTS (200), RUNS (3), DURATION (5s), CONNS (16),
# PORT (18300), SERVER_BIN / CORPUS_BIN (skip the build), PG_URL (skip the
# copy).
# Only loopback is used.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/load_env.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
STEPS=${STEPS:-"sqlite pg sends"}
DATA=${DATA:-/tmp/agora-search-bench}
MESSAGES=${MESSAGES:-1000000}
REQUESTS=${REQUESTS:-200}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-16}
PORT=${PORT:-18300}
base_url="http://127.0.0.1:$PORT"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

if [[ -z "${SERVER_BIN:-}" || -z "${CORPUS_BIN:-}" ]]; then
  # Two builds: together, cargo would give the server the store's
  # test-hooks feature, which only the generator needs.
  (cd "$root" && cargo build --release -q -p agora-server && cargo build --release -q -p agora-search-corpus)
fi
SERVER_BIN=${SERVER_BIN:-$root/target/release/agora-server}
CORPUS_BIN=${CORPUS_BIN:-$root/target/release/agora-search-corpus}
mkdir -p "$DATA"
db=$DATA/search-$MESSAGES.db
queries=$DATA/queries-$MESSAGES.json
if [[ ! -s "$queries" ]]; then
  rm -f "$db" "$db"-*
  echo "generating $MESSAGES messages in $db" >&2
  start=$(date +%s)
  "$CORPUS_BIN" "$db" "$MESSAGES" >"$queries"
  echo "generated in $(($(date +%s) - start)) s" >&2
fi
echo "queries and SQLite sizes: $(cat "$queries")"

serve() { # db-or-url, extra flags...
  # The SQLite file's secret, which `migrate` carries to PostgreSQL (issue 28).
  "$SERVER_BIN" --port "$PORT" --db "$1" --secret-file "$db.secret" --threads 1 --log warn "${@:2}" &
  pid=$!
  wait_up
}
stop() {
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

if [[ " $STEPS " == *" sqlite "* ]]; then
  echo "## SQLite ($MESSAGES messages)"
  serve "$db"
  python3 "$here/search_latency.py" "$PORT" "$queries" "$REQUESTS"
  stop
fi

if [[ " $STEPS " == *" pg "* && -n "${PG_URL:-}" ]]; then
  echo "## PostgreSQL ($PG_URL, as it is)"
  serve "$PG_URL"
  python3 "$here/search_latency.py" "$PORT" "$queries" "$REQUESTS"
  stop
elif [[ " $STEPS " == *" pg "* ]]; then
  # The cluster's folder must be reachable by the `postgres` user: not inside
  # the scratch folder ($dir, a mktemp -d only root may enter), as bench/pg.sh.
  cluster=$(mktemp -d /tmp/agora-bench-search-pg.XXXXXX)
  url=$(AGORA_PG_DURABLE=1 "$root/tests/pg/cluster.sh" start "$cluster")
  trap '"$root/tests/pg/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true; cleanup' EXIT
  psql=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
  start=$(date +%s)
  "$SERVER_BIN" migrate --from "$db" --to "$url" >/dev/null
  "$psql" -q "$url" -c "VACUUM ANALYZE"
  echo "copied and indexed in $(($(date +%s) - start)) s"
  "$psql" -At "$url" -c "SELECT 'pg table+index bytes', pg_total_relation_size('message_search'),
    'gin bytes', pg_relation_size('message_search_lexemes'),
    'messages bytes', pg_total_relation_size('messages'),
    'vocabulary bytes', coalesce(pg_total_relation_size(to_regclass('message_search_terms')), 0)"
  echo "## PostgreSQL ($MESSAGES messages)"
  serve "$url"
  python3 "$here/search_latency.py" "$PORT" "$queries" "$REQUESTS"
  stop
fi

if [[ " $STEPS " == *" sends "* ]]; then
  echo "## durable sends/s (SQLite, --sync full, $CONNS connections, $DURATION), with and without the index"
  one_run() { # with|without -> req/s
    rm -f "$dir"/sends.db*
    if [[ $1 == without ]]; then "$CORPUS_BIN" "$dir/sends.db" --no-index; fi
    serve "$dir/sends.db" --sync full --quota 1000000000
    AGORA_TOKEN=$(register alice)
    export AGORA_TOKEN
    wrk -t1 -c"$CONNS" -d"$DURATION" -s "$here/lua/send_words.lua" "$base_url" |
      awk '/Requests\/sec/ {print int($2)}'
    stop
  }
  median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
  with="" without=""
  for _ in $(seq "$RUNS"); do
    with="$with $(one_run with)"
    without="$without $(one_run without)"
  done
  echo "with index:   $with  median $(median <<<"$with")"
  echo "without:      $without  median $(median <<<"$without")"
fi
