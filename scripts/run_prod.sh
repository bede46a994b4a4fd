#!/usr/bin/env bash
# `make run-prod`: the assistant against PostgreSQL (tracker store) and Redis (lock store), configured
# by environment variables (.env.example; endpoints.prod.yml). Loads ./.env when it exists, checks
# that every variable is set, then starts the servers like `make run` (scripts/run.sh).
# Try it locally: `eval "$(scripts/services.sh start | sed 's/^/export /')"; make run-prod`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# The action server started by run.sh, unless the deployment names another one.
export POBYT_ACTION_SERVER_URL=${POBYT_ACTION_SERVER_URL:-http://localhost:$ACTIONS_PORT/webhook}
export POBYT_REDIS_DB=${POBYT_REDIS_DB:-1}
# May be empty (e.g. no password on a private network), but must be set: Rasa rejects unset ${VAR}s.
export POBYT_REDIS_PASSWORD=${POBYT_REDIS_PASSWORD-}
missing=()
for var in POBYT_DB_HOST POBYT_DB_PORT POBYT_DB_NAME POBYT_DB_USER POBYT_DB_PASSWORD \
  POBYT_REDIS_HOST POBYT_REDIS_PORT POBYT_API_TOKEN; do
  [ -n "${!var:-}" ] || missing+=("$var")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "make run-prod needs these environment variables (see .env.example): ${missing[*]}" >&2
  exit 2
fi
echo "Tracker store: PostgreSQL $POBYT_DB_USER@$POBYT_DB_HOST:$POBYT_DB_PORT/$POBYT_DB_NAME;" \
  "lock store: Redis $POBYT_REDIS_HOST:$POBYT_REDIS_PORT/$POBYT_REDIS_DB"
RASA_ENDPOINTS=endpoints.prod.yml exec scripts/run.sh
