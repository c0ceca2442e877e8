package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.airbytekinesis.flink.config.Locations;
import org.airbytekinesis.flink.source.AfterRead;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateReleaserTest {

    private static OneInputStreamOperatorTestHarness<StateMessage, Void> harness(StateOutput output) throws Exception {
        OneInputStreamOperatorTestHarness<StateMessage, Void> harness =
                new OneInputStreamOperatorTestHarness<>(new StateReleaser(output));
        harness.open();
        return harness;
    }

    private static void state(OneInputStreamOperatorTestHarness<StateMessage, Void> harness, int n) throws Exception {
        harness.processElement(new StreamRecord<>(
                new StateMessage("input", n, ("{\"state\":" + n + "}").getBytes(StandardCharsets.UTF_8))));
    }

    private static List<String> states(int... numbers) {
        String[] lines = new String[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            lines[i] = "{\"state\":" + numbers[i] + "}";
        }
        return List.of(lines);
    }

    @Test
    void anInputFileIsDeletedOnlyWhenTheCheckpointAfterItsEndCompletesAndAfterItsStates(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("input.jsonl"), "{}");
        String fileUri = new org.apache.flink.core.fs.Path(file.toUri()).toString();
        CollectingStateOutput output = new CollectingStateOutput() {
            @Override
            public void release(long checkpointId, List<StateMessage> released) {
                super.release(checkpointId, released);
                assertTrue(Files.exists(file), "STATEs go out before their file is deleted");
            }
        };
        StateReleaser releaser = new StateReleaser(output,
                AfterRead.parse("delete", "--after-read", List.of(Locations.resolve(dir.toString()))));
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = new OneInputStreamOperatorTestHarness<>(releaser)) {
            harness.open();
            state(harness, 1);
            harness.processElement(new StreamRecord<>(StateMessage.inputCompleted("input", 1, fileUri)));
            harness.snapshot(1L, 1L);
            assertTrue(Files.exists(file), "the checkpoint covering the end has not completed yet");
            harness.notifyOfCompletedCheckpoint(1L);
            assertEquals(states(1), output.released);
            assertFalse(Files.exists(file), "deleted once its checkpoint completed");
        }
    }

    @Test
    void anInputFileEndRestoredFromASnapshotIsActedOnAfterTheRestore(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("input.jsonl"), "{}");
        String fileUri = new org.apache.flink.core.fs.Path(file.toUri()).toString();
        AfterRead delete = AfterRead.parse("delete", "--after-read", List.of(Locations.resolve(dir.toString())));
        OperatorSubtaskState snapshot;
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness =
                new OneInputStreamOperatorTestHarness<>(new StateReleaser(new CollectingStateOutput(), delete))) {
            harness.open();
            harness.processElement(new StreamRecord<>(StateMessage.inputCompleted("input", 1, fileUri)));
            snapshot = harness.snapshot(1L, 1L);
        }
        assertTrue(Files.exists(file), "the job failed before checkpoint 1's notification");
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> restored =
                new OneInputStreamOperatorTestHarness<>(new StateReleaser(new CollectingStateOutput(), delete))) {
            restored.initializeState(snapshot);
            restored.open();
            assertFalse(Files.exists(file), "checkpoint 1 is complete: the restore acts on what it covered");
        }
    }

    @Test
    void statesAreHeldUntilTheCheckpointAfterThemCompletes() throws Exception {
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(output)) {
            state(harness, 1);
            state(harness, 2);
            assertEquals(List.of(), output.released, "nothing before a checkpoint");
            harness.snapshot(1L, 1L);
            state(harness, 3);
            assertEquals(List.of(), output.released, "nothing before checkpoint 1 completes");

            harness.notifyOfCompletedCheckpoint(1L);
            assertEquals(states(1, 2), output.released, "state 3 came after checkpoint 1's barrier");

            harness.snapshot(2L, 2L);
            harness.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2, 3), output.released);
        }
    }

    @Test
    void aCheckpointThatNeverCompletesReleasesNothingAndALaterOneReleasesInOrder() throws Exception {
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(output)) {
            state(harness, 1);
            harness.snapshot(1L, 1L);
            harness.getOneInputOperator().notifyCheckpointAborted(1L);
            state(harness, 2);
            harness.snapshot(2L, 2L);
            state(harness, 3);
            assertEquals(List.of(), output.released);

            harness.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2), output.released);
        }
    }

    @Test
    void aLateNotificationOfAnOlderCheckpointReleasesOnlyWhatItCovers() throws Exception {
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(output)) {
            state(harness, 1);
            harness.snapshot(1L, 1L);
            state(harness, 2);
            harness.snapshot(2L, 2L);
            harness.notifyOfCompletedCheckpoint(1L);
            assertEquals(states(1), output.released);
            harness.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2), output.released);
        }
    }

    @Test
    void statesInARestoredCheckpointAreReleasedOnRestoreAndLaterOnesWaitAgain() throws Exception {
        OperatorSubtaskState snapshot;
        CollectingStateOutput beforeFailure = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(beforeFailure)) {
            state(harness, 1);
            snapshot = harness.snapshot(1L, 1L);
            state(harness, 2); // after the barrier: replayed by the source after a restore
        }
        assertEquals(List.of(), beforeFailure.released, "the job failed before checkpoint 1's notification");

        CollectingStateOutput afterRestore = new CollectingStateOutput();
        OneInputStreamOperatorTestHarness<StateMessage, Void> restored =
                new OneInputStreamOperatorTestHarness<>(new StateReleaser(afterRestore));
        restored.initializeState(snapshot);
        restored.open();
        try (restored) {
            assertEquals(states(1), afterRestore.released, "checkpoint 1 is complete: we restored from it");
            state(restored, 2);
            assertEquals(states(1), afterRestore.released);
            restored.snapshot(2L, 2L);
            restored.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2), afterRestore.released);
        }
    }

    @Test
    void aCompletedCheckpointReleasesEachStateOnceEvenWhenNotifiedAgainOrLate() throws Exception {
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(output)) {
            state(harness, 1);
            harness.snapshot(1L, 1L);
            state(harness, 2);
            harness.snapshot(2L, 2L);
            harness.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2), output.released, "checkpoint 2 subsumes checkpoint 1");

            harness.notifyOfCompletedCheckpoint(1L);
            harness.notifyOfCompletedCheckpoint(2L);
            assertEquals(states(1, 2), output.released, "a repeated or late notification releases nothing again");
        }
    }

    @Test
    void theLastStatesOfABoundedInputAreReleasedByTheFinalCheckpoint() throws Exception {
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = harness(output)) {
            state(harness, 1);
            state(harness, 2);
            harness.endInput();
            assertEquals(List.of(), output.released, "the end of the input alone does not make them durable");
            harness.snapshot(1L, 1L);
            harness.notifyOfCompletedCheckpoint(1L);
            assertEquals(states(1, 2), output.released);
        }
    }

    @Test
    void theOutputIsOpenedWithTheJobIdAndClosedWithTheOperator() throws Exception {
        JobID job = new JobID();
        CollectingStateOutput output = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness =
                new OneInputStreamOperatorTestHarness<>(new StateReleaser(output), environment(job, new InterceptingOperatorMetricGroup()))) {
            harness.open();
            assertTrue(output.open);
            assertEquals(job.toString(), output.runId);
        }
        assertFalse(output.open, "closed with the operator");
    }

    /** The output's duplicate check keys on the run: a restore, even into a new job, is the same run. */
    @Test
    void aRestoredOperatorKeepsTheRunIdOfTheFirstJob() throws Exception {
        JobID first = new JobID();
        OperatorSubtaskState snapshot;
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness = new OneInputStreamOperatorTestHarness<>(
                new StateReleaser(new CollectingStateOutput()), environment(first, new InterceptingOperatorMetricGroup()))) {
            harness.open();
            snapshot = harness.snapshot(1L, 1L);
        }
        CollectingStateOutput afterRestore = new CollectingStateOutput();
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> restored = new OneInputStreamOperatorTestHarness<>(
                new StateReleaser(afterRestore), environment(new JobID(), new InterceptingOperatorMetricGroup()))) {
            restored.initializeState(snapshot);
            restored.open();
            assertEquals(first.toString(), afterRestore.runId);
        }
    }

    @Test
    void metricsCountHeldAndReleasedStatesButNotTheEndsOfInputFiles() throws Exception {
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        CollectingStateOutput output = new CollectingStateOutput();
        StateReleaser releaser = new StateReleaser(output);
        try (OneInputStreamOperatorTestHarness<StateMessage, Void> harness =
                new OneInputStreamOperatorTestHarness<>(releaser, environment(new JobID(), metrics))) {
            harness.open();
            assertEquals(0L, gauge(metrics, "oldestHeldStateAgeMs"), "nothing held");

            long start = System.currentTimeMillis();
            state(harness, 1);
            harness.processElement(new StreamRecord<>(StateMessage.inputCompleted("input", 1, "file:///data/input.jsonl")));
            state(harness, 2);
            Thread.sleep(30);
            assertEquals(2, gauge(metrics, "statesHeld"), "two STATEs; the end of a file is not one");
            assertEquals(3, releaser.pendingCount(), "the end of the file waits too");
            long age = (Long) gauge(metrics, "oldestHeldStateAgeMs");
            assertTrue(age >= 30 && age <= System.currentTimeMillis() - start, "oldest waited " + age + " ms");

            harness.snapshot(1L, 1L);
            harness.notifyOfCompletedCheckpoint(1L);
            long waited = System.currentTimeMillis() - start;
            assertEquals(states(1, 2), output.released);
            assertEquals(2, ((Counter) metrics.get("statesReleased")).getCount());
            assertEquals(0, gauge(metrics, "statesHeld"));
            assertEquals(0L, gauge(metrics, "oldestHeldStateAgeMs"));
            assertEquals(0, releaser.pendingCount());
            Histogram releaseMs = (Histogram) metrics.get("stateReleaseMs");
            assertEquals(2, releaseMs.getCount(), "one wait per STATE released");
            assertTrue(releaseMs.getStatistics().getMin() >= 30 && releaseMs.getStatistics().getMax() <= waited,
                    "waits between 30 and " + waited + " ms: " + releaseMs.getStatistics().getMin()
                            + ".." + releaseMs.getStatistics().getMax());
        }
    }

    private static Object gauge(InterceptingOperatorMetricGroup metrics, String name) {
        Gauge<?> gauge = (Gauge<?>) metrics.get(name);
        assertNotNull(gauge, name);
        return gauge.getValue();
    }

    /** A task of job {@code job} whose operator registers its metrics in {@code metrics}. */
    private static MockEnvironment environment(JobID job, InterceptingOperatorMetricGroup metrics) {
        return new MockEnvironmentBuilder()
                .setJobID(job)
                .setMetricGroup(new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name) {
                        return metrics;
                    }
                })
                .build();
    }
}
