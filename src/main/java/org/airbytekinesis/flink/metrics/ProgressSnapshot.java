package org.airbytekinesis.flink.metrics;

/** The counts a progress line shows, at one moment; {@link #since} makes them one run's. */
public final class ProgressSnapshot {
    public final long lines;
    public final long bytesRead;
    public final long recordsAcknowledged;
    public final long deadLetters;
    public final long retriedEntries;
    public final long statesReleased;
    /** A level, not a count: never subtracted. */
    public final long statesHeld;

    public ProgressSnapshot(long lines, long bytesRead, long recordsAcknowledged, long deadLetters, long retriedEntries,
            long statesReleased, long statesHeld) {
        this.lines = lines;
        this.bytesRead = bytesRead;
        this.recordsAcknowledged = recordsAcknowledged;
        this.deadLetters = deadLetters;
        this.retriedEntries = retriedEntries;
        this.statesReleased = statesReleased;
        this.statesHeld = statesHeld;
    }

    /** The counts since {@code start} (the JVM's sums before this run). */
    public ProgressSnapshot since(ProgressSnapshot start) {
        return new ProgressSnapshot(lines - start.lines, bytesRead - start.bytesRead,
                recordsAcknowledged - start.recordsAcknowledged, deadLetters - start.deadLetters,
                retriedEntries - start.retriedEntries, statesReleased - start.statesReleased, statesHeld);
    }
}
