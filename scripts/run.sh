#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST channel, HTTP API, SQLite tracker store),
# waits until both answer, prints where to talk to the assistant, and stops both on Ctrl-C.
# RASA_ENDPOINTS names another endpoints file (scripts/run_prod.sh: endpoints.prod.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# Web pages (origins) whose widget may call the assistant; the demo page is served by the assistant itself.
read -r -a WIDGET_ORIGINS <<<"${POBYT_WIDGET_ORIGINS:-http://localhost:$RASA_PORT http://127.0.0.1:$RASA_PORT}"
# Rasa's HTTP API (conversation state, model) is not public: it needs this token. Without
# POBYT_API_TOKEN a random one is made for this run (printed below, for local use only): hexadecimal,
# so it never begins with "-", and passed as --auth-token=..., so even a chosen one that does is not an option.
API_TOKEN=${POBYT_API_TOKEN:-$("$BIN/python" -m pobyt.tokens)}
mkdir -p logs
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1

# True when the URL answers 200 (the venv's Python, so no curl is needed on the machine).
up() { "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" >/dev/null 2>&1; }

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping the assistant..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give the servers 20 s to finish what they are doing, then make sure they are gone.
  for _ in $(seq 1 40); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$BIN/rasa" run actions --actions actions --port "$ACTIONS_PORT" >logs/actions.log 2>&1 &
pids+=($!)
"$BIN/rasa" run --enable-api --auth-token="$API_TOKEN" --model models/pobyt.tar.gz --port "$RASA_PORT" \
  --endpoints "${RASA_ENDPOINTS:-endpoints.yml}" --credentials credentials.yml --cors "${WIDGET_ORIGINS[@]}" >logs/rasa.log 2>&1 &
pids+=($!)

echo "Starting the action server (port $ACTIONS_PORT) and the Rasa server (port $RASA_PORT); logs in logs/"
# Bounded wait for start-up: TensorFlow makes the Rasa server take 10-60 s to load the model.
for _ in $(seq 1 240); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A server exited during start-up; see logs/rasa.log and logs/actions.log" >&2; exit 1; }
  done
  if up "http://localhost:$ACTIONS_PORT/health" && up "http://localhost:$RASA_PORT/status?token=$API_TOKEN"; then
    cat <<MSG

pobyt is running.
  Talk to it (REST):   curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H "Authorization: Bearer $API_TOKEN" \\
                         -H 'Content-Type: application/json' -d '{"sender": "me", "message": "what do I need for family reunion"}'
  Conversation state:  http://localhost:$RASA_PORT/conversations/rest:me/tracker?token=$API_TOKEN
  Website widget demo: http://localhost:$RASA_PORT/webhooks/widget/demo
  Staff console:       http://localhost:$RASA_PORT/staff (needs POBYT_STAFF_ACCOUNTS, see README "Staff console")
  Action server:       http://localhost:$ACTIONS_PORT/health
Press Ctrl-C to stop.
MSG
    # Ctrl-C reaches the servers too (same process group): a server that ended on SIGINT/SIGTERM
    # (exit 130/143) or cleanly is a normal stop; anything else is a crash worth reporting.
    status=0
    wait -n "${pids[@]}" || status=$?
    if [ "$status" -eq 0 ] || [ "$status" -eq 130 ] || [ "$status" -eq 143 ]; then
      stop
      exit 0
    fi
    echo "A server stopped unexpectedly (exit $status); see logs/." >&2
    exit 1
  fi
  sleep 0.5
done
echo "The servers did not start within 120 s; see logs/." >&2
exit 1
