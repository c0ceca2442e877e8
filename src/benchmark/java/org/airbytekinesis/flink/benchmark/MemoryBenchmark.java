package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The memory benchmark ({@code bin/benchmark memory [--quick] [--records N] [--heap 1g]}): runs
 * {@code write} in a JVM of its own per scenario ({@link MemoryRunMain}), with a fixed heap, and
 * reports peak heap, heap after collections, threads and RSS:
 *
 * <ul>
 *   <li>500 streams of 100 KB records, half of them to one stream that Kinesis throttles (half of
 *       its entries refused each time), with N and 2N records: the job must not run out of a
 *       1 GiB heap, and its live heap (after a full collection) must not grow with the input
 *       (N is 6,000 by default: by then every writer has had requests in flight at once, which
 *       is what the live heap's ceiling is made of);
 *   <li>the same with Kinesis slow instead (every PutRecords answered after 100 ms): requests
 *       pile up in flight;
 *   <li>both at 2N with the byte budget off ({@code bufferMemoryMb} huge), for comparison: the
 *       connector's own bounds are 10,000 entries per writer, however large, and 50 requests in
 *       flight;
 *   <li>200 and 500 streams of small records: threads and RSS.
 * </ul>
 *
 * Prints a table and, last, one JSON line.
 */
public final class MemoryBenchmark {
    private MemoryBenchmark() {}

    /** A budget no run reaches: the connector's own bounds only. */
    private static final int NO_BUDGET_MB = 1_048_576;
    /** How long the slow Kinesis takes to answer each PutRecords. */
    private static final long SLOW_MILLIS = 100;

    private static final class Scenario {
        final String name;
        final int streams;
        final long records;
        final int recordBytes;
        final double hotShare;
        final double throttle;
        final int bufferMemoryMb;
        final long latencyMillis;

        Scenario(String name, int streams, long records, int recordBytes, double hotShare, double throttle, int bufferMemoryMb,
                long latencyMillis) {
            this.name = name;
            this.streams = streams;
            this.records = records;
            this.recordBytes = recordBytes;
            this.hotShare = hotShare;
            this.throttle = throttle;
            this.bufferMemoryMb = bufferMemoryMb;
            this.latencyMillis = latencyMillis;
        }
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        long records = 6_000;
        String heap = "1g";
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick": quick = true; break;
                case "--records": records = Long.parseLong(args[++i]); break;
                case "--heap": heap = args[++i]; break;
                case "--only": only = args[++i]; break;
                default:
                    System.err.println("usage: bin/benchmark memory [--quick] [--records N] [--heap 1g] [--only TEXT]");
                    System.exit(2);
            }
        }
        if (quick) {
            records = Math.min(records, 600);
        }
        int small = quick ? 5_000 : 20_000;
        List<Scenario> all = List.of(
                new Scenario("500 streams, 100 KB, one throttled, N", 500, records, 100_000, 0.5, 0.5, 256, 0),
                new Scenario("500 streams, 100 KB, one throttled, 2N", 500, 2 * records, 100_000, 0.5, 0.5, 256, 0),
                new Scenario("same, 2N, no byte budget", 500, 2 * records, 100_000, 0.5, 0.5, NO_BUDGET_MB, 0),
                new Scenario("500 streams, 100 KB, slow Kinesis, N", 500, records, 100_000, 0.5, 0.0, 256, SLOW_MILLIS),
                new Scenario("500 streams, 100 KB, slow Kinesis, 2N", 500, 2 * records, 100_000, 0.5, 0.0, 256, SLOW_MILLIS),
                new Scenario("same, 2N, no byte budget", 500, 2 * records, 100_000, 0.5, 0.0, NO_BUDGET_MB, SLOW_MILLIS),
                new Scenario("200 streams, 500 B", 200, small, 500, 0.0, 0.0, 256, 0),
                new Scenario("500 streams, 500 B", 500, small, 500, 0.0, 0.0, 256, 0));
        // --only TEXT: the scenarios whose name holds it, e.g. "500 B" for the two catalogs of small records.
        String wanted = only;
        List<Scenario> scenarios = wanted == null ? all
                : all.stream().filter(s -> s.name.contains(wanted)).collect(java.util.stream.Collectors.toList());

        ObjectMapper mapper = new ObjectMapper();
        Path root = Path.of("target", "benchmark", "memory").toAbsolutePath();
        Files.createDirectories(root);
        System.out.println(String.format(Locale.ROOT, "memory benchmark: heap %s per run JVM, load average %s",
                heap, ProcessStats.loadAverage()));
        ArrayNode results = mapper.createArrayNode();
        for (int n = 0; n < scenarios.size(); n++) {
            Scenario scenario = scenarios.get(n);
            System.out.println(String.format(Locale.ROOT, "[%d/%d] %s: %,d records ...", n + 1, scenarios.size(),
                    scenario.name, scenario.records));
            ObjectNode result = run(mapper, root.resolve("run-" + (n + 1)), heap, scenario);
            result.put("scenario", scenario.name);
            results.add(result);
        }
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "%-40s %9s %8s %8s %10s %8s %8s %7s",
                "scenario", "records", "result", "seconds", "heap peak", "live", "threads", "RSS"));
        for (JsonNode result : results) {
            System.out.println(String.format(Locale.ROOT, "%-40s %,9d %8s %8.1f %7d MiB %4d MiB %8d %4d MiB",
                    result.path("scenario").asText(), result.path("records").asLong(),
                    result.path("ok").asBoolean() ? "ok" : "FAILED", result.path("seconds").asDouble(Double.NaN),
                    result.path("peakHeapUsedMb").asLong(), result.path("peakHeapAfterGcMb").asLong(),
                    result.path("peakThreads").asLong(), result.path("peakRssMb").asLong()));
            if (!result.path("ok").asBoolean()) {
                System.out.println("    " + result.path("error").asText());
            }
        }
        ObjectNode summary = mapper.createObjectNode();
        summary.put("heap", heap);
        summary.set("runs", results);
        System.out.println(mapper.writeValueAsString(summary));
    }

    private static ObjectNode run(ObjectMapper mapper, Path work, String heap, Scenario scenario) throws Exception {
        Files.createDirectories(work);
        Path log = work.resolve("run.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Path.of("flink-conf", "java17-module-opens.args").toAbsolutePath(),
                "-Daws.cborEnabled=false",
                "-Xmx" + heap, "-Xms" + heap,
                "-XX:+ExitOnOutOfMemoryError",
                "-Dlog4j2.configurationFile=" + System.getProperty("log4j2.configurationFile", ""),
                "-Dairbyte.kinesis.log.file=" + work.resolve("job.log"),
                "-cp", System.getProperty("java.class.path"),
                MemoryRunMain.class.getName(), work.toString(), Integer.toString(scenario.streams),
                Long.toString(scenario.records), Integer.toString(scenario.recordBytes), Double.toString(scenario.hotShare),
                Double.toString(scenario.throttle), Integer.toString(scenario.bufferMemoryMb),
                Long.toString(scenario.latencyMillis)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // A run that dies of an OutOfMemoryError cannot stop its emulator and proxy: they are
        // noted while it lives, and stopped after it.
        Set<ProcessHandle> children = ConcurrentHashMap.newKeySet();
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
        watcher.scheduleWithFixedDelay(() -> process.descendants().forEach(children::add), 0, 500, TimeUnit.MILLISECONDS);
        String resultLine = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                java.io.Writer logFile = Files.newBufferedWriter(log)) {
            String line;
            while ((line = out.readLine()) != null) {
                logFile.write(line + "\n");
                if (line.startsWith("RESULT ")) {
                    resultLine = line.substring("RESULT ".length());
                }
            }
        }
        int exit = process.waitFor();
        watcher.shutdownNow();
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        if (resultLine != null) {
            return (ObjectNode) mapper.readTree(resultLine);
        }
        ObjectNode failed = mapper.createObjectNode();
        failed.put("records", scenario.records);
        failed.put("ok", false);
        failed.put("error", (exit == 3 ? "OutOfMemoryError (the JVM exited on it)" : "exit code " + exit) + "; see " + log);
        return failed;
    }
}
