#!/usr/bin/env bash
# Runs the job jar on the cluster started by start-cluster.sh through Flink's CLI front end (as
# `flink run -m HOST:PORT JAR ARGS...`) and waits until the job has finished; the exit code is
# the CLI's (0 when the job finished).
#
#   deploy/standalone/submit.sh write --config CONFIG.json --catalog CATALOG.json --input PATH --dead-letter DIR
#
# Paths must be readable on the TaskManager too (here: the same machine). Options of `flink run`
# go in $FLINK_RUN_OPTS (e.g. "-p 1"). The CLI's full log is in log/client-*.log of the cluster
# directory; warnings and errors also go to stderr. Released STATE messages are printed by the
# TaskManager, in log/taskmanager.out (or use --state-out FILE).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_build
(($#)) || die "usage: submit.sh write --config CONFIG.json --catalog CATALOG.json --input PATH [...]"
[[ -f "$CONF_DIR/config.yaml" ]] || die "no cluster in $CLUSTER_DIR: run deploy/standalone/start-cluster.sh first"
curl -fsS --max-time 5 "$(rest_url)/overview" >/dev/null 2>&1 || die "the cluster at $(rest_url) does not answer"

# shellcheck disable=SC2086 # option lists, split on spaces as Flink's scripts do
FLINK_CONF_DIR="$CONF_DIR" exec "$JAVA" $(conf_value env.java.opts.all) $(conf_value env.java.opts.client) \
  -Dlog4j2.configurationFile="$ROOT/flink-conf/log4j-launcher.properties" \
  -Dairbyte.kinesis.log.file="$LOG_DIR/client-$(date +%Y%m%d-%H%M%S)-$$.log" \
  -cp "$(flink_classpath)" org.apache.flink.client.cli.CliFrontend \
  run -m "$(conf_value rest.address localhost):$(conf_value rest.port)" ${FLINK_RUN_OPTS:-} "$JAR" "$@"
