package org.airbytekinesis.flink.deadletter;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Names of dead-letter files: {@code dead-letter-<UTC time>-<subtask>-<random>.jsonl}, e.g.
 * {@code dead-letter-20250102T030405.678Z-1-0a1b2c3d.jsonl}. They sort by time; the subtask and
 * the random part keep the writers of one attempt, and of attempts after a restart, apart.
 */
final class DeadLetterFileNames {
    /** No colons: they are not allowed in file names on some systems, nor in Hadoop paths. */
    private static final DateTimeFormatter UTC_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private DeadLetterFileNames() {}

    static String next(int subtask) {
        return "dead-letter-" + UTC_TIME.format(Instant.now()) + "-" + subtask + "-"
                + String.format("%08x", ThreadLocalRandom.current().nextInt()) + ".jsonl";
    }
}
