#!/usr/bin/env bash
# Times `agora-server migrate` on a generated SQLite database of MESSAGES
# messages (bench/migrate_gen.py: 1,000 users, a comment on one message in
# five, their events) into a fresh database on the PostgreSQL cluster
# $AGORA_TEST_PG (tests/pg/cluster.sh start DIR prints one).
#
#   AGORA_TEST_PG=postgres://postgres@127.0.0.1:PORT/postgres bench/migrate.sh [MESSAGES]
#
# SERVER_BIN: the agora-server to use (default target/release/agora-server).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
messages=${1:-100000}
bin=${SERVER_BIN:-$root/target/release/agora-server}
: "${AGORA_TEST_PG:?start a cluster: tests/pg/cluster.sh start DIR}"
psql_bin=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
work=$(mktemp -d)
name=agora_migrate_bench_$$
target=${AGORA_TEST_PG%/*}/$name
cleanup() {
  "$psql_bin" -q "$AGORA_TEST_PG" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

# The schema: agora-server creates it on its first start.
"$bin" --db "$work/agora.db" --port 0 --log warn &
server=$!
for _ in $(seq 100); do [ -s "$work/agora.db" ] && break; sleep 0.1; done
sleep 0.5
kill -TERM "$server"
wait "$server"
python3 "$root/bench/migrate_gen.py" "$work/agora.db" "$messages"
echo "source: $(du -h "$work/agora.db" | cut -f1), $messages messages"
"$psql_bin" -q "$AGORA_TEST_PG" -c "CREATE DATABASE $name"
start=$(date +%s.%N)
/usr/bin/time -f "agora-server migrate: %U s user, %S s system, %M KiB max RSS" "$bin" --log "${LOG:-warn}" migrate --from "$work/agora.db" --to "$target"
end=$(date +%s.%N)
python3 -c "s=$end-$start; print(f'wall {s:.2f} s, {$messages/s:,.0f} messages/s')"
