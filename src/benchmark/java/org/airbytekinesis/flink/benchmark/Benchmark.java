package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The throughput benchmark (issue 7); {@code bin/benchmark} runs it. Generates deterministic
 * Airbyte input, then measures one phase after another, each in a JVM of its own
 * ({@link PhaseMain}), so that each phase's peak RSS is its own and no phase warms up the next:
 *
 * <ul>
 *   <li>(a) CPU ceiling: one thread, Jackson readTree per line, envelope ObjectNode, bytes.
 *   <li>(b) our CPU path: the job's pipeline on a MiniCluster with discarding sinks.
 *   <li>(c) emulator ceiling: bare AWS SDK PutRecords of 500 records on 4 threads into kinesalite.
 *   <li>(d) the original connector's method: synchronous PutRecords every 100 records, one thread.
 *   <li>(e) our job end to end ({@code WriteCommand}) into kinesalite.
 * </ul>
 *
 * (c), (d) and (e) run against a fresh kinesalite each, directly (0 ms) and through a proxy that
 * adds latency to every request (20 ms by default). Everything runs for the main record size
 * (500 B) and for a large-record variant (5 KB) with as many bytes. Prints a table and, as its
 * last line, one JSON object.
 */
public final class Benchmark {
    static final String USAGE = String.join("\n",
            "usage: bin/benchmark [options]",
            "  --records N            records for the CPU phases a, b (default 200000; quick 20000)",
            "  --emulator-records N   records for the emulator phases c, e (default 100000; quick 5000)",
            "  --original-records N   records for phase d, the original's method (default 10000; quick 2000)",
            "  --size BYTES           size of a RECORD line (default 500)",
            "  --large-size BYTES     the large-record variant (default 5120; 0: none); its record counts are",
            "                         scaled to the same number of bytes",
            "  --streams N            Airbyte streams, one Kinesis stream each (default 4)",
            "  --shards N             shards per Kinesis stream (default 4)",
            "  --limit-shards N       shards of the one stream of h and i, at real shard limits (default 2)",
            "  --limit-records N      records for h and i (default 20000 per shard; quick 3000; scaled for the large size)",
            "  --latency-ms N         latency the proxy adds per request for c, d, e; they run at 0 ms and at N",
            "                         (default 20; 0: only 0 ms)",
            "  --phases LIST          phases to run, e.g. a,b or c,e (default a,b,c,d,e,f,g,h,i,j,k)",
            "  --ordering-key PTR     f and g: e keyed by this field (default /created_at: 4,500 values that repeat),",
            "                         with ordering none (f) and per_key (g)",
            "  --buffer-size N        e's bufferSize (records per PutRecords; default 100, the config's default)",
            "  --original-buffer-size N  d's bufferSize (default 100, the original destination's default)",
            "  --threads N            threads of phase c (default 4)",
            "  --batch N              records per PutRecords of phase c (default 500)",
            "  --parallelism N        parallelism of b and e (default: Flink's local default, the number of cores)",
            "  --checkpoint-interval D  e's --checkpoint-interval (default: WriteCommand's, 10s)",
            "  --state-every N        a STATE line after every N records (default 10000; 0: none)",
            "  --no-verify            do not read the records back from the emulator after c, d, e",
            "  --jfr                  record each phase with Java Flight Recorder into target/benchmark/jfr/ and write",
            "                         its hot methods and allocations next to it (<phase>.txt)",
            "  --object-reuse         experiment: b and e with Flink's object reuse on (pipeline.object-reuse)",
            "  --quick                small counts for a smoke run",
            "  --help");

