#!/usr/bin/env bash
# Fuzzes the orders API with Schemathesis, driven by the API's own GET /openapi.json: every
# check (none excluded), every phase, a bounded number of examples per operation. Brings up a
# throwaway stack on free loopback ports - Temporal dev server, reference services, worker, API -
# with credentials made up for the run, and stops it on exit. Exits non-zero on any failure.
# scripts/fuzz/hooks.py signs POST /orders and supplies the test data the schema cannot describe;
# scripts/fuzz/schemathesis.toml holds the credentials' wiring.
#   npm run fuzz:api                            # or scripts/fuzz-api.sh
#   FUZZ_MAX_EXAMPLES=1000 npm run fuzz:api     # more cases per operation (default 300: ~1.5 min)
#   npm run fuzz:api -- --seed 42               # extra arguments go to `schemathesis run`
set -euo pipefail
cd "$(dirname "$0")/.."

host=127.0.0.1
max_examples=${FUZZ_MAX_EXAMPLES:-300}
venv=${FUZZ_VENV:-$PWD/.temporal/fuzz-venv}
requirements=scripts/fuzz/requirements.txt
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-api.XXXXXX")
say() { printf 'fuzz-api: %s\n' "$*"; }

pids=()
cleanup() {
  local status=$?
  # Newest first: Schemathesis, the API and the worker go before what they talk to.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    # What the servers said is the first thing to read when a run fails.
    for log in "$run_dir"/*.log; do
      [ -s "$log" ] && { say "last lines of $log:"; tail -n 20 "$log" | cut -c1-500; }
    done
  fi
  rm -rf "$run_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Schemathesis from PyPI, in a git-ignored venv reused while requirements.txt is unchanged.
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  say "installing $(grep -m1 '^schemathesis==' "$requirements") into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive <pid> <name>: fails the run at once when a server died instead of waiting out a timeout.
alive() {
  kill -0 "$1" 2>/dev/null || { say "$2 exited before it was ready"; return 1; }
}

wait_for_http() { # <url> <pid> <name> <seconds>
  local deadline=$((SECONDS + $4))
  until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; do
    alive "$2" "$3"
    [ "$SECONDS" -lt "$deadline" ] || { say "$3 not ready at $1 after $4 s"; return 1; }
    sleep 0.5
  done
}

wait_for_log() { # <name> <text> <pid> <seconds>: until the server's log says <text>
  local deadline=$((SECONDS + $4))
  until grep -qF "$2" "$run_dir/$1.log"; do
    alive "$3" "$1"
    [ "$SECONDS" -lt "$deadline" ] || { say "$1 did not log '$2' within $4 s"; return 1; }
    sleep 0.5
  done
}

wait_for_port() { # <port> <pid> <name> <seconds>
  local deadline=$((SECONDS + $4))
  until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; do
    alive "$2" "$3"
    [ "$SECONDS" -lt "$deadline" ] || { say "$3 not listening on $1 after $4 s"; return 1; }
    sleep 0.5
  done
}

# start <name> <command...>: a server in the background, its output in the run's <name>.log.
start() {
  local name=$1
  shift
  "$@" >"$run_dir/$name.log" 2>&1 &
  pids+=($!)
}
last_pid() { echo "${pids[${#pids[@]} - 1]}"; }

temporal_port=$(free_port)
api_port=$(free_port)
api_url="http://$host:$api_port"

# A fresh, headless dev server: the stack's own arguments (search attributes, loopback only).
mapfile -t temporal_cmd < <(node --import tsx scripts/fuzz/dev-server-command.ts \
  "$host:$temporal_port" "$(free_port)" "$run_dir/temporal.sqlite")
[ "${#temporal_cmd[@]}" -gt 1 ] || { say "could not resolve the Temporal CLI"; exit 1; }
say "Temporal dev server on $host:$temporal_port"
start temporal "${temporal_cmd[@]}" --headless
temporal_pid=$(last_pid)
export TEMPORAL_ADDRESS="$host:$temporal_port" TEMPORAL_NAMESPACE=default LOG_LEVEL=warn

# The reference services and a worker, so orders really run: reads answer live, steering meets
# the workflow's own validators, approvals wait for a decision. On a fresh embedded database.
declare -A svc
for s in INVENTORY PAYMENTS PRIMARY_CARRIER BACKUP_CARRIER FRAUD NOTIFICATIONS; do svc[$s]=$(free_port); done
say "reference services on $host:${svc[INVENTORY]},${svc[PAYMENTS]},${svc[PRIMARY_CARRIER]},..."
start services env SERVICES_HOST="$host" SERVICES_DATA_DIR="$run_dir/services" \
  INVENTORY_PORT="${svc[INVENTORY]}" PAYMENTS_PORT="${svc[PAYMENTS]}" \
  PRIMARY_CARRIER_PORT="${svc[PRIMARY_CARRIER]}" BACKUP_CARRIER_PORT="${svc[BACKUP_CARRIER]}" \
  FRAUD_PORT="${svc[FRAUD]}" NOTIFICATIONS_PORT="${svc[NOTIFICATIONS]}" \
  node --import tsx src/main.ts services
services_pid=$(last_pid)
wait_for_port "$temporal_port" "$temporal_pid" "Temporal dev server" 60
# Info level for its "worker started" line: the one sign it polls (it serves no HTTP by default).
start worker env LOG_LEVEL=info \
  INVENTORY_URL="http://$host:${svc[INVENTORY]}" PAYMENTS_URL="http://$host:${svc[PAYMENTS]}" \
  PRIMARY_CARRIER_URL="http://$host:${svc[PRIMARY_CARRIER]}" BACKUP_CARRIER_URL="http://$host:${svc[BACKUP_CARRIER]}" \
  FRAUD_URL="http://$host:${svc[FRAUD]}" NOTIFICATIONS_URL="http://$host:${svc[NOTIFICATIONS]}" \
  SLA_ALERT_WEBHOOK_URL="http://$host:${svc[NOTIFICATIONS]}/alerts" \
  node --import tsx src/main.ts worker
worker_pid=$(last_pid)

# Made up for this run; the hooks sign and authenticate with the same values.
export FUZZ_SIGNING_SECRET="fuzz-signing-secret-$RANDOM$RANDOM$RANDOM"
export FUZZ_OPERATOR_TOKEN="fuzz-operator-token-$RANDOM$RANDOM$RANDOM"
export FUZZ_APPROVER_TOKEN="fuzz-approver-token-$RANDOM$RANDOM$RANDOM"

# Rate limits far above anything the run sends: it tests behaviour, not the limiter. Steering
# answers 202 after 5 s instead of 20 s, inside the max_response_time check's 10 s limit.
say "orders API on $api_url"
start api env API_HOST="$host" API_PORT="$api_port" \
  API_SIGNING_SECRETS="$FUZZ_SIGNING_SECRET" \
  API_TOKENS="$FUZZ_OPERATOR_TOKEN:operator:fuzz-operator,$FUZZ_APPROVER_TOKEN:approver:fuzz-approver" \
  API_CURSOR_SECRET="fuzz-cursor-secret-$RANDOM$RANDOM$RANDOM-0123456789abcdef" \
  API_INTAKE_RATE_PER_MINUTE=1000000 API_STEERING_RATE_PER_MINUTE=1000000 API_READ_RATE_PER_MINUTE=1000000 \
  API_STEERING_WAIT_MS=5000 \
  node --import tsx src/main.ts api
wait_for_http "$api_url/readyz" "$(last_pid)" "orders API" 120
wait_for_http "http://$host:${svc[NOTIFICATIONS]}/healthz" "$services_pid" "reference services" 120
wait_for_log worker '"msg":"worker started"' "$worker_pid" 120
alive "$temporal_pid" "Temporal dev server"

say "schemathesis run $api_url/openapi.json (all checks, up to $max_examples examples per operation)"
color=()
[ -t 1 ] || color=(--no-color)
# Hypothesis's own caches (Unicode tables) in the ignored venv rather than the checkout.
export HYPOTHESIS_STORAGE_DIRECTORY="$venv/hypothesis"
started=$SECONDS
# One worker: with two, Python 3.11's ast module races (Hypothesis parses sources from both
# threads: "SystemError: AST constructor recursion depth mismatch", CPython gh-106905), and the
# two cores are busy with the stack anyway.
# In the background and waited for, so a TERM reaches the trap at once rather than after the run.
"$venv/bin/schemathesis" --config-file scripts/fuzz/schemathesis.toml run "$api_url/openapi.json" \
  --checks all \
  --max-examples "$max_examples" \
  --workers 1 \
  --request-timeout 30 \
  "${color[@]}" \
  "$@" &
pids+=($!)
wait "$(last_pid)"
say "schemathesis passed in $((SECONDS - started)) s"
