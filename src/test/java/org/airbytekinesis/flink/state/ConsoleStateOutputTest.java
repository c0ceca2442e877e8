package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleStateOutputTest {
    @TempDir
    Path dir;

    private static StateMessage state(String source, long line) {
        return new StateMessage(source, line, ("{\"type\":\"STATE\",\"state\":{\"line\":" + line + "}}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void statesArePrintedOnePerLineAppendedToTheStateFileAndNeverTwiceForOneJob() throws Exception {
        Path stateFile = dir.resolve("states.jsonl");
        Files.writeString(stateFile, "earlier\n");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ConsoleStateOutput output = new ConsoleStateOutput(stateFile.toString());
            output.open("job-a");
            output.write(state("in.jsonl", 3));
            output.write(state("in.jsonl", 3)); // released again after a restore
            output.write(state("in.jsonl", 7));
            output.close();

            ConsoleStateOutput restarted = new ConsoleStateOutput(stateFile.toString());
            restarted.open("job-a");
            restarted.write(state("in.jsonl", 7));
            restarted.write(state("other.jsonl", 1));
            restarted.close();

            ConsoleStateOutput otherJob = new ConsoleStateOutput(null);
            otherJob.open("job-b");
            otherJob.write(state("in.jsonl", 3));
            otherJob.close();
        } finally {
            System.setOut(stdout);
        }
        String expected = "{\"type\":\"STATE\",\"state\":{\"line\":3}}\n"
                + "{\"type\":\"STATE\",\"state\":{\"line\":7}}\n"
                + "{\"type\":\"STATE\",\"state\":{\"line\":1}}\n";
        assertEquals(expected + "{\"type\":\"STATE\",\"state\":{\"line\":3}}\n", captured.toString(StandardCharsets.UTF_8));
        assertEquals("earlier\n" + expected, Files.readString(stateFile));
    }
}
