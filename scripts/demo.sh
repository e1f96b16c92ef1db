#!/usr/bin/env bash
# Starts the whole pipeline with sample data flowing: a few days of history, a live
# simulator feeding the landing folder, and `dagster dev` on http://127.0.0.1:3000
# with sensors and schedules on. Ctrl-C stops every process it started.
set -euo pipefail
set -m  # background jobs get their own process groups, so they can be stopped as a whole
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PATH="$PWD/$BIN:$PATH"  # dagster-dbt looks for dbt on PATH
export SYNCMON_HOME="${SYNCMON_HOME:-$PWD/data}"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
INTEGRATIONS="${SYNCMON_DEMO_INTEGRATIONS:-12}"
API_PORT="${SYNCMON_API_PORT:-8000}"

pids=()
alive() { for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && return 0; done; return 1; }
stop() {
    trap - INT TERM EXIT
    echo
    echo "demo: stopping ${#pids[@]} process group(s)"
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 1 40); do alive || break; sleep 0.25; done
    # dagster dev can linger in its webserver and code server: whatever is left goes now.
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ ! -e "$SYNCMON_HOME/warehouse/syncmon.duckdb" ] && [ -z "$(ls -A "$SYNCMON_HOME/landing" 2>/dev/null)" ]; then
    echo "demo: writing 3 days of sample history for $INTEGRATIONS integrations into $SYNCMON_HOME/landing"
    "$BIN/syncmon" simulate --integrations "$INTEGRATIONS" --days 3 --seed 7
fi

echo "demo: live simulator → $SYNCMON_HOME/landing"
"$BIN/syncmon" simulate --integrations "$INTEGRATIONS" --days 0 --seed 7 --live --interval 10 \
    --incidents-per-hour 6 &  # same fleet as the history; frequent incidents so alerts reach the outbox soon
pids+=($!)

echo "demo: Dagster UI on http://127.0.0.1:3000 (sensors and schedules are on; runs appear within a minute)"
echo "demo: dashboard → file://$SYNCMON_HOME/reports/dashboard.html (written by the first analytics run, within 5 minutes)"
echo "demo: reports → in the UI, Assets → group reports → Materialize (pick a day, week or month)"
"$BIN/dagster" dev -h 127.0.0.1 -p 3000 -w workspace.yaml &
pids+=($!)

"$BIN/syncmon" api --host 127.0.0.1 --port "$API_PORT" &
pids+=($!)
for _ in $(seq 1 100); do  # the service writes its admin token on start (unless api.tokens are configured)
    "$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$API_PORT/v1/healthz', timeout=1)" \
        2>/dev/null && break
    sleep 0.2
done
echo "demo: live service (API, stream, live dashboard) on http://127.0.0.1:$API_PORT/ — docs at /docs"
if [ -s "$SYNCMON_HOME/api-token" ]; then
    TOKEN="$(cat "$SYNCMON_HOME/api-token")"
    echo "demo: API token (admin, kept in $SYNCMON_HOME/api-token): $TOKEN"
    echo "demo: live dashboard → http://127.0.0.1:$API_PORT/?access_token=$TOKEN"
else
    echo "demo: API tokens: the secrets in the environment variables named under api.tokens in syncmon.yaml"
fi

wait -n "${pids[@]}" || true
