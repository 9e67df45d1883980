#!/usr/bin/env bash
# The Grafana dashboard asks only for metrics the command emits: rings of every kind, one with a
# live subscriber, give every family a sample; check_dashboard.py then looks up each name the
# dashboard's queries use in that output.
# Usage: dashboard_metrics.sh SHMRING CHECK_DASHBOARD_PY DASHBOARD_JSON
set -euo pipefail
shmring=$1 checker=$2 dashboard=$3
stem=test.dashboard.$$
subscriber=
cleanup() {
    if [ -n "$subscriber" ]; then kill "$subscriber" 2>/dev/null || true; wait "$subscriber" 2>/dev/null || true; fi
    "$shmring" rm "$stem.queue" "$stem.topic" "$stem.service" "$stem.cell" "$stem.lock" "$stem.semaphore" 2>/dev/null || true
}
trap cleanup EXIT
"$shmring" create queue "$stem.queue" --messages 8 --message-size 64
"$shmring" send "$stem.queue" one two
"$shmring" create topic "$stem.topic" --messages 8 --message-size 64 --policy lossy
"$shmring" create service "$stem.service" --pending 4 --request-size 64 --response-size 64
"$shmring" create cell "$stem.cell" --max-size 64
"$shmring" cell write "$stem.cell" pose
"$shmring" create lock "$stem.lock"
"$shmring" create semaphore "$stem.semaphore" --initial 1 --maximum 4
"$shmring" subscribe "$stem.topic" >/dev/null & subscriber=$!
for _ in $(seq 100); do
    if "$shmring" metrics "$stem.topic" | grep -q '^shmring_subscriber_lag_messages{'; then break; fi
    sleep 0.1
done
metrics=$(mktemp)
"$shmring" metrics > "$metrics"
status=0
python3 "$checker" "$dashboard" "$metrics" || status=$?
rm -f "$metrics"
exit $status
