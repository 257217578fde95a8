#!/usr/bin/env bash
# schemathesis against the real agora-server, on every runtime: every response
# must conform to docs/openapi.json (status, headers, body), and none may be a
# 5xx. For each runtime: a fresh server on a free 127.0.0.1 port with a
# temporary database, a registered user whose token goes in the Authorization
# header, a bounded schemathesis run, then SIGTERM. With AGORA_TEST_PG set
# (a PostgreSQL cluster's superuser URL, as tests/pg/cluster.sh prints it),
# every runtime runs again on a fresh PostgreSQL database of that cluster.
#
#   tests/schemathesis/run.sh                 # after `cargo build -p agora-server`
#   RUNTIMES=tokio EXAMPLES=50 tests/schemathesis/run.sh
#
# Knobs: RUNTIMES ("tokio smol blocking"), EXAMPLES (test cases per operation
# and phase, 100), AGORA_SERVER_BIN (default target/debug/agora-server).
# Fails, never skips, when schemathesis is missing (`pip install schemathesis`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNTIMES=${RUNTIMES:-"tokio smol blocking"}
EXAMPLES=${EXAMPLES:-100}
server=${AGORA_SERVER_BIN:-"$root/target/debug/agora-server"}
schema="$root/docs/openapi.json"

# On PATH, or beside the python3 that has it (a fresh pip install may not be
# on PATH yet, e.g. before pyenv rehashes its shims).
schemathesis=$(command -v schemathesis || true)
if [[ -z "$schemathesis" ]]; then
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
  [[ -x "$scripts/schemathesis" ]] && schemathesis="$scripts/schemathesis"
fi
if [[ -z "$schemathesis" ]]; then
  echo "schemathesis is not installed (pip install schemathesis)" >&2
  exit 1
fi
if [[ ! -x "$server" ]]; then
  echo "no agora-server at $server: run cargo build -p agora-server first" >&2
  exit 1
fi

# shellcheck source=bench/scratch.sh
source "$root/bench/scratch.sh"

# fresh_pg_database NAME -> the URL of a new, empty database NAME on the
# AGORA_TEST_PG cluster (dropped first if a previous run left it).
fresh_pg_database() {
  python3 - "$AGORA_TEST_PG" "$1" <<'PY'
import sys
import urllib.parse
admin, name = sys.argv[1], sys.argv[2]
parts = urllib.parse.urlsplit(admin)
print(urllib.parse.urlunsplit(parts._replace(path="/" + name)))
PY
  psql -q -v ON_ERROR_STOP=1 "$AGORA_TEST_PG" \
    -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" >&2
}

# start RUNTIME [DB]: starts the server on DB (default: a fresh SQLite file),
# sets pid and url.
start() {
  rm -f "$dir"/agora.db*
  local db=${2:-"$dir/agora.db"}
  # Made here, not by the background job's redirection, which may come after
  # the first look below.
  : >"$dir/server.log"
  # Quotas and the limits on new accounts out of the way, so that sends,
  # comments and reports keep reaching the store.
  "$server" --runtime "$1" --host 127.0.0.1 --port 0 --db "$db" \
    --quota 1000000000 --comment-quota 1000000000 --register-rate 0 --reporter-min-age 0s \
    --log warn,agora_server=info \
    2>"$dir/server.log" &
  pid=$!
  local addr=
  for _ in $(seq 200); do
    addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$dir/server.log" | head -1)
    [[ -n "$addr" ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.05
  done
  [[ -n "$addr" ]] || { echo "the server did not start" >&2; cat "$dir/server.log" >&2; exit 1; }
  url="http://$addr"
}

stop() {
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  pid=
  if (( status != 0 )); then
    echo "agora-server exited with $status" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
}

register() { # name -> token
  python3 - "$url" "$1" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/get-token", method="POST",
                                 data=json.dumps({"user_name": sys.argv[2]}).encode())
print(json.load(urllib.request.urlopen(request, timeout=10))["token"])
PY
}

runs=()
for rt in $RUNTIMES; do runs+=("$rt sqlite"); done
if [[ -n "${AGORA_TEST_PG:-}" ]]; then
  for rt in $RUNTIMES; do runs+=("$rt postgres"); done
fi
for run in "${runs[@]}"; do
  read -r rt backend <<<"$run"
  echo "== schemathesis on the $rt runtime, $backend"
  if [[ $backend == postgres ]]; then
    start "$rt" "$(fresh_pg_database "agora_schemathesis_$rt")"
  else
    start "$rt"
  fi
  token=$(register "st-runner.0")
  started=$SECONDS
  # From the scratch folder: schemathesis keeps a cache (.schemathesis/) in
  # the current one.
  (cd "$dir" && "$schemathesis" --config-file "$root/tests/schemathesis/schemathesis.toml" \
    run "$schema" --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks all --max-examples "$EXAMPLES" --seed 1 \
    --request-timeout 10 --no-color)
  echo "== $rt, $backend: $((SECONDS - started)) s"
  stop
done
