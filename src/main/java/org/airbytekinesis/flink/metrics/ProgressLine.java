package org.airbytekinesis.flink.metrics;

import java.util.Locale;

/**
 * One progress line of a running {@code write}:
 * {@code 1,204,311 lines read (42.1%), 1,198,004 records in Kinesis (48,210/s), 12 dead letters,
 * 340 retries, STATEs: 11 released, 1 held}. "In Kinesis" counts records Kinesis acknowledged,
 * not records sent.
 */
public final class ProgressLine {
    private ProgressLine() {}

    /**
     * @param now this run's counts
     * @param previous this run's counts one interval before (the rate is over it)
     * @param intervalMillis the time between the two
     * @param inputBytes the bounded file input's size in bytes, or -1 (a socket, stdin, a watched directory)
     */
    public static String format(ProgressSnapshot now, ProgressSnapshot previous, long intervalMillis, long inputBytes) {
        StringBuilder line = new StringBuilder();
        line.append(String.format(Locale.ROOT, "%,d lines read", now.lines));
        if (inputBytes > 0) {
            // Lines are counted with one byte for their end: a CRLF file reads a little under 100%.
            double percent = Math.min(100.0, 100.0 * now.bytesRead / inputBytes);
            line.append(String.format(Locale.ROOT, " (%.1f%%)", percent));
        }
        long rate = intervalMillis <= 0 ? 0
                : Math.round((now.recordsAcknowledged - previous.recordsAcknowledged) * 1000.0 / intervalMillis);
        line.append(String.format(Locale.ROOT, ", %,d records in Kinesis (%,d/s), %,d dead letters, %,d retries,"
                        + " STATEs: %,d released, %,d held",
                now.recordsAcknowledged, rate, now.deadLetters, now.retriedEntries, now.statesReleased, now.statesHeld));
        return line.toString();
    }
}
