package org.airbytekinesis.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime settings the job's guarantees rest on, set by the job itself whatever a cluster's
 * config (or {@code $FLINK_CONF_DIR/config.yaml} in a local run) says: a STATE is released when
 * the checkpoint after it completes, which is only right if
 *
 * <ul>
 *   <li>the job runs in STREAMING mode (BATCH, and AUTOMATIC with bounded input, take no
 *       checkpoints at all);
 *   <li>checkpoints are on, and go on after the first tasks finish, so that the final checkpoint
 *       of a bounded run releases the last STATEs;
 *   <li>barriers are exactly-once and aligned, so a checkpoint holds everything that came before
 *       it on every channel;
 *   <li>input that cannot be read twice (standard input, a socket) is never restarted: a restart
 *       would go on after lines that are lost.
 * </ul>
 *
 * Every cluster setting that says otherwise is overridden, with a warning naming it.
 */
final class PinnedRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedRuntime.class);

    static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(10);
    /** Enough to ride out a Kinesis outage of about a minute (connection errors fail the sink). */
    static final int LOCAL_RESTART_ATTEMPTS = 10;
    static final Duration LOCAL_RESTART_DELAY = Duration.ofSeconds(5);

    private PinnedRuntime() {}

    /**
     * @param checkpointInterval {@code --checkpoint-interval}, or null for the cluster's own
     *     (or {@value} 10 s when it has none)
     * @param cannotReplay the input cannot be read again (standard input, a socket)
     * @param local a MiniCluster of our own, whose restarts we choose
     * @return the warnings, one per overridden setting (also logged)
     */
    static List<String> apply(StreamExecutionEnvironment env, Duration checkpointInterval, boolean cannotReplay, boolean local) {
        ReadableConfig given = env.getConfiguration();
        List<String> warnings = new ArrayList<>();
        Configuration pinned = new Configuration();

        RuntimeExecutionMode mode = given.get(ExecutionOptions.RUNTIME_MODE);
        if (mode != RuntimeExecutionMode.STREAMING) {
            warnings.add(override(ExecutionOptions.RUNTIME_MODE.key(), mode, RuntimeExecutionMode.STREAMING,
                    "STATEs are released by checkpoints, which only streaming execution takes"));
        }
        pinned.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);

        if (!given.get(CheckpointingOptions.ENABLE_CHECKPOINTS_AFTER_TASKS_FINISH)) {
            warnings.add(override(CheckpointingOptions.ENABLE_CHECKPOINTS_AFTER_TASKS_FINISH.key(), false, true,
                    "the final checkpoint of a bounded run releases its last STATEs"));
        }
        pinned.set(CheckpointingOptions.ENABLE_CHECKPOINTS_AFTER_TASKS_FINISH, true);

        CheckpointingMode consistency = given.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE);
        if (consistency != CheckpointingMode.EXACTLY_ONCE) {
            warnings.add(override(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE.key(), consistency,
                    CheckpointingMode.EXACTLY_ONCE, "a checkpoint must hold everything before its barrier on every channel"));
        }
        pinned.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);

        if (given.get(CheckpointingOptions.ENABLE_UNALIGNED)) {
            warnings.add(override(CheckpointingOptions.ENABLE_UNALIGNED.key(), true, false,
                    "records overtaken by an unaligned barrier would not be written when the checkpoint completes"));
        }
        pinned.set(CheckpointingOptions.ENABLE_UNALIGNED, false);

        Duration interval = given.getOptional(CheckpointingOptions.CHECKPOINTING_INTERVAL).orElse(null);
        if (checkpointInterval != null) {
            pinned.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
        } else if (interval == null || interval.isZero() || interval.isNegative()) {
            pinned.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, DEFAULT_CHECKPOINT_INTERVAL);
        }

        String restarts = given.getOptional(RestartStrategyOptions.RESTART_STRATEGY).orElse(null);
        if (cannotReplay) {
            if (restarts != null && !isNone(restarts)) {
                warnings.add(override(RestartStrategyOptions.RESTART_STRATEGY.key(), restarts, "none",
                        "standard input and sockets cannot be read again, so a restart would skip lines"));
            }
            pinned.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        } else if (local) {
            // Our own MiniCluster: ride out short Kinesis outages; a cluster brings its own strategy.
            pinned.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            pinned.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, LOCAL_RESTART_ATTEMPTS);
            pinned.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, LOCAL_RESTART_DELAY);
        }

        env.configure(pinned);
        for (String warning : warnings) {
            LOG.warn(warning);
        }
        return warnings;
    }

    private static boolean isNone(String strategy) {
        return strategy.equalsIgnoreCase("none") || strategy.equalsIgnoreCase("off") || strategy.equalsIgnoreCase("disable");
    }

    private static String override(String key, Object given, Object used, String why) {
        return "cluster setting " + key + ": " + given + " is overridden with " + used + " for this job (" + why + ")";
    }
}
