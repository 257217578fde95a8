#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for agora's tests, on 127.0.0.1 only.
#
#   tests/pg/cluster.sh start DIR   creates and starts a cluster in DIR, prints
#                                   its superuser URL (the one line on stdout):
#                                   postgres://postgres@127.0.0.1:PORT/postgres
#   tests/pg/cluster.sh stop DIR    stops it (fast mode) and removes DIR
#
# Then `export AGORA_TEST_PG=<that URL>` and run the tests. Trust
# authentication: anyone on this machine may connect, so it is for tests only.
# Durability is off for speed (fsync, full_page_writes) unless
# AGORA_PG_DURABLE=1 (the benchmark sets it). With AGORA_PG_TLS=1 the server
# also takes TLS, with a certificate for 127.0.0.1 and localhost signed by a
# throwaway CA, DIR/tls/ca.crt (clients trust it through SSL_CERT_FILE). The PostgreSQL server refuses to
# run as root: run as root, the script runs the cluster as the `postgres` user
# (created when missing), so DIR must be reachable by that user (/tmp is).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2
# Marks a folder this script made, so that `stop` never removes anything else.
marker=.agora-test-cluster

# initdb and pg_ctl from PATH, else from the newest /usr/lib/postgresql/*/bin
# (Debian keeps them there, off PATH).
pg_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    # Where the link on PATH leads: pg_isready lives beside the real initdb.
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
    echo "$0: no initdb on PATH or in /usr/lib/postgresql/*/bin;" \
      "install PostgreSQL (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  echo "$found"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else us.
# From inside DIR: postgres may not be allowed into the caller's directory.
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    (cd "$dir" && "$@")
  elif command -v runuser >/dev/null 2>&1; then
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && su -s /bin/sh postgres -c '"$0" "$@"' "$@")
  fi
}

# A TCP port nothing listens on, below the kernel's ephemeral range so that no
# outgoing connection takes it meanwhile.
free_port() {
  local low port
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  while :; do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# A throwaway CA and a server certificate it signs, for 127.0.0.1 and
# localhost, in $1 (the key readable by the cluster's owner only).
make_certificates() {
  local tls=$1
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=agora test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$tls/ext.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.crt" 2>/dev/null
  chmod 600 "$tls/server.key"
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$tls"
  chmod 644 "$tls/ca.crt"
}

start() {
  local bin data port attempt
  bin=$(pg_bin)
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -n "$(ls -A "$dir")" ]; then
    echo "$0: $dir is not empty" >&2
    exit 1
  fi
  touch "$dir/$marker"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  chmod 700 "$dir"
  data=$dir/data
  if ! as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    echo "$0: initdb failed (is $dir reachable by the cluster's user?):" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  {
    echo "# agora test cluster (tests/pg/cluster.sh)"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir'"
    echo "max_connections = 400"
    if [ "${AGORA_PG_DURABLE:-}" != 1 ]; then
      echo "fsync = off"
      echo "full_page_writes = off"
    fi
  } | as_owner tee -a "$data/postgresql.conf" >/dev/null
  if [ "${AGORA_PG_TLS:-}" = 1 ]; then
    make_certificates "$dir/tls"
    {
      echo "ssl = on"
      echo "ssl_cert_file = '$dir/tls/server.crt'"
      echo "ssl_key_file = '$dir/tls/server.key'"
    } | as_owner tee -a "$data/postgresql.conf" >/dev/null
  fi
  # Another process may take the port between the check and the start: then
  # the start fails and another port is tried. The last `port` line wins.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "port = $port" | as_owner tee -a "$data/postgresql.conf" >/dev/null
    if as_owner "$bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 >/dev/null; then
      break
    fi
    if [ "$attempt" -eq 5 ] || ! grep -q "could not bind" "$dir/server.log"; then
      echo "$0: the cluster did not start; $dir/server.log:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
  done
  # pg_ctl -w waits for the postmaster; also wait for TCP connections.
  for _ in $(seq 100); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return
    fi
    sleep 0.1
  done
  echo "$0: the cluster does not accept connections on 127.0.0.1:$port" >&2
  exit 1
}

stop() {
  if [ ! -e "$dir/$marker" ]; then
    echo "$0: $dir is not a cluster made by this script; not removing it" >&2
    exit 1
  fi
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/data/postmaster.pid" ] &&
    ! as_owner "$(pg_bin)/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null; then
    echo "$0: pg_ctl stop failed; removing $dir anyway" >&2
  fi
  rm -rf "$dir"
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
