package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.airbytekinesis.flink.config.Locations;
import org.airbytekinesis.flink.source.AfterRead;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
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
}
