package org.airbytekinesis.flink.benchmark;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicLong;

/**
 * (a) The CPU ceiling: one thread reads the input file line by line and turns each RECORD into
 * envelope bytes the straightforward Jackson way ({@link JacksonEnvelopes}). No Flink, no network.
 */
final class CpuCeilingPhase {
    private CpuCeilingPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        JacksonEnvelopes envelopes = new JacksonEnvelopes(InputGenerator.streams(spec.streams));
        AtomicLong done = new AtomicLong();
        long bytes = 0;
        long records = 0;
        PhaseMain.Clock clock;
        try (Progress progress = new Progress(done::get, spec.records)) {
            progress.start();
            clock = new PhaseMain.Clock(null);
            try (BufferedReader reader = Files.newBufferedReader(spec.input, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JacksonEnvelopes.Envelope envelope = envelopes.envelope(line);
                    if (envelope == null) {
                        continue;
                    }
                    bytes += envelope.bytes.length;
                    done.lazySet(++records);
                }
            }
            clock.stop(result, progress);
        }
        result.done = records;
        result.notes.add("one thread; mean envelope " + Math.round((double) bytes / Math.max(1, records)) + " B (Jackson)");
    }
}
