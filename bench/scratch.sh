# Sourced by bench/lib.sh and tests/schemathesis/run.sh: a scratch folder in
# `dir`, removed at exit together with the server whose pid is in `pid`, if
# one is still running.
dir=$(mktemp -d)
pid=
cleanup() {
  if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
