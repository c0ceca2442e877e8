package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The settings {@code write} pins, on the environment it submits from (no job is run here). */
class PinnedRuntimeTest {
    private static StreamExecutionEnvironment environment(Configuration cluster) {
        return StreamExecutionEnvironment.getExecutionEnvironment(cluster);
    }

    @Test
    void everySettingTheGuaranteesNeedIsSetAndNothingIsSaidWhenTheClusterAgrees() {
        StreamExecutionEnvironment env = environment(new Configuration());
        List<String> warnings = PinnedRuntime.apply(env, null, false, true);
        assertEquals(List.of(), warnings);
        assertEquals(RuntimeExecutionMode.STREAMING, env.getConfiguration().get(ExecutionOptions.RUNTIME_MODE));
        assertTrue(env.getConfiguration().get(CheckpointingOptions.ENABLE_CHECKPOINTS_AFTER_TASKS_FINISH));
        assertEquals(CheckpointingMode.EXACTLY_ONCE, env.getCheckpointConfig().getCheckpointingConsistencyMode());
        assertTrue(!env.getCheckpointConfig().isUnalignedCheckpointsEnabled());
        assertEquals(10_000, env.getCheckpointConfig().getCheckpointInterval(), "checkpoints are on by default");
    }

    @Test
    void theClustersCheckpointIntervalIsKeptUnlessOneIsGiven() {
        Configuration cluster = new Configuration();
        cluster.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMinutes(1));
        StreamExecutionEnvironment kept = environment(cluster);
        PinnedRuntime.apply(kept, null, false, false);
        assertEquals(60_000, kept.getCheckpointConfig().getCheckpointInterval());
        StreamExecutionEnvironment given = environment(cluster);
        PinnedRuntime.apply(given, Duration.ofSeconds(2), false, false);
        assertEquals(2_000, given.getCheckpointConfig().getCheckpointInterval());
    }

    @Test
    void inputThatCannotBeReadAgainIsNeverRestartedWhateverTheClusterSays() {
        Configuration cluster = new Configuration();
        cluster.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        StreamExecutionEnvironment env = environment(cluster);
        List<String> warnings = PinnedRuntime.apply(env, null, true, false);
        assertEquals("none", env.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("cluster setting restart-strategy.type: exponential-delay is overridden with none"),
                warnings.get(0));
    }

    @Test
    void aClustersOwnRestartStrategyIsKeptForFilesAndOurOwnMiniClusterRestartsLocalRuns() {
        Configuration cluster = new Configuration();
        cluster.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        StreamExecutionEnvironment onCluster = environment(cluster);
        PinnedRuntime.apply(onCluster, null, false, false);
        assertEquals("exponential-delay", onCluster.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY));
        StreamExecutionEnvironment local = environment(new Configuration());
        PinnedRuntime.apply(local, null, false, true);
        assertEquals("fixed-delay", local.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY));
    }
}
