# Shared by the deploy/standalone scripts; sourced, not run.
# A standalone Flink session cluster from the Maven artifacts: the Flink runtime jars listed in
# target/launcher-classpath.txt (written by `mvn -DskipTests package`), no Flink distribution.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/target/airbyte-kinesis-flink.jar"
CLASSPATH_FILE="$ROOT/target/launcher-classpath.txt"
# Everything of one cluster lives here: conf/, log/, tmp/, checkpoints, pid files.
CLUSTER_DIR="$(realpath -m "${AIRBYTE_KINESIS_CLUSTER_DIR:-$ROOT/target/standalone-cluster}")"
CONF_DIR="$CLUSTER_DIR/conf"
LOG_DIR="$CLUSTER_DIR/log"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

require_build() {
  [[ -f "$JAR" && -f "$CLASSPATH_FILE" ]] \
    || die "$JAR or $CLASSPATH_FILE is missing: run 'mvn -DskipTests package' first"
}

flink_classpath() {
  cat "$CLASSPATH_FILE"
}

# bash_java_utils COMMAND ARGS...: runs Flink's BashJavaUtils (what Flink's own scripts use to
# read config.yaml and work out memory settings) and prints its result lines.
bash_java_utils() {
  local output
  if ! output="$("$JAVA" -cp "$(flink_classpath)" org.apache.flink.runtime.util.bash.BashJavaUtils "$@" 2>&1)"; then
    echo "$output" >&2
    die "BashJavaUtils $1 failed"
  fi
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$output" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://' \
    || { echo "$output" >&2; die "BashJavaUtils $1 printed no result"; }
}

# conf_value KEY [DEFAULT]: a value of the cluster's generated (flattened) config.yaml.
conf_value() {
  local value
  value="$(sed -n "s/^$1: //p" "$CONF_DIR/config.yaml" | tail -n 1)"
  value="${value#\'}"
  value="${value%\'}"
  echo "${value:-${2:-}}"
}

rest_url() {
  echo "http://$(conf_value rest.address localhost):$(conf_value rest.port 8081)"
}

# is_ours PID: the process is alive and is a JVM of this cluster (not a recycled pid).
is_ours() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "--configDir $CONF_DIR"
}

# stop_jvm PID NAME: SIGTERM, and SIGKILL if it is still there after 20 s.
stop_jvm() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.5
  done
  echo "$(basename "$0"): the $2 (pid $1) did not stop on SIGTERM; killing it" >&2
  kill -9 "$1" 2>/dev/null || true
}