    static final class Options {
        long records = -1;
        long emulatorRecords = -1;
        long originalRecords = -1;
        int size = 500;
        int largeSize = 5120;
        int streams = 4;
        int shards = 4;
        long latencyMillis = 20;
        String phases = "a,b,c,d,e,f,g,h,i,j,k";
        int limitShards = 2;
        long limitRecords = -1;
        String orderingKey = "/created_at";
        int bufferSize = 100;
        int originalBufferSize = 100;
        int threads = 4;
        int batch = 500;
        int parallelism = 0;
        String checkpointInterval;
        int stateEvery = 10_000;
        boolean verify = true;
        boolean jfr;
        boolean objectReuse;
        boolean quick;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--records": o.records = positive(args, ++i, arg); break;
                    case "--emulator-records": o.emulatorRecords = positive(args, ++i, arg); break;
                    case "--original-records": o.originalRecords = positive(args, ++i, arg); break;
                    case "--size": o.size = (int) positive(args, ++i, arg); break;
                    case "--large-size": o.largeSize = (int) number(args, ++i, arg); break;
                    case "--streams": o.streams = (int) positive(args, ++i, arg); break;
                    case "--shards": o.shards = (int) positive(args, ++i, arg); break;
                    case "--limit-shards": o.limitShards = (int) positive(args, ++i, arg); break;
                    case "--limit-records": o.limitRecords = positive(args, ++i, arg); break;
                    case "--latency-ms": o.latencyMillis = number(args, ++i, arg); break;
                    case "--phases": o.phases = value(args, ++i, arg); break;
                    case "--ordering-key": o.orderingKey = value(args, ++i, arg); break;
                    case "--buffer-size": o.bufferSize = (int) positive(args, ++i, arg); break;
                    case "--original-buffer-size": o.originalBufferSize = (int) positive(args, ++i, arg); break;
                    case "--threads": o.threads = (int) positive(args, ++i, arg); break;
                    case "--batch": o.batch = (int) positive(args, ++i, arg); break;
                    case "--parallelism": o.parallelism = (int) positive(args, ++i, arg); break;
                    case "--checkpoint-interval": o.checkpointInterval = value(args, ++i, arg); break;
                    case "--state-every": o.stateEvery = (int) number(args, ++i, arg); break;
                    case "--no-verify": o.verify = false; break;
                    case "--jfr": o.jfr = true; break;
                    case "--object-reuse": o.objectReuse = true; break;
                    case "--quick": o.quick = true; break;
                    case "--help": case "-h":
                        System.out.println(USAGE);
                        System.exit(0);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
                }
            }
            if (o.records < 0) {
                o.records = o.quick ? 20_000 : 200_000;
            }
            if (o.emulatorRecords < 0) {
                o.emulatorRecords = Math.min(o.records, o.quick ? 5_000 : 100_000);
            }
            if (o.originalRecords < 0) {
                o.originalRecords = Math.min(o.emulatorRecords, o.quick ? 2_000 : 10_000);
            }
            if (o.limitRecords < 0) {
                // About 20 s at 1,000 records/s per shard without aggregation.
                o.limitRecords = (o.quick ? 3_000L : 20_000L) * o.limitShards;
            }
            for (String phase : o.phases.split(",")) {
                if (!PHASES.contains(phase.trim())) {
                    throw new IllegalArgumentException("--phases: unknown phase " + phase + " (a, b, c, d, e, f, g, h, i)");
                }
            }
            if (o.batch > 500 || o.bufferSize > 500 || o.originalBufferSize > 500) {
                throw new IllegalArgumentException("--batch, --buffer-size, --original-buffer-size: at most 500"
                        + " (the PutRecords limit)");
            }
            if (o.streams * o.shards + 1 > 100) {
                throw new IllegalArgumentException("--streams x --shards must stay below kinesalite's shard limit of 100");
            }
            if (o.largeSize < 0 || o.latencyMillis < 0 || o.stateEvery < 0) {
                throw new IllegalArgumentException("--large-size, --latency-ms and --state-every must be >= 0");
            }
            return o;
        }

        boolean runs(String phase) {
            for (String p : phases.split(",")) {
                if (p.trim().equals(phase)) {
                    return true;
                }
            }
            return false;
        }

        List<Long> latencies() {
            return latencyMillis == 0 ? List.of(0L) : List.of(0L, latencyMillis);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
            }
            return args[i];
        }

        private static long number(String[] args, int i, String option) {
            try {
                return Long.parseLong(value(args, i, option).replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a number, got " + args[i]);
            }
        }

        private static long positive(String[] args, int i, String option) {
            long n = number(args, i, option);
            if (n <= 0) {
                throw new IllegalArgumentException(option + " must be > 0, got " + n);
            }
            return n;
        }
    }

    /** One record size with its record counts per kind of phase. */
    static final class Variant {
        final String name;
        final int size;
        final long records;
        final long emulatorRecords;
        final long originalRecords;
        final long limitRecords;
        final Map<String, Path> inputs = new LinkedHashMap<>();

        Variant(String name, int size, long records, long emulatorRecords, long originalRecords, long limitRecords) {
            this.name = name;
            this.size = size;
            this.records = records;
            this.emulatorRecords = emulatorRecords;
            this.originalRecords = originalRecords;
            this.limitRecords = limitRecords;
        }

        long recordsFor(String phase) {
            switch (phase) {
                case "a": case "b": return records;
                case "d": return originalRecords;
                case "h": case "i": return limitRecords;
                case "j": case "k": return emulatorRecords;
                default: return emulatorRecords;
            }
        }
    }

    /** Every phase, in the order they run. */
    private static final List<String> PHASES = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k");
    /** The phases against the shard limits, into one stream. */
    private static final String LIMIT_PHASES = "hi";
    /** One stream at parallelism 1 and 2 against an endpoint that stores nothing. */
    private static final String SCALE_OUT_PHASES = "jk";

    private final Options options;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Path root = Path.of("").toAbsolutePath();
    private final Path work = root.resolve("target").resolve("benchmark");
    private final Map<String, PhaseResult> results = new LinkedHashMap<>();
    private int failures;

    private Benchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("benchmark: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new Benchmark(options).run());
    }

    private int run() throws Exception {
        Files.createDirectories(work);
        prepareReporter();
        List<Variant> variants = variants();
        System.err.printf(Locale.ROOT, "benchmark: %d cores, load average %s, Java %s; phases %s; latency 0%s ms%n",
                Runtime.getRuntime().availableProcessors(), ProcessStats.loadAverage(), System.getProperty("java.version"),
                options.phases, options.latencyMillis > 0 ? " and " + options.latencyMillis : "");
        for (Variant variant : variants) {
            generateInputs(variant);
        }
        int total = 0;
        for (Variant variant : variants) {
            total += plan(variant).size();
        }
        int n = 0;
        for (Variant variant : variants) {
            for (String[] step : plan(variant)) {
                n++;
                String phase = step[0];
                long latency = Long.parseLong(step[1]);
                runPhase(variant, phase, latency, n, total);
            }
        }
        report(variants);
        deleteTree(work.resolve("tmp"));
        return failures == 0 ? 0 : 1;
    }

    private List<Variant> variants() {
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant(options.size + " B", options.size, options.records, options.emulatorRecords,
                options.originalRecords, options.limitRecords));
        if (options.largeSize > 0 && options.largeSize != options.size) {
            double scale = (double) options.size / options.largeSize;
            variants.add(new Variant(options.largeSize >= 1024 && options.largeSize % 1024 == 0
                            ? options.largeSize / 1024 + " KB" : options.largeSize + " B", options.largeSize,
                    // Enough records for a steady window even in quick runs.
                    Math.max(Math.min(options.records, 1_000), Math.round(options.records * scale)),
                    Math.max(Math.min(options.emulatorRecords, 1_000), Math.round(options.emulatorRecords * scale)),
                    Math.max(Math.min(options.originalRecords, 500), Math.round(options.originalRecords * scale)),
                    // The shard limits are in bytes for large records: about 200 records/s per shard.
                    Math.max(1_000, Math.round(options.limitRecords * Math.min(1.0, 5.0 * scale)))));
        }
        return variants;
    }

    /** The phases in order, each (phase, latency); latency -1 for the phases without an emulator. */
    private List<String[]> plan(Variant variant) {
        List<String[]> steps = new ArrayList<>();
        for (String phase : PHASES) {
            if (!options.runs(phase)) {
                continue;
            }
            if ("ab".contains(phase)) {
                steps.add(new String[] {phase, "-1"});
            } else if (LIMIT_PHASES.contains(phase) || SCALE_OUT_PHASES.contains(phase)) {
                steps.add(new String[] {phase, "0"}); // the limits or the client, not latency, bound these
            } else {
                for (long latency : options.latencies()) {
                    steps.add(new String[] {phase, Long.toString(latency)});
                }
            }
        }
        return steps;
    }

    private void generateInputs(Variant variant) throws IOException {
        Path dir = work.resolve("input");
        for (String phase : PHASES) {
            if (!options.runs(phase)) {
                continue;
            }
            long records = variant.recordsFor(phase);
            long started = System.nanoTime();
            boolean existed = Files.exists(dir.resolve(fileName(records, variant.size)));
            Path file = LIMIT_PHASES.contains(phase) ? limitInput(dir, records, variant.size)
                    : InputGenerator.ensure(dir, mapper, records, variant.size,
                            SCALE_OUT_PHASES.contains(phase) ? 1 : options.streams, options.stateEvery);
            if (!existed) {
                System.err.printf(Locale.ROOT, "benchmark: generated %s (%,d records, %.1f MB) in %.1f s%n",
                        root.relativize(file), records, Files.size(file) / 1e6, (System.nanoTime() - started) / 1e9);
            }
            variant.inputs.put(phase, file);
        }
    }

    /**
     * The input of h and i: one stream, and lines sized so that the envelopes, which are the
     * Kinesis records the shard limits and PUT payload units count, average {@code size} bytes
     * (a line's envelope is some 75 B longer: id, timestamp, escapes). Measured, not assumed: a
     * first file at {@code size} gives the difference, a second one takes it off.
     */
    private Path limitInput(Path dir, long records, int size) throws IOException {
        Path probe = InputGenerator.ensure(dir, mapper, records, size, 1, options.stateEvery);
        InputGenerator.Stats stats = InputGenerator.stats(probe, mapper);
        int lineSize = (int) Math.round(size - (stats.avgEnvelopeBytes - stats.avgLineBytes));
        return InputGenerator.ensure(dir, mapper, records, lineSize, 1, options.stateEvery);
    }

    private String fileName(long records, int size) {
        return "input-v" + InputGenerator.VERSION + "-" + records + "x" + size + "B-" + options.streams + "s-state"
                + options.stateEvery + ".jsonl";
    }

    /** The reporter's config.yaml with the parallelism of a scale-out phase. */
    private Path scaleOutConf(Path dir, int parallelism) throws IOException {
        Path conf = dir.resolve("flink-conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("config.yaml"), Files.readString(work.resolve("flink-conf").resolve("config.yaml"))
                .replaceAll("(?m)^parallelism\\.default:.*\n", "") + "parallelism.default: " + parallelism + "\n");
        return conf;
    }

    /**
     * Flink loads metric reporter factories through the ServiceLoader only: a services file for
     * {@link SinkProgressReporter} goes on the phase JVMs' classpath, and a config.yaml that
     * names it into their {@code FLINK_CONF_DIR}, which the job's local runs read.
     */
    private void prepareReporter() throws IOException {
        Path services = work.resolve("services/META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve("org.apache.flink.metrics.reporter.MetricReporterFactory"),
                SinkProgressReporter.Factory.class.getName() + "\n");
        Path conf = work.resolve("flink-conf");
        Files.createDirectories(conf);
        StringBuilder yaml = new StringBuilder("# Written by the benchmark for its phase JVMs.\n")
                .append("metrics.reporter.").append(SinkProgressReporter.NAME).append(".factory.class: ")
                .append(SinkProgressReporter.Factory.class.getName()).append('\n');
        if (options.parallelism > 0) {
            yaml.append("parallelism.default: ").append(options.parallelism).append('\n');
        }
        if (options.objectReuse) {
            yaml.append("pipeline.object-reuse: true\n");
        }
        Files.writeString(conf.resolve("config.yaml"), yaml.toString());
    }

    private void runPhase(Variant variant, String phase, long latency, int n, int total) throws Exception {
        Path input = variant.inputs.get(phase);
        InputGenerator.Stats stats = InputGenerator.stats(input, mapper);
        String tag = variant.size + "B-" + phase + (latency >= 0 ? "-" + latency + "ms" : "");
        Path dir = work.resolve("runs").resolve(tag);
        deleteTree(dir);
        Files.createDirectories(dir);
        ObjectNode spec = mapper.createObjectNode();
        spec.put("phase", phase);
        spec.put("variant", variant.name);
        spec.put("latencyMs", latency);
        spec.put("input", input.toString());
        spec.put("records", stats.records);
        spec.put("avgEnvelopeBytes", stats.avgEnvelopeBytes);
        spec.put("streams", options.streams);
        spec.put("shards", options.shards);
        spec.put("bufferSize", "d".equals(phase) ? options.originalBufferSize : options.bufferSize);
        spec.put("threads", options.threads);
        spec.put("batch", options.batch);
        spec.put("parallelism", options.parallelism);
        if (options.checkpointInterval != null) {
            spec.put("checkpointInterval", options.checkpointInterval);
        } else {
            spec.putNull("checkpointInterval");
        }
        spec.put("verify", options.verify);
        spec.put("objectReuse", options.objectReuse);
        if ("fg".contains(phase)) {
            spec.put("partitionKey", options.orderingKey);
            spec.put("ordering", "f".equals(phase) ? "none" : "per_key");
        }
        spec.put("limitShards", options.limitShards);
        spec.put("aggregation", "i".equals(phase) ? "kpl" : "none");
        spec.put("workDir", dir.toString());
        Path resultFile = dir.resolve("result.json");
        spec.put("resultFile", resultFile.toString());
        Path specFile = dir.resolve("spec.json");
        Files.writeString(specFile, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(spec));

        String label = String.format(Locale.ROOT, "[%d/%d] %s %s%s", n, total, variant.name, label(phase),
                latency >= 0 ? " @ " + latency + " ms" : "");
        System.err.printf(Locale.ROOT, "benchmark: %s, %,d records ...%n", label, stats.records);
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(childCommand(tag, specFile))
                .directory(root.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        // The job's local runs read config.yaml from here: the progress reporter (see prepareReporter).
        builder.environment().put("FLINK_CONF_DIR", SCALE_OUT_PHASES.contains(phase)
                ? scaleOutConf(dir, "j".equals(phase) ? 1 : 2).toString()
                : work.resolve("flink-conf").toString());
        Process process = builder.start();
        process.getOutputStream().close();
        boolean finished = process.waitFor(30, TimeUnit.MINUTES);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        PhaseResult result;
        if (Files.exists(resultFile)) {
            result = PhaseResult.fromJson(mapper.readTree(resultFile.toFile()));
        } else {
            result = new PhaseResult();
            result.phase = phase;
            result.variant = variant.name;
            result.latencyMillis = latency;
            result.records = stats.records;
            result.error = finished ? "the phase JVM exited with " + process.exitValue() + " and no result"
                    : "timed out after 30 min";
        }
        if (result.error == null && result.verifiedRecords >= 0 && result.verifiedRecords < result.records) {
            result.error = "only " + result.verifiedRecords + " of " + result.records + " records read back from the emulator";
        }
        if (result.error != null) {
            failures++;
            System.err.printf(Locale.ROOT, "benchmark: %s FAILED: %s (see %s)%n", label, result.error,
                    root.relativize(dir.resolve("stderr.txt")));
            printTail(dir.resolve("stderr.txt"), 15);
        } else {
            System.err.printf(Locale.ROOT, "benchmark: %s: %s rec/s (steady %s rec/s), peak RSS %s MiB, %.1f s%n",
                    label, rate(result.rate()), rate(result.steadyRate), mb(result.peakRssMb),
                    (System.nanoTime() - started) / 1e9);
        }
        results.put(key(variant, phase, latency), result);
        Path jfr = work.resolve("jfr").resolve(tag + ".jfr");
        if (options.jfr && Files.exists(jfr)) {
            Path summary = work.resolve("jfr").resolve(tag + ".txt");
            try (java.io.PrintStream out = new java.io.PrintStream(Files.newOutputStream(summary), true,
                    java.nio.charset.StandardCharsets.UTF_8)) {
                JfrSummary.write(jfr, out);
                System.err.printf(Locale.ROOT, "benchmark: hot methods and allocations: %s%n", root.relativize(summary));
            } catch (IOException | RuntimeException e) {
                System.err.printf(Locale.ROOT, "benchmark: cannot summarise %s: %s%n", jfr, e);
            }
        }
    }

    private List<String> childCommand(String tag, Path specFile) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Dairbyte.kinesis.log.file=") || arg.startsWith("-XX:StartFlightRecording")
                    || arg.startsWith("-agentlib:") || arg.startsWith("-Djava.io.tmpdir=")) {
                continue;
            }
            command.add(arg);
        }
        command.add("-Dairbyte.kinesis.log.file=" + root.resolve("target/logs/benchmark-" + tag + ".log"));
        Path tmp = work.resolve("tmp").resolve(tag);
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        command.add("-Djava.io.tmpdir=" + tmp);
        if (options.jfr) {
            Path jfr = work.resolve("jfr");
            try {
                Files.createDirectories(jfr);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            // $BENCHMARK_JFR_SETTINGS: a .jfc of one's own, e.g. profile's with 1 ms method sampling.
            String settings = System.getenv().getOrDefault("BENCHMARK_JFR_SETTINGS", "profile");
            command.add("-XX:StartFlightRecording=settings=" + settings + ",dumponexit=true,filename="
                    + jfr.resolve(tag + ".jfr"));
        }
        command.add("-cp");
        command.add(work.resolve("services") + File.pathSeparator + System.getProperty("java.class.path"));
        command.add(PhaseMain.class.getName());
        command.add(specFile.toString());
        return command;
    }

    // ---- the report -----------------------------------------------------------------------

    private static String label(String phase) {
        switch (phase) {
            case "a": return "a CPU ceiling (Jackson loop, 1 thread)";
            case "b": return "b our CPU path (MiniCluster, discard sinks)";
            case "c": return "c emulator ceiling (SDK, 4 thr x 500/call)";
            case "d": return "d original method (sync, 1 thread)";
            case "e": return "e our job end to end (WriteCommand)";
            case "f": return "f e keyed by a field, ordering none";
            case "g": return "g e keyed by a field, ordering per_key";
            case "h": return "h e at real shard limits, no aggregation";
            case "i": return "i e at real shard limits, aggregation kpl";
            case "j": return "j 1 stream, parallelism 1, answering endpoint";
            case "k": return "k 1 stream, parallelism 2, answering endpoint";
            default: return phase;
        }
    }

    private static String key(Variant variant, String phase, long latency) {
        return variant.size + "/" + phase + (latency >= 0 ? "@" + latency : "");
    }

    private PhaseResult result(Variant variant, String phase, long latency) {
        PhaseResult result = results.get(key(variant, phase, latency));
        return result == null || result.error != null ? null : result;
    }

    private void report(List<Variant> variants) {
        StringBuilder out = new StringBuilder();
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-46s %7s %9s %9s %13s %7s %8s %8s %8s %8s %9s  %s%n", "phase", "latency",
                "records", "rec/s", "steady rec/s ", "MiB/s", "JVM cpu", "JVM RSS", "emu cpu", "emu RSS", "read back",
                "notes"));
        out.append(String.format(Locale.ROOT, "%-46s %7s %9s %9s %13s %7s %8s %8s %8s %8s %9s%n", "", "", "", "(total)",
                "(10-90%) ", "(steady)", "(s)", "(MiB)", "(s)", "(MiB)", ""));
        for (Variant variant : variants) {
            out.append(String.format(Locale.ROOT, "-- %s records (mean line %s B, envelope %s B)%n", variant.name,
                    Math.round(meanOf(variant, "avgLineBytes")), Math.round(meanOf(variant, "avgEnvelopeBytes"))));
            for (String[] step : plan(variant)) {
                long latency = Long.parseLong(step[1]);
                PhaseResult r = results.get(key(variant, step[0], latency));
                if (r == null) {
                    continue;
                }
                String notes = r.error != null ? "FAILED: " + r.error : String.join("; ", r.notes);
                if (r.proxyStats != null) {
                    notes += "; proxy " + r.proxyStats.replaceAll("KinesisFaultProxy\\{[^,]*, ", "{");
                }
                out.append(String.format(Locale.ROOT, "%-46s %7s %,9d %9s %13s %7s %8s %8s %8s %8s %9s  %s%n",
                        label(step[0]), latency >= 0 ? latency + " ms" : "-", r.records, rate(r.rate()),
                        rate(r.steadyRate) + (r.steadySeconds < 1 ? "*" : " "),
                        mibPerSecond(r.steadyRate, r.avgEnvelopeBytes), seconds(r.cpuSeconds),
                        mb(r.peakRssMb), latency >= 0 ? seconds(r.emulatorCpuSeconds) : "-",
                        latency >= 0 ? mb(r.emulatorPeakRssMb) : "-",
                        r.verifiedRecords >= 0 ? String.format(Locale.ROOT, "%,d", r.verifiedRecords) : "-", notes));
            }
        }
        out.append('\n');
        out.append("* the 10-90% window was shorter than 1 s (few requests or batches): take that steady rate with salt.\n");
        out.append("rec/s (total): records / the phase's own time (the loop; a job's net runtime, which includes task"
                + " start-up and, for e, the final flush and checkpoint).\n");
        out.append("steady: between 10% and 90% of the records done (a, c, d: sent/enveloped by the loop; b: reached the"
                + " discarding sinks; e: put into PutRecords requests by the sinks). MiB/s = steady rec/s x mean envelope.\n");
        out.append("JVM cpu / emu cpu: CPU seconds of the phase's JVM / of kinesalite (node, one thread) during the"
                + " measurement; emu cpu near the phase's time means the emulator was the bottleneck.\n");
        out.append("JVM RSS: VmHWM of the phase's own JVM (one JVM per phase) at the end of its measurement. emu RSS:"
                + " VmHWM of that measurement's kinesalite (node). The latency proxy runs in a JVM of its own, not counted.\n");
        ObjectNode json = mapper.createObjectNode();
        boolean first = true;
        for (Variant variant : variants) {
            ObjectNode summary = summary(variant);
            out.append(String.format(Locale.ROOT, "%s: cpu_ratio b/a = %s, sink_ratio e/c at 0 ms = %s, vs_original e/d at %d ms = %s"
                            + " (steady rates; from total rates: %s, %s, %s)%n", variant.name,
                    text(summary.get("cpu_ratio")), text(summary.get("sink_ratio")), options.latencyMillis,
                    text(summary.get("vs_original")), text(summary.get("cpu_ratio_total")),
                    text(summary.get("sink_ratio_total")), text(summary.get("vs_original_total"))));
            out.append(String.format(Locale.ROOT, "%s: at real shard limits (%d shards): %s user rec/s per shard without"
                            + " aggregation, %s with kpl (aggregation_gain %s); PUT payload units per 1,000 records %s vs %s"
                            + " (payload_units_ratio %s); bandwidth share %s vs %s; lost %s / %s%n", variant.name,
                    options.limitShards, text(summary.get("shard_rate_none")), text(summary.get("shard_rate_kpl")),
                    text(summary.get("aggregation_gain")), text(summary.get("payload_units_per_1000_none")),
                    text(summary.get("payload_units_per_1000_kpl")), text(summary.get("payload_units_ratio")),
                    text(summary.get("bandwidth_share_none")), text(summary.get("bandwidth_share_kpl")),
                    text(summary.get("records_lost_none")), text(summary.get("records_lost_kpl"))));
            out.append(String.format(Locale.ROOT, "%s: one stream, parallelism 2 over 1 (k/j, answering endpoint):"
                            + " scale_out_ratio %s; records per sink subtask at 2: %s (largest deviation from the mean %s)%n",
                    variant.name, text(summary.get("scale_out_ratio")), summary.get("scale_out_records_per_sink_subtask"),
                    text(summary.get("scale_out_max_deviation"))));
            out.append(String.format(Locale.ROOT, "%s: ordering per_key g/f = %s at 0 ms, %s at %d ms (steady rates, same keys %s)%n",
                    variant.name, text(summary.get("ordering_ratio_0ms")),
                    text(summary.get("ordering_ratio_" + options.latencyMillis + "ms")), options.latencyMillis,
                    options.orderingKey));
            if (first) {
                json.setAll(summary);
                first = false;
            } else {
                json.set("large", summary);
            }
        }
        json.put("rates", "steady (10-90%) records/s; *_total from records / whole phase time");
        json.put("rss_scope", "per phase: VmHWM of each phase's own JVM; peak_rss_mb is the largest of the main variant's phases");
        json.put("latency_ms", options.latencyMillis);
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("load_average_at_end", ProcessStats.loadAverage());
        json.put("failures", failures);
        System.out.print(out);
        try {
            System.out.println(mapper.writeValueAsString(json));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.flush();
    }

    private double meanOf(Variant variant, String field) {
        try {
            Path input = variant.inputs.values().iterator().next();
            return mapper.readTree(input.resolveSibling(input.getFileName().toString().replaceFirst("\\.jsonl$", ".stats.json")).toFile())
                    .path(field).asDouble();
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private ObjectNode summary(Variant variant) {
        ObjectNode json = mapper.createObjectNode();
        long latency = options.latencyMillis;
        PhaseResult a = result(variant, "a", -1);
        PhaseResult b = result(variant, "b", -1);
        PhaseResult c0 = result(variant, "c", 0);
        PhaseResult d = result(variant, "d", latency);
        PhaseResult e0 = result(variant, "e", 0);
        PhaseResult e = result(variant, "e", latency);
        PhaseResult f0 = result(variant, "f", 0);
        PhaseResult f = result(variant, "f", latency);
        PhaseResult g0 = result(variant, "g", 0);
        PhaseResult g = result(variant, "g", latency);
        PhaseResult h = result(variant, "h", 0);
        PhaseResult i = result(variant, "i", 0);
        PhaseResult j = result(variant, "j", 0);
        PhaseResult k = result(variant, "k", 0);
        json.put("records", variant.records);
        json.put("emulator_records", variant.emulatorRecords);
        json.put("original_records", variant.originalRecords);
        json.put("size", variant.size);
        json.put("streams", options.streams);
        json.put("shards", options.shards);
        putRatio(json, "cpu_ratio", b == null ? Double.NaN : b.steadyRate, a == null ? Double.NaN : a.steadyRate);
        putRatio(json, "sink_ratio", e0 == null ? Double.NaN : e0.steadyRate, c0 == null ? Double.NaN : c0.steadyRate);
        putRatio(json, "vs_original", e == null ? Double.NaN : e.steadyRate, d == null ? Double.NaN : d.steadyRate);
        // What ordering: per_key costs: its steady rate over that of the same keys without it.
        putRatio(json, "ordering_ratio_0ms", g0 == null ? Double.NaN : g0.steadyRate, f0 == null ? Double.NaN : f0.steadyRate);
        putRatio(json, "ordering_ratio_" + latency + "ms", g == null ? Double.NaN : g.steadyRate,
                f == null ? Double.NaN : f.steadyRate);
        // Against the real shard limits (h, i): per-shard rates, bandwidth share, PUT payload units.
        json.put("limit_shards", options.limitShards);
        json.put("limit_records", variant.limitRecords);
        putLimit(json, "none", h);
        putLimit(json, "kpl", i);
        putRatio(json, "aggregation_gain", limitFigure(i, "userRecordsPerShardPerSecond"),
                limitFigure(h, "userRecordsPerShardPerSecond"));
        putRatio(json, "payload_units_ratio", limitFigure(h, "payloadUnitsPer1000"), limitFigure(i, "payloadUnitsPer1000"));
        // Issue 15: one stream written at parallelism 2 against 1, where the client is the limit.
        putRatio(json, "scale_out_ratio", k == null ? Double.NaN : k.steadyRate, j == null ? Double.NaN : j.steadyRate);
        if (k != null && k.extra != null) {
            json.set("scale_out_records_per_sink_subtask", k.extra.get("recordsPerSinkSubtask"));
            json.set("scale_out_max_deviation", k.extra.get("maxDeviationFromMean"));
        }
        // Issue 13's names: the job's whole run against the SDK loop's at 0 ms (start-up and the end
        // included), and what the proxy's latency costs the job's steady rate.
        putRatio(json, "whole_run_ratio", e0 == null ? Double.NaN : e0.rate(), c0 == null ? Double.NaN : c0.rate());
        putRatio(json, "latency_ratio", e == null ? Double.NaN : e.steadyRate, e0 == null ? Double.NaN : e0.steadyRate);
        putRatio(json, "cpu_ratio_total", b == null ? Double.NaN : b.rate(), a == null ? Double.NaN : a.rate());
        putRatio(json, "sink_ratio_total", e0 == null ? Double.NaN : e0.rate(), c0 == null ? Double.NaN : c0.rate());
        putRatio(json, "vs_original_total", e == null ? Double.NaN : e.rate(), d == null ? Double.NaN : d.rate());
        double peak = -1;
        ObjectNode phases = mapper.createObjectNode();
        for (String[] step : plan(variant)) {
            long l = Long.parseLong(step[1]);
            PhaseResult r = results.get(key(variant, step[0], l));
            if (r == null) {
                continue;
            }
            peak = Math.max(peak, r.peakRssMb);
            ObjectNode p = phases.putObject(step[0] + (l >= 0 ? "@" + l + "ms" : ""));
            p.put("records", r.records);
            PhaseResult.putNumber(p, "rate", round(r.rate()));
            PhaseResult.putNumber(p, "steady_rate", round(r.steadyRate));
            PhaseResult.putNumber(p, "steady_mib_s", r.steadyRate * r.avgEnvelopeBytes / (1024 * 1024));
            PhaseResult.putNumber(p, "seconds", r.seconds);
            PhaseResult.putNumber(p, "cpu_s", r.cpuSeconds);
            PhaseResult.putNumber(p, "steady_cpu_us", round1(r.steadyCpuMicros));
            PhaseResult.putNumber(p, "peak_rss_mb", round(r.peakRssMb));
            if (l >= 0) {
                PhaseResult.putNumber(p, "emulator_cpu_s", r.emulatorCpuSeconds);
                PhaseResult.putNumber(p, "emulator_steady_cpu_us", round1(r.steadyEmulatorCpuMicros));
                PhaseResult.putNumber(p, "emulator_peak_rss_mb", round(r.emulatorPeakRssMb));
                p.put("read_back", r.verifiedRecords);
            }
            if (r.error != null) {
                p.put("error", r.error);
            }
        }
        PhaseResult.putNumber(json, "peak_rss_mb", round(peak));
        json.set("phases", phases);
        return json;
    }

    private static double limitFigure(PhaseResult r, String field) {
        return r == null || r.extra == null || !r.extra.has(field) ? Double.NaN : r.extra.get(field).asDouble();
    }

    private static void putLimit(ObjectNode json, String aggregation, PhaseResult r) {
        PhaseResult.putNumber(json, "shard_rate_" + aggregation, round(limitFigure(r, "userRecordsPerShardPerSecond")));
        PhaseResult.putNumber(json, "bandwidth_share_" + aggregation,
                Math.round(limitFigure(r, "bandwidthShare") * 1000) / 1000.0);
        PhaseResult.putNumber(json, "payload_units_per_1000_" + aggregation,
                Math.round(limitFigure(r, "payloadUnitsPer1000") * 10) / 10.0);
        PhaseResult.putNumber(json, "records_lost_" + aggregation, limitFigure(r, "userRecordsLost"));
    }

    /** Whole numbers; NaN and the -1 of "not measured" stay as they are. */
    private static double round(double value) {
        return Double.isNaN(value) || value < 0 ? value : Math.round(value);
    }

    private static double round1(double value) {
        return Double.isNaN(value) ? value : Math.round(value * 10) / 10.0;
    }

    private static void putRatio(ObjectNode json, String key, double numerator, double denominator) {
        PhaseResult.putNumber(json, key, denominator > 0 ? numerator / denominator : Double.NaN);
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode node) {
        return node == null || node.isNull() ? "n/a" : String.format(Locale.ROOT, "%.2f", node.asDouble());
    }

    private static String rate(double rate) {
        return Double.isNaN(rate) ? "-" : String.format(Locale.ROOT, "%,d", Math.round(rate));
    }

    private static String mibPerSecond(double rate, double envelopeBytes) {
        return Double.isNaN(rate) ? "-" : String.format(Locale.ROOT, "%.1f", rate * envelopeBytes / (1024 * 1024));
    }

    private static String mb(double mb) {
        return mb < 0 ? "-" : Long.toString(Math.round(mb));
    }

    private static String seconds(double s) {
        return Double.isNaN(s) ? "-" : String.format(Locale.ROOT, "%.1f", s);
    }

    private static void printTail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
                System.err.println("    " + line);
            }
        } catch (IOException e) {
            // nothing to show
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
