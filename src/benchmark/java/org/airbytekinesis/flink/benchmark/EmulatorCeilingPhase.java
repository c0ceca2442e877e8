package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.airbytekinesis.flink.airbyte.AirbyteMessageScanner;
import org.airbytekinesis.flink.airbyte.ScannedMessage;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.envelope.EnvelopeWriter;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * (c) The emulator's ceiling: the envelopes (the job's own bytes, made before the clock starts)
 * go out in PutRecords requests of {@code batch} (500) records of one stream each, from
 * {@code threads} (4) threads sharing one AWS SDK v2 client, as fast as the emulator takes them.
 * Entries a PutRecords reports as failed are sent again.
 */
final class EmulatorCeilingPhase {
    static final String WARMUP_STREAM = "benchmark_warmup";

    private EmulatorCeilingPhase() {}

    private static final class Batch {
        final String stream;
        final List<PutRecordsRequestEntry> entries;

        Batch(String stream, List<PutRecordsRequestEntry> entries) {
            this.stream = stream;
            this.entries = entries;
        }
    }

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        StreamRoutes routes = StreamRoutes.forCatalog(InputGenerator.catalog(spec.streams));
        ConcurrentLinkedQueue<Batch> queue = batches(spec, routes);
        try (EmulatorSession emulator = EmulatorSession.start(spec.latencyMillis, 100, spec.workDir);
                KinesisClient direct = emulator.directClient();
                KinesisClient client = emulator.client(mapper)) {
            prepareStreams(direct, routes, spec.shards);
            warmUp(client, spec.threads);

            AtomicLong sent = new AtomicLong();
            AtomicLong retried = new AtomicLong();
            AtomicLong requests = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            try (Progress progress = new Progress(sent::get, spec.records)
                    .measuringEmulatorCpu(emulator::emulatorCpuSeconds)) {
                progress.start();
                PhaseMain.Clock clock = new PhaseMain.Clock(emulator);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < spec.threads; t++) {
                    Thread thread = new Thread(() -> {
                        try {
                            Batch batch;
                            while (failure.get() == null && (batch = queue.poll()) != null) {
                                putAll(client, batch.stream, batch.entries, sent, retried, requests);
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }, "put-records-" + t);
                    threads.add(thread);
                    thread.start();
                }
                for (Thread thread : threads) {
                    thread.join();
                }
                clock.stop(result, progress);
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a PutRecords thread failed", failure.get());
            }
            result.done = sent.get();
            result.notes.add(spec.threads + " threads, " + spec.batch + " records per PutRecords, " + requests.get()
                    + " requests" + (retried.get() > 0 ? ", " + retried.get() + " entries retried" : ""));
            if (spec.verify) {
                result.verifiedRecords = StreamCounter.count(direct, routes.kinesisStreams().values());
            }
            emulator.close();
            result.proxyStats = emulator.proxyStats();
        }
    }

    /**
     * The job's envelopes of every RECORD, as PutRecords batches of one stream each, the
     * streams taking turns. The partition key is a name-based UUID of the line number, as the
     * job's position ids are.
     */
    private static ConcurrentLinkedQueue<Batch> batches(PhaseSpec spec, StreamRoutes routes) throws Exception {
        AirbyteMessageScanner scanner = new AirbyteMessageScanner();
        EnvelopeWriter writer = new EnvelopeWriter(DataFormat.STRING);
        Map<String, List<List<PutRecordsRequestEntry>>> byStream = new LinkedHashMap<>();
        long lineNumber = 0;
        try (BufferedReader reader = Files.newBufferedReader(spec.input, StandardCharsets.UTF_8)) {
            String text;
            while ((text = reader.readLine()) != null) {
                lineNumber++;
                byte[] line = text.getBytes(StandardCharsets.UTF_8);
                ScannedMessage message = scanner.scan(line, line.length);
                if (!message.isRecord()) {
                    continue;
                }
                String stream = routes.kinesisStreamFor(message.namespace(), message.stream());
                String id = UUID.nameUUIDFromBytes(("benchmark\n" + lineNumber).getBytes(StandardCharsets.UTF_8)).toString();
                byte[] payload = writer.write(id, message.emittedAt(), line, message.dataStart(), message.dataEnd());
                List<List<PutRecordsRequestEntry>> batches = byStream.computeIfAbsent(stream, s -> new ArrayList<>());
                if (batches.isEmpty() || batches.get(batches.size() - 1).size() >= spec.batch) {
                    batches.add(new ArrayList<>(spec.batch));
                }
                batches.get(batches.size() - 1).add(PutRecordsRequestEntry.builder()
                        .partitionKey(id)
                        .data(SdkBytes.fromByteArrayUnsafe(payload))
                        .build());
            }
        }
        ConcurrentLinkedQueue<Batch> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; ; i++) {
            boolean any = false;
            for (Map.Entry<String, List<List<PutRecordsRequestEntry>>> stream : byStream.entrySet()) {
                if (i < stream.getValue().size()) {
                    queue.add(new Batch(stream.getKey(), stream.getValue().get(i)));
                    any = true;
                }
            }
            if (!any) {
                return queue;
            }
        }
    }

    /** Creates the catalog's streams with {@code shards} shards, and a one-shard stream for warm-ups. */
    static void prepareStreams(KinesisClient direct, StreamRoutes routes, int shards) {
        StreamProvisioner provisioner = new StreamProvisioner(direct, Duration.ofSeconds(60));
        provisioner.ensureActive(routes.kinesisStreams().values(), shards);
        provisioner.ensureActive(List.of(WARMUP_STREAM), 1);
    }

    /**
     * One small PutRecords per thread into the warm-up stream before the clock starts, so that
     * the SDK's first-call costs (class loading, endpoint rules, connections) are not measured.
     */
    static void warmUp(KinesisClient client, int threads) throws InterruptedException {
        List<Thread> warmups = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int n = t;
            Thread thread = new Thread(() -> client.putRecords(b -> b.streamName(WARMUP_STREAM).records(
                    PutRecordsRequestEntry.builder().partitionKey("warmup-" + n).data(SdkBytes.fromUtf8String("{}")).build())));
            warmups.add(thread);
            thread.start();
        }
        for (Thread thread : warmups) {
            thread.join();
        }
    }

    /** Sends the entries, again and again for those a response reports as failed. */
    static void putAll(KinesisClient client, String stream, List<PutRecordsRequestEntry> entries, AtomicLong sent,
            AtomicLong retried, AtomicLong requests) {
        List<PutRecordsRequestEntry> pending = entries;
        while (!pending.isEmpty()) {
            List<PutRecordsRequestEntry> batch = pending;
            PutRecordsResponse response = client.putRecords(b -> b.streamName(stream).records(batch));
            requests.incrementAndGet();
            if (response.failedRecordCount() == null || response.failedRecordCount() == 0) {
                sent.addAndGet(batch.size());
                return;
            }
            List<PutRecordsRequestEntry> failed = new ArrayList<>();
            List<PutRecordsResultEntry> results = response.records();
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).errorCode() != null) {
                    failed.add(batch.get(i));
                }
            }
            sent.addAndGet(batch.size() - failed.size());
            retried.addAndGet(failed.size());
            pending = failed;
        }
    }
}
