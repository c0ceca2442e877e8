package org.airbytekinesis.flink.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProgressLineTest {
    private static ProgressSnapshot counts(long lines, long bytes, long acknowledged) {
        return new ProgressSnapshot(lines, bytes, acknowledged, 12, 340, 11, 1);
    }

    @Test
    void aLineHasTheCountsThePercentageOfBytesReadAndTheRateOverTheInterval() {
        String line = ProgressLine.format(counts(1_204_311, 421_000, 1_198_004), counts(1_000_000, 300_000, 1_000_000),
                2_000, 1_000_000);

        assertEquals("1,204,311 lines read (42.1%), 1,198,004 records in Kinesis (99,002/s), 12 dead letters,"
                + " 340 retries, STATEs: 11 released, 1 held", line);
    }

    @Test
    void withoutAKnownInputSizeThereIsNoPercentageAndItNeverPassesAHundred() {
        assertEquals("5 lines read, 5 records in Kinesis (0/s), 12 dead letters, 340 retries, STATEs: 11 released, 1 held",
                ProgressLine.format(counts(5, 50, 5), counts(5, 50, 5), 1_000, -1));
        assertEquals("5 lines read (100.0%), 5 records in Kinesis (5/s), 12 dead letters, 340 retries,"
                        + " STATEs: 11 released, 1 held",
                ProgressLine.format(counts(5, 60, 5), counts(0, 0, 0), 1_000, 50));
    }

    @Test
    void countsAreTheRunsOwnButHeldStatesAreALevel() {
        ProgressSnapshot run = new ProgressSnapshot(110, 1_100, 100, 3, 4, 5, 2)
                .since(new ProgressSnapshot(10, 100, 50, 1, 1, 1, 7));

        assertEquals(100, run.lines);
        assertEquals(1_000, run.bytesRead);
        assertEquals(50, run.recordsAcknowledged);
        assertEquals(2, run.deadLetters);
        assertEquals(3, run.retriedEntries);
        assertEquals(4, run.statesReleased);
        assertEquals(2, run.statesHeld);
    }
}
