#!/usr/bin/env bash
# Starts Pulse as `make run` does, with no PostgreSQL, Redis or Qdrant server configured, and checks
# the login page, the admin, /readyz, every hub page signed in, and a task sent from the web side
# that the worker executes.
set -euo pipefail
cd "$(dirname "$0")/.."
var=$(mktemp -d)
port=18000
log="$var/run.log"
unset DATABASE_URL CELERY_BROKER_URL QDRANT_URL QDRANT_PATH
export PULSE_VAR_DIR="$var"

make run PORT=$port VECTOR_PORT=16334 >"$log" 2>&1 &
runner=$!
cleanup() {
  pkill -TERM -f "run_local --host 127.0.0.1 --port $port" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -rf "$var"
}
trap cleanup EXIT

for _ in $(seq 180); do
  grep -q "Pulse is running" "$log" && break
  kill -0 "$runner" 2>/dev/null || { cat "$log"; echo "make run exited early"; exit 1; }
  sleep 1
done
grep -q "Pulse is running" "$log" || { cat "$log"; echo "make run did not come up"; exit 1; }
grep "Pulse is running\|login:" "$log"

base="http://127.0.0.1:$port"
check() { code=$(curl -s -o /dev/null -w "%{http_code}" "$base$1"); echo "$1 -> $code"; [ "$code" = "$2" ]; }
check /accounts/login/ 200
check /admin/login/ 200
check /static/css/pulse.css 200
check /static/js/hub.js 200
ready=$(curl -s "$base/readyz")
echo "/readyz -> $ready"
echo "$ready" | grep -q '"status": "ok"'

# Sign in as the printed admin and open every hub page on the embedded default (SQLite).
jar="$var/cookies"
curl -s -c "$jar" -o /dev/null "$base/accounts/login/"
csrf=$(awk '$6 == "csrftoken" {print $7}' "$jar")
password=$(cat "$var/admin_password")
code=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w "%{http_code}" -H "Referer: $base/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode "username=admin" \
  --data-urlencode "password=$password" "$base/accounts/login/")
[ "$code" = "302" ] || { echo "login -> $code"; exit 1; }
for page in /hub/dashboard/ "/hub/dashboard/?window=all" \
  /hub/providers/ /hub/providers/new/ /hub/embeddings/ /hub/agents/ /hub/testing/ \
  "/hub/testing/?q=flaky+test" /hub/usage/?range=90d /hub/sources/ /hub/sources/new/git/ /hub/alerts/; do
  code=$(curl -s -b "$jar" -o /dev/null -w "%{http_code}" "$base$page")
  echo "$page -> $code"
  [ "$code" = "200" ] || { cat "$log"; exit 1; }
done

token=$(.venv/bin/python manage.py api_token admin)
task=$(curl -s -X POST -H "Authorization: Bearer $token" "$base/api/v1/system/worker-ping/" \
  | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
ran=""
for _ in $(seq 60); do
  state=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/system/worker-ping/$task/")
  echo "$state" | grep -q SUCCESS && { echo "worker ran the task: $state"; ran=1; break; }
  sleep 1
done
[ -n "$ran" ] || { cat "$log"; echo "the worker did not run the task"; exit 1; }
# The worker's task outcome is in the web's /metrics: every process writes to var/metrics, /metrics sums them.
counted=""
for _ in $(seq 10); do
  curl -s "$base/metrics" | grep '^pulse_celery_tasks_total{' | grep 'worker_ping_task' | grep -q succeeded \
    && { counted=1; break; }
  sleep 1
done
[ -n "$counted" ] || { echo "/metrics lacks the worker's task outcome"; exit 1; }
echo "/metrics counts the worker's task"

# Starting and stopping Pulse leaves the checkout as it was: runtime files live under var/.
cleanup
trap - EXIT
left=$(git status --porcelain)
[ -z "$left" ] || { echo "make run left files in the checkout:"; echo "$left"; exit 1; }
echo "git status is clean after make run"
