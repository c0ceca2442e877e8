#!/usr/bin/env bash
# Stops the cluster started by start-cluster.sh: the TaskManager, then the JobManager, by their
# pid files (SIGTERM, SIGKILL after 20 s). Does nothing for processes that are gone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for role in taskmanager jobmanager; do
  pid_file="$CLUSTER_DIR/$role.pid"
  [[ -f "$pid_file" ]] || continue
  pid="$(cat "$pid_file")"
  if is_ours "$pid"; then
    stop_jvm "$pid" "$role"
    echo "stop-cluster.sh: stopped the $role (pid $pid)"
  fi
  rm -f "$pid_file"
done
