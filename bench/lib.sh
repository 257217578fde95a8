# Sourced by bench/run.sh and bench/ab.sh: the tools they need, the scratch
# folder (removed at exit, with any server still running), and the calls
# every cell makes to a fresh server. Set base_url before calling them.

need() { # command, Debian package
  command -v "$1" >/dev/null && return
  apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need curl curl
need python3 python3

# shellcheck source=bench/scratch.sh
source "$(dirname "${BASH_SOURCE[0]}")/scratch.sh"

wait_up() { # [seconds, 5: a server under valgrind starts slowly]
  for _ in $(seq $((${1:-5} * 20))); do curl -s -o /dev/null "$base_url/" && return 0; sleep 0.05; done
  echo "server did not start" >&2
  return 1
}

register() { # name -> token
  curl -s -X POST "$base_url/get-token" -d "{\"user_name\": \"$1\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
