# Shared by the bin/ scripts: builds the job jar when needed and runs a class from it with the
# Flink runtime (the pom's provided scope) beside it. Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/target/airbyte-kinesis-flink.jar"
CLASSPATH_FILE="$ROOT/target/launcher-classpath.txt"

# Builds target/airbyte-kinesis-flink.jar when it is missing or older than the sources.
build_if_needed() {
  # An installed copy (e.g. the Airbyte image) has no sources: it runs the jar it holds.
  [[ -d "$ROOT/src/main" ]] || return 0
  if [[ ! -f "$JAR" || ! -f "$CLASSPATH_FILE" || "$ROOT/pom.xml" -nt "$JAR" \
        || -n "$(find "$ROOT/src/main" -newer "$JAR" -print -quit)" ]]; then
    echo "airbyte-kinesis: building $JAR ..." >&2
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package) >&2
  fi
}

# run_java MAIN_CLASS ARGS...: logs go to stderr (warnings and errors) and to a log file
# ($AIRBYTE_KINESIS_LOG_DIR, default target/logs); extra JVM options from $AIRBYTE_KINESIS_JAVA_OPTS.
run_java() {
  local main_class="$1"
  shift
  local log_dir="${AIRBYTE_KINESIS_LOG_DIR:-$ROOT/target/logs}"
  mkdir -p "$log_dir"
  # CBOR off: the JSON protocol works with AWS and with every emulator (kinesalite's CBOR replies
  # break the SDK); -Daws.cborEnabled=true in AIRBYTE_KINESIS_JAVA_OPTS turns it back on.
  # More SDK attempts: the Kinesis sink fails the job when a connection error outlasts the SDK's
  # own retries (3 by default), and a run from stdin cannot restart.
  # shellcheck disable=SC2086
  java \
    @"$ROOT/flink-conf/java17-module-opens.args" \
    -Daws.cborEnabled=false \
    -Daws.maxAttempts=10 \
    -Dairbyte.kinesis.launcher=true \
    -Dlog4j2.configurationFile="$ROOT/flink-conf/log4j-launcher.properties" \
    -Dairbyte.kinesis.log.file="$log_dir/airbyte-kinesis-$(date +%Y%m%d-%H%M%S)-$$.log" \
    ${AIRBYTE_KINESIS_JAVA_OPTS:-} \
    -cp "$JAR:$(cat "$CLASSPATH_FILE")" \
    "$main_class" "$@"
}
