# Sourced by the benchmark scripts: a load generator is one client address
# and registers and streams as fast as it can, so the limits on new accounts,
# connections per address and streams per user (issue 21) are off for the
# servers they start (environment variables, so that a binary from before
# those flags, run for a "before" figure, ignores them). A variable already
# set wins.
export AGORA_REGISTER_RATE=${AGORA_REGISTER_RATE:-0}
export AGORA_REPORTER_MIN_AGE=${AGORA_REPORTER_MIN_AGE:-0s}
export AGORA_MAX_CONNECTIONS_PER_IP=${AGORA_MAX_CONNECTIONS_PER_IP:-1000000}
export AGORA_MAX_STREAMS_PER_USER=${AGORA_MAX_STREAMS_PER_USER:-1000000}
