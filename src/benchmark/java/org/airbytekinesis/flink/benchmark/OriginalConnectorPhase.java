package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.airbytekinesis.flink.routing.StreamRoutes;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * (d) The original Airbyte Kinesis destination's method (its {@code KinesisMessageConsumer} and
 * {@code KinesisStream}), on one thread: each message is parsed and enveloped with Jackson, the
 * record goes into one buffer shared by all streams, and when the buffer holds
 * {@code bufferSize} (100) records it is flushed: grouped by stream, one synchronous PutRecords
 * per stream, then cleared. Like the original it does not retry entries a PutRecords reports as
 * failed (they are counted; the emulator never fails any).
 */
final class OriginalConnectorPhase {
    private OriginalConnectorPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        StreamRoutes routes = StreamRoutes.forCatalog(InputGenerator.catalog(spec.streams));
        JacksonEnvelopes envelopes = new JacksonEnvelopes(InputGenerator.streams(spec.streams));
        try (EmulatorSession emulator = EmulatorSession.start(spec.latencyMillis, 100, spec.workDir);
                KinesisClient direct = emulator.directClient();
                KinesisClient client = emulator.client(mapper)) {
            EmulatorCeilingPhase.prepareStreams(direct, routes, spec.shards);
            EmulatorCeilingPhase.warmUp(client, 1);

            AtomicLong sent = new AtomicLong();
            long[] failed = new long[1];
            long[] requests = new long[1];
            List<JacksonEnvelopes.Envelope> buffer = new ArrayList<>(spec.bufferSize);
            try (Progress progress = new Progress(sent::get, spec.records)
                    .measuringEmulatorCpu(emulator::emulatorCpuSeconds)) {
                progress.start();
                PhaseMain.Clock clock = new PhaseMain.Clock(emulator);
                try (BufferedReader reader = Files.newBufferedReader(spec.input, StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        if (line.isBlank()) {
                            continue;
                        }
                        JacksonEnvelopes.Envelope envelope = envelopes.envelope(line);
                        if (envelope == null) {
                            continue; // the original keeps the last STATE and prints it at the end
                        }
                        buffer.add(envelope);
                        if (buffer.size() == spec.bufferSize) {
                            flush(client, buffer, sent, failed, requests);
                        }
                    }
                }
                flush(client, buffer, sent, failed, requests);
                clock.stop(result, progress);
            }
            result.done = sent.get();
            result.notes.add("1 thread, flush every " + spec.bufferSize + " records, " + requests[0]
                    + " synchronous PutRecords" + (failed[0] > 0 ? ", " + failed[0] + " entries failed (not retried)" : ""));
            if (spec.verify) {
                result.verifiedRecords = StreamCounter.count(direct, routes.kinesisStreams().values());
            }
            emulator.close();
            result.proxyStats = emulator.proxyStats();
        }
    }

    private static void flush(KinesisClient client, List<JacksonEnvelopes.Envelope> buffer, AtomicLong sent,
            long[] failed, long[] requests) {
        Map<String, List<PutRecordsRequestEntry>> byStream = new LinkedHashMap<>();
        for (JacksonEnvelopes.Envelope envelope : buffer) {
            byStream.computeIfAbsent(envelope.kinesisStream, s -> new ArrayList<>()).add(PutRecordsRequestEntry.builder()
                    .partitionKey(envelope.partitionKey)
                    .data(SdkBytes.fromByteArrayUnsafe(envelope.bytes))
                    .build());
        }
        for (Map.Entry<String, List<PutRecordsRequestEntry>> stream : byStream.entrySet()) {
            PutRecordsResponse response = client.putRecords(b -> b.streamName(stream.getKey()).records(stream.getValue()));
            requests[0]++;
            int failures = response.failedRecordCount() == null ? 0 : response.failedRecordCount();
            failed[0] += failures;
            sent.addAndGet(stream.getValue().size() - failures);
        }
        buffer.clear();
    }
}
