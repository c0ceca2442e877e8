#!/usr/bin/env bash
# Starts a Flink 1.20 session cluster on loopback: one JobManager and one TaskManager (or
# $TASKMANAGERS of them), each its own JVM, from the Maven artifacts, with flink-conf/config.yaml
# (free ports, paths under the cluster directory). Returns once the REST API lists every
# TaskManager.
#
#   deploy/standalone/start-cluster.sh [-D key=value ...]
#
# -D options override config.yaml entries (e.g. -D taskmanager.numberOfTaskSlots=4).
# Environment: AIRBYTE_KINESIS_CLUSTER_DIR (default target/standalone-cluster),
# FLINK_CONF_TEMPLATE (default flink-conf/config.yaml), FLINK_PLUGINS_DIR (default plugins/ in
# the cluster directory), STARTUP_TIMEOUT seconds (default 90), TASKMANAGERS (default 1; the
# second and later are named taskmanager-2, ... in log/ and the pid files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_build

template="${FLINK_CONF_TEMPLATE:-$ROOT/flink-conf/config.yaml}"
[[ -f "$template" ]] || die "no Flink config at $template"
timeout="${STARTUP_TIMEOUT:-90}"
taskmanagers="${TASKMANAGERS:-1}"
[[ "$taskmanagers" =~ ^[1-9][0-9]?$ ]] || die "TASKMANAGERS must be a number from 1 to 99, got $taskmanagers"
overrides=()
while (($#)); do
  case "$1" in
    -D) (($# >= 2)) || die "-D needs key=value"; overrides+=(-D "$2"); shift 2 ;;
    -D*) overrides+=(-D "${1#-D}"); shift ;;
    *) die "unknown argument $1 (usage: start-cluster.sh [-D key=value ...])" ;;
  esac
done

for pid_file in "$CLUSTER_DIR"/jobmanager.pid "$CLUSTER_DIR"/taskmanager*.pid; do
  if is_ours "$(cat "$pid_file" 2>/dev/null || true)"; then
    die "a cluster is already running in $CLUSTER_DIR (stop it with deploy/standalone/stop-cluster.sh)"
  fi
done

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if [[ "$port" != "${1:-}" ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free port"
}
rpc_port="$(free_port)"
rest_port="$(free_port "$rpc_port")"

rm -rf "$CONF_DIR" "$CLUSTER_DIR/tmp"
mkdir -p "$CONF_DIR" "$LOG_DIR" "$CLUSTER_DIR/tmp"
rm -f "$LOG_DIR"/*.log "$LOG_DIR"/*.log.* "$LOG_DIR"/*.out
template_dir="$(mktemp -d "$CLUSTER_DIR/tmp/template.XXXXXX")"
cp "$template" "$template_dir/config.yaml"
# The cluster's config.yaml: the template, flattened by Flink's own parser, with loopback
# addresses, the free ports and local paths; then the caller's -D overrides.
bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$template_dir" -flatten \
  -D jobmanager.rpc.address=localhost -D jobmanager.bind-host=localhost \
  -D "jobmanager.rpc.port=$rpc_port" \
  -D taskmanager.host=localhost -D taskmanager.bind-host=localhost \
  -D rest.address=localhost -D rest.bind-address=localhost -D "rest.port=$rest_port" \
  -D "io.tmp.dirs=$CLUSTER_DIR/tmp" \
  -D "execution.checkpointing.dir=file://$CLUSTER_DIR/checkpoints" \
  -D "execution.checkpointing.savepoint-dir=file://$CLUSTER_DIR/savepoints" \
  ${overrides[@]+"${overrides[@]}"} >"$CONF_DIR/config.yaml"
rm -rf "$template_dir"
cp "$ROOT/flink-conf/log4j-console.properties" "$CONF_DIR/"

started=()
roles=()
on_exit() {
  local status=$?
  if ((status != 0)); then
    for pid in ${started[@]+"${started[@]}"}; do
      kill "$pid" 2>/dev/null || true
    done
    for pid in ${started[@]+"${started[@]}"}; do
      stop_jvm "$pid" "cluster JVM"
    done
    for role in ${roles[@]+"${roles[@]}"}; do
      rm -f "$CLUSTER_DIR/$role.pid"
      if [[ -f "$LOG_DIR/$role.log" ]]; then
        echo "--- last lines of $LOG_DIR/$role.log:" >&2
        tail -n 20 "$LOG_DIR/$role.log" >&2
      fi
    done
    echo "start-cluster.sh: the cluster did not start; logs in $LOG_DIR" >&2
  fi
}
trap on_exit EXIT
trap "exit 130" INT
trap "exit 143" TERM

# start ROLE KIND MAIN_CLASS RESOURCE_COMMAND: one JVM with the memory settings Flink works out
# from the config (BashJavaUtils prints the JVM options, then the dynamic properties), the JVM
# options of env.java.opts.all and env.java.opts.<KIND> (jobmanager or taskmanager), logs in
# log/ROLE.log, stdout and stderr in log/ROLE.out.
start() {
  local role="$1" kind="$2" main_class="$3" resource_command="$4" params jvm_params dynamic_params
  params="$(bash_java_utils "$resource_command" --configDir "$CONF_DIR")"
  [[ "$(wc -l <<<"$params")" -eq 2 ]] || die "unexpected $resource_command result: $params"
  jvm_params="$(head -n 1 <<<"$params")"
  dynamic_params="$(tail -n 1 <<<"$params")"
  # shellcheck disable=SC2086 # option lists, split on spaces as Flink's scripts do
  nohup "$JAVA" $jvm_params $(conf_value env.java.opts.all) $(conf_value "env.java.opts.$kind") \
    -Dlog.file="$LOG_DIR/$role.log" \
    -Dlog4j.configurationFile="file:$CONF_DIR/log4j-console.properties" \
    -Dconsole.log.level=OFF \
    -cp "$(flink_classpath)" "$main_class" --configDir "$CONF_DIR" $dynamic_params \
    </dev/null >"$LOG_DIR/$role.out" 2>&1 &
  started+=("$!")
  roles+=("$role")
  echo "$!" >"$CLUSTER_DIR/$role.pid"
}

# File system plugins (s3://, ...): one folder per plugin, as in a Flink distribution's plugins/.
export FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$CLUSTER_DIR/plugins}"
mkdir -p "$FLINK_PLUGINS_DIR"
cd "$CLUSTER_DIR"
start jobmanager jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint GET_JM_RESOURCE_PARAMS
start taskmanager taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner GET_TM_RESOURCE_PARAMS
for n in $(seq 2 "$taskmanagers"); do
  start "taskmanager-$n" taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner GET_TM_RESOURCE_PARAMS
done

url="$(rest_url)"
deadline=$((SECONDS + timeout))
until curl -fsS --max-time 2 "$url/overview" 2>/dev/null | grep -q "\"taskmanagers\":$taskmanagers[,}]"; do
  for pid in "${started[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a cluster JVM (pid $pid) exited during start"
  done
  ((SECONDS < deadline)) || die "not all $taskmanagers TaskManagers registered at $url/overview within $timeout s"
  sleep 1
done
echo "start-cluster.sh: Flink cluster up at $url (JobManager pid ${started[0]}, TaskManager pids ${started[*]:1}); logs in $LOG_DIR"
