#!/usr/bin/env bash
# Stops the cluster started by start-cluster.sh: the TaskManager, then the JobManager, by their
# pid files (SIGTERM, SIGKILL after 20 s). Does nothing for processes that are gone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for pid_file in "$CLUSTER_DIR"/taskmanager*.pid "$CLUSTER_DIR"/jobmanager.pid; do
  [[ -f "$pid_file" ]] || continue
  role="$(basename "$pid_file" .pid)"
  pid="$(cat "$pid_file")"
  if is_ours "$pid"; then
    stop_jvm "$pid" "$role"
    echo "stop-cluster.sh: stopped the $role (pid $pid)"
  fi
  rm -f "$pid_file"
done
