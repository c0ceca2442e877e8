package org.airbytekinesis.flink.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
    @Test
    void onATerminalOneLineIsRewrittenInPlaceEachCoveringTheLastAndTheEndClosesIt() throws Exception {
        RunSummaryReporter reporter = new RunSummaryReporter();
        SimpleCounter acknowledged = new SimpleCounter();
        reporter.notifyOfAddedMetric(acknowledged, "recordsAcknowledged", new UnregisteredMetricsGroup());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ProgressPrinter printer = ProgressPrinter.start(new PrintStream(out, true, StandardCharsets.UTF_8), true,
                    Duration.ofMillis(100), -1);
            acknowledged.inc(12_345_678); // a long rate on the first line, 0/s on the next ones
            Thread.sleep(450);
            printer.close();
        } finally {
            reporter.notifyOfRemovedMetric(acknowledged, "recordsAcknowledged", new UnregisteredMetricsGroup());
        }

        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("\r") && text.endsWith("\n"), text);
        assertEquals(text.length() - 1, text.indexOf('\n'), "one line, ended once at the end");
        List<String> frames = new ArrayList<>(List.of(text.substring(1, text.length() - 1).split("\r")));
        assertTrue(frames.size() >= 3, frames.toString());
        assertTrue(frames.get(0).contains("12,345,678 records in Kinesis"), frames.get(0));
        for (int i = 1; i < frames.size(); i++) {
            assertTrue(frames.get(i).length() >= frames.get(i - 1).trim().length(),
                    "each rewrite covers what the one before left: " + frames);
        }
        assertTrue(frames.stream().anyMatch(f -> f.contains("(0/s)") && f.endsWith(" ")), "a shorter line is padded: " + frames);
    }

    @Test
    void elsewhereEachProgressIsALineOfItsOwn() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressPrinter printer = ProgressPrinter.start(new PrintStream(out, true, StandardCharsets.UTF_8), false,
                Duration.ofMillis(100), -1);
        Thread.sleep(350);
        printer.close();

        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(!text.contains("\r"), text);
        String[] lines = text.split("\n");
        assertTrue(lines.length >= 3, text);
        for (String line : lines) {
            assertTrue(line.startsWith("airbyte-kinesis: ") && line.contains(" lines read, "), line);
        }
    }
}
