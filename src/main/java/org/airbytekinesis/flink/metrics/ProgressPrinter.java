package org.airbytekinesis.flink.metrics;

import java.io.PrintStream;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints a local run's progress on the console (stderr) every interval, and once more at the
 * end: on a terminal one line rewritten in place, otherwise one line each time, which is what the
 * Airbyte platform shows in a sync's log. The counts come from {@link RunSummaryReporter}, taken
 * relative to the sums when the run started. The log file gets every line too.
 */
public final class ProgressPrinter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressPrinter.class);
    private static final String PREFIX = "airbyte-kinesis: ";

    private final PrintStream console;
    private final boolean inPlace;
    private final long intervalMillis;
    private final long inputBytes;
    private final ProgressSnapshot start;
    private final long startNanos;
    private final Thread thread;
    private volatile boolean stopped;

    private ProgressSnapshot last; // guarded by this
    private long lastNanos; // guarded by this
    private int lastLength; // guarded by this

    private ProgressPrinter(PrintStream console, boolean inPlace, Duration interval, long inputBytes) {
        this.console = console;
        this.inPlace = inPlace;
        this.intervalMillis = interval.toMillis();
        this.inputBytes = inputBytes;
        this.start = RunSummaryReporter.snapshot();
        this.last = start.since(start);
        this.startNanos = System.nanoTime();
        this.lastNanos = startNanos;
        this.thread = new Thread(this::loop, "airbyte-kinesis-progress");
        this.thread.setDaemon(true);
    }

    /**
     * @param inPlace rewrite one line (a terminal) rather than print a line each time
     * @param inputBytes the bounded input's size, for the percentage read; -1 when unknown
     */
    public static ProgressPrinter start(PrintStream console, boolean inPlace, Duration interval, long inputBytes) {
        ProgressPrinter printer = new ProgressPrinter(console, inPlace, interval, inputBytes);
        printer.thread.start();
        return printer;
    }

    private void loop() {
        while (!stopped) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (!stopped) {
                print(false);
            }
        }
    }

    /** @param finalLine the line at the end, whose rate is the whole run's */
    private synchronized void print(boolean finalLine) {
        long now = System.nanoTime();
        ProgressSnapshot current = RunSummaryReporter.snapshot().since(start);
        String line = finalLine
                ? ProgressLine.format(current, start.since(start), (now - startNanos) / 1_000_000, inputBytes)
                : ProgressLine.format(current, this.last, (now - lastNanos) / 1_000_000, inputBytes);
        this.last = current;
        this.lastNanos = now;
        LOG.info("progress: {}", line);
        if (inPlace) {
            String text = PREFIX + line;
            // Spaces wipe what a longer previous line left; the last one ends the line.
            console.print("\r" + text + " ".repeat(Math.max(0, lastLength - text.length())) + (finalLine ? "\n" : ""));
            lastLength = text.length();
        } else {
            console.println(PREFIX + line);
        }
        console.flush();
    }

    /** Stops the timer and prints the final line. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        print(true);
    }
}
