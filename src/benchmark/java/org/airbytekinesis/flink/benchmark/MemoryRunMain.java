package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.routing.StreamRoutes;

/**
 * One run of the memory benchmark, in a JVM of its own with the heap the benchmark gives it:
 * {@code MemoryRunMain WORK_DIR STREAMS RECORDS RECORD_BYTES HOT_SHARE THROTTLE BUFFER_MEMORY_MB LATENCY_MS}.
 * Writes the input ({@code HOT_SHARE} of the records to the first stream, the rest spread over
 * the others), runs {@code write} as the launcher runs it (local MiniCluster, default
 * parallelism) against a proxy in a JVM of its own that answers PutRecords itself after
 * {@code LATENCY_MS}, enforcing Kinesis's limits, and fails {@code THROTTLE} of the first stream's
 * entries as throttled (a kinesalite behind it for the control plane). Samples the heap, threads
 * and RSS throughout and prints one JSON line: {@code RESULT {...}}.
 */
public final class MemoryRunMain {
    private MemoryRunMain() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int streams = Integer.parseInt(args[1]);
        long records = Long.parseLong(args[2]);
        int recordBytes = Integer.parseInt(args[3]);
        double hotShare = Double.parseDouble(args[4]);
        double throttle = Double.parseDouble(args[5]);
        int bufferMemoryMb = Integer.parseInt(args[6]);
        long latencyMillis = Long.parseLong(args[7]);
        Files.createDirectories(work);
        ObjectMapper mapper = new ObjectMapper();
        List<StreamDescriptor> descriptors = InputGenerator.streams(streams);
        String hot = StreamRoutes.forCatalog(InputGenerator.catalog(streams)).kinesisStreams().get(descriptors.get(0));
        Path input = writeInput(work.resolve("input.jsonl"), descriptors, records, recordBytes, hotShare);

        ObjectNode result = mapper.createObjectNode();
        result.put("streams", streams).put("records", records).put("recordBytes", recordBytes)
                .put("hotShare", hotShare).put("throttle", throttle).put("bufferMemoryMb", bufferMemoryMb)
                .put("latencyMillis", latencyMillis)
                .put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
        Sampler sampler = new Sampler();
        sampler.start();
        long start = System.nanoTime();
        List<String> proxyOptions = throttle > 0 ? List.of("--answer-locally", "--throttle", hot, Double.toString(throttle))
                : List.of("--answer-locally");
        try (EmulatorSession emulator = EmulatorSession.start(latencyMillis, streams + 100, work, proxyOptions)) {
            ObjectNode config = emulator.config(mapper, 1, 100);
            config.put("bufferMemoryMb", bufferMemoryMb);
            Path configFile = Files.writeString(work.resolve("config.json"), mapper.writeValueAsString(config));
            Path catalog = Files.writeString(work.resolve("catalog.json"),
                    mapper.writeValueAsString(InputGenerator.catalogJson(mapper, streams)));
            try (PrintStream summary = new PrintStream(Files.newOutputStream(work.resolve("summary.txt")), true,
                    StandardCharsets.UTF_8)) {
                long provisioned = System.nanoTime();
                new WriteCommand(summary).run(WriteOptions.parse(List.of("--config", configFile.toString(), "--catalog",
                        catalog.toString(), "--input", input.toString(), "--dead-letter", work.resolve("dead-letter").toString())));
                result.put("ok", true);
                result.put("seconds", Math.round((System.nanoTime() - provisioned) / 1e7) / 100.0);
            }
            emulator.close();
            result.put("proxy", emulator.proxyStats());
        } catch (Throwable t) {
            result.put("ok", false);
            result.put("error", t.toString());
        }
        sampler.finish();
        long pid = ProcessStats.selfPid();
        result.put("totalSeconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
        result.put("peakHeapUsedMb", sampler.peakUsed.get() >> 20);
        result.put("peakHeapAfterGcMb", sampler.peakAfterGc.get() >> 20);
        result.put("peakThreads", ManagementFactory.getThreadMXBean().getPeakThreadCount());
        result.put("peakRssMb", Math.round(ProcessStats.peakRssMb(pid)));
        System.out.println("RESULT " + mapper.writeValueAsString(result));
        System.out.flush();
        System.exit(0);
    }

    /** {@code hotShare} of the records go to the first stream; the others take turns. */
    private static Path writeInput(Path file, List<StreamDescriptor> streams, long records, int recordBytes, double hotShare)
            throws Exception {
        Random random = new Random(20261202L);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            int next = 1;
            for (long seq = 0; seq < records; seq++) {
                StreamDescriptor stream;
                if (streams.size() == 1 || random.nextDouble() < hotShare) {
                    stream = streams.get(0);
                } else {
                    stream = streams.get(next);
                    next = next + 1 == streams.size() ? 1 : next + 1;
                }
                out.write(InputGenerator.record(random, stream, seq, recordBytes));
                out.write('\n');
            }
        }
        return file;
    }

    /**
     * The heap in use, every 50 ms, and the live heap: what is left right after a full collection
     * the sampler asks for every 2 s (what the job really holds, garbage aside).
     */
    private static final class Sampler extends Thread {
        final AtomicLong peakUsed = new AtomicLong();
        final AtomicLong peakAfterGc = new AtomicLong();
        private volatile boolean running = true;

        Sampler() {
            super("memory-sampler");
            setDaemon(true);
        }

        @Override
        public void run() {
            long lastCollection = System.nanoTime();
            while (running) {
                peakUsed.accumulateAndGet(heapUsed(), Math::max);
                if (System.nanoTime() - lastCollection > 2_000_000_000L) {
                    System.gc();
                    peakAfterGc.accumulateAndGet(heapUsed(), Math::max);
                    lastCollection = System.nanoTime();
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static long heapUsed() {
            long used = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    used += pool.getUsage().getUsed();
                }
            }
            return used;
        }

        void finish() {
            running = false;
        }
    }
}
