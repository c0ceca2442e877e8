package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleStateOutputTest {
    @TempDir
    Path dir;

    private static StateMessage state(String source, long line) {
        return new StateMessage(source, line, ("{\"type\":\"STATE\",\"state\":{\"line\":" + line + "}}").getBytes(StandardCharsets.UTF_8));
    }

    private interface Run {
        void run() throws IOException;
    }

    private static String capturingStdout(Run run) throws IOException {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void statesArePrintedOnePerLineAppendedToTheStateFileAndNeverTwiceForOneJob() throws Exception {
        Path stateFile = dir.resolve("states.jsonl");
        Files.writeString(stateFile, "earlier\n");
        String printed = capturingStdout(() -> {
            ConsoleStateOutput output = new ConsoleStateOutput(StateOutTarget.resolve(stateFile.toString(), "--state-out"));
            output.open("job-a");
            output.release(1, List.of(state("in.jsonl", 3)));
            output.release(1, List.of(state("in.jsonl", 3))); // released again after a restore
            output.release(2, List.of(state("in.jsonl", 7)));
            output.close();

            ConsoleStateOutput restarted = new ConsoleStateOutput(stateFile.toString());
            restarted.open("job-a");
            restarted.release(2, List.of(state("in.jsonl", 7), state("other.jsonl", 1)));
            restarted.close();

            ConsoleStateOutput otherJob = new ConsoleStateOutput(null);
            otherJob.open("job-b");
            otherJob.release(1, List.of(state("in.jsonl", 3)));
            otherJob.close();
        });
        String expected = "{\"type\":\"STATE\",\"state\":{\"line\":3}}\n"
                + "{\"type\":\"STATE\",\"state\":{\"line\":7}}\n"
                + "{\"type\":\"STATE\",\"state\":{\"line\":1}}\n";
        assertEquals(expected + "{\"type\":\"STATE\",\"state\":{\"line\":3}}\n", printed);
        assertEquals("earlier\n" + expected, Files.readString(stateFile));
    }

    @Test
    void aStateOutDirectoryGetsOneCompleteFilePerReleaseNamedByRunAndCheckpoint() throws Exception {
        Path states = dir.resolve("states");
        String target = StateOutTarget.resolve(states + "/", "--state-out");
        assertTrue(StateOutTarget.isDirectory(target), target);
        String printed = capturingStdout(() -> {
            ConsoleStateOutput output = new ConsoleStateOutput(target);
            output.open("run-1");
            output.release(4, List.of(state("in.jsonl", 3), state("in.jsonl", 5)));
            output.release(9, List.of(state("in.jsonl", 8)));
            output.close();
        });
        assertEquals("{\"type\":\"STATE\",\"state\":{\"line\":3}}\n{\"type\":\"STATE\",\"state\":{\"line\":5}}\n"
                + "{\"type\":\"STATE\",\"state\":{\"line\":8}}\n", printed);
        Path run = states.resolve("run-run-1");
        assertEquals(List.of("checkpoint-0000000000000000004.jsonl", "checkpoint-0000000000000000009.jsonl"), names(run),
                "one visible file per release, nothing half-written beside them");
        assertEquals("{\"type\":\"STATE\",\"state\":{\"line\":3}}\n{\"type\":\"STATE\",\"state\":{\"line\":5}}\n",
                Files.readString(run.resolve("checkpoint-0000000000000000004.jsonl")));
        assertEquals("{\"type\":\"STATE\",\"state\":{\"line\":8}}\n",
                Files.readString(run.resolve("checkpoint-0000000000000000009.jsonl")));

        // A restore in another JVM (no memory of what was printed) releases checkpoint 9 again,
        // with a STATE that checkpoint 4 had released: the file is kept as it was.
        ConsoleStateOutput restored = new ConsoleStateOutput(target);
        restored.open("run-1");
        restored.release(9, List.of(state("other.jsonl", 5), state("in.jsonl", 8)));
        restored.close();
        assertEquals("{\"type\":\"STATE\",\"state\":{\"line\":8}}\n",
                Files.readString(run.resolve("checkpoint-0000000000000000009.jsonl")));
        assertEquals(2, names(run).size());
    }

    @Test
    void anExistingDirectoryOrAUriIsADirectoryTargetAndAMissingParentIsRefused() throws IOException {
        assertTrue(StateOutTarget.isDirectory(StateOutTarget.resolve(dir.toString(), "--state-out")));
        assertEquals("s3://bucket/states/", StateOutTarget.resolve("s3://bucket/states", "--state-out"));
        assertEquals(dir.resolve("s.jsonl").toString(), StateOutTarget.resolve(dir.resolve("s.jsonl").toString(), "--state-out"));
        String message = org.junit.jupiter.api.Assertions.assertThrows(org.airbytekinesis.flink.SetupException.class,
                () -> StateOutTarget.resolve(dir.resolve("no/such/s.jsonl").toString(), "--state-out")).getMessage();
        assertTrue(message.endsWith(": its directory does not exist"), message);
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
