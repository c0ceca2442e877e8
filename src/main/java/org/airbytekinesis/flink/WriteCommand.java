package org.airbytekinesis.flink;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.config.Aggregation;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.Ordering;
import org.airbytekinesis.flink.config.Secrets;
import org.airbytekinesis.flink.config.StreamCreationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.metrics.ProgressPrinter;
import org.airbytekinesis.flink.metrics.RunSummary;
import org.airbytekinesis.flink.metrics.RunSummaryReporter;
import org.airbytekinesis.flink.routing.WriterBuckets;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.OverwriteStreams;
import org.airbytekinesis.flink.sink.SharedEventLoop;
import org.airbytekinesis.flink.sink.SinkMemory;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.source.SocketLineSource;
import org.airbytekinesis.flink.source.SyncStartSource;
import org.airbytekinesis.flink.state.ConsoleStateOutput;
import org.airbytekinesis.flink.state.StateOutTarget;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSource;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@code write}: reads Airbyte messages (files, a socket, or standard input) and writes every
 * record into its Kinesis stream, printing each STATE on standard output once the records before
 * it are in Kinesis. It takes a {@link WritePlan} (from the command line or the property groups
 * of Amazon Managed Service for Apache Flink) through three steps: the streams are provisioned,
 * the runtime settings the guarantees rest on are pinned ({@link PinnedRuntime}), and the real
 * source, sinks and outputs are wired around {@link AirbyteKinesisJob#defineWorkflow}.
 */
public final class WriteCommand {
    private static final Logger LOG = LoggerFactory.getLogger(WriteCommand.class);

    static final String DEFAULT_DEAD_LETTER_DIRECTORY = "dead-letter";
    /** The shards of a new on-demand stream (Kinesis's default write capacity, 4 MB/s). */
    static final int ON_DEMAND_INITIAL_SHARDS = 4;

    private final PrintStream console;
    private final Configuration settings;

    /** @param console where the end-of-run summary goes (stderr; stdout is for Airbyte messages) */
    public WriteCommand(PrintStream console) {
        this(console, flinkConfiguration());
    }

    /**
     * @param settings the Flink configuration the run starts from, as a cluster's config (or
     *     {@code $FLINK_CONF_DIR/config.yaml} in a local run) gives it
     */
    public WriteCommand(PrintStream console, Configuration settings) {
        this.console = console;
        this.settings = settings;
    }

    public JobExecutionResult run(WriteOptions options) throws Exception {
        return run(options.plan(), options.reporting());
    }

    public JobExecutionResult run(WritePlan plan) throws Exception {
        return run(plan, RunReporting.NONE);
    }

    public JobExecutionResult run(WritePlan plan, RunReporting reporting) throws Exception {
        Path summaryJson = reporting.summaryJson();
        Duration progressInterval = reporting.progressInterval();
        DestinationConfig config = plan.config();
        if (!config.unknownKeys().isEmpty()) {
            LOG.warn("config: ignoring unknown keys {}", config.unknownKeys());
        }
        warnAboutSkippedFiles(plan.inputs());

        StreamExecutionEnvironment env = environment(reporting.webUiPort());
        boolean local = env instanceof LocalStreamEnvironment;
        if (reporting.webUiPort() > 0) {
            if (local) {
                console.println("airbyte-kinesis: Flink web UI at http://localhost:" + reporting.webUiPort() + "/");
            } else {
                console.println("airbyte-kinesis: warning: --web-ui is for local runs; the cluster's own web UI shows this job");
            }
        }
        if (local) {
            SharedEventLoop.holdForLocalRun();
        }
        if (plan.readsStdin() && !local) {
            throw new SetupException("reading standard input works only in local runs; give --input on a cluster");
        }
        for (String warning : PinnedRuntime.apply(env, plan.checkpointInterval(), plan.cannotReplay(), local)) {
            console.println("airbyte-kinesis: warning: " + warning);
        }
        if (!local && plan.stateOut() != null && !StateOutTarget.isDirectory(plan.stateOut())) {
            LOG.warn("--state-out {} is a local file of whichever TaskManager runs the STATE releaser; on a cluster"
                    + " give a directory on a shared file system (s3://bucket/prefix/)", plan.stateOut());
        }
        String deadLetterDirectory = deadLetterDirectory(plan, local);

        KinesisConnection connection = KinesisConnection.fromConfig(config);
        LOG.info("Writing {} catalog streams to {}", plan.routes().kinesisStreams().size(), connection);
        Map<String, Integer> openShards = new LinkedHashMap<>();
        OverwriteStreams overwrite = provisionStreams(plan, connection, openShards);

        if (plan.readsStdin() && System.console() != null) {
            console.println("airbyte-kinesis: reading Airbyte messages from standard input (no --input given); end with Ctrl-D");
        }
        DataStream<InputLine> lines = inputLines(env, plan, overwrite);
        int parallelism = env.getParallelism();
        WriterBuckets buckets = writerBuckets(plan, openShards, parallelism,
                AirbyteKinesisJob.maxParallelism(lines, parallelism));
        definePipeline(lines, plan, connection, deadLetterDirectory, sinkMemory(env, plan, local), buckets);

        Instant started = Instant.now();
        // The reporter's sums cover every run of this JVM: this run's are the difference.
        long retriedBefore = RunSummaryReporter.retriedEntries();
        JobExecutionResult result;
        ProgressPrinter progress = local && !progressInterval.isZero()
                ? ProgressPrinter.start(console, System.console() != null, progressInterval, boundedInputBytes(plan))
                : null;
        try {
            result = env.execute("airbyte-kinesis write (" + plan.routes().kinesisStreams().size() + " streams)");
        } catch (Exception e) {
            if (summaryJson != null) {
                RunSummary.failed(Secrets.redact(AirbyteKinesisMain.oneLine(e)), started, Instant.now()).writeJson(summaryJson);
            }
            throw e;
        } finally {
            if (progress != null) {
                progress.close();
            }
        }
        if (!result.isJobExecutionResult()) {
            // flink run -d: the job runs on; its counts are in its accumulators and metrics.
            console.println("airbyte-kinesis: submitted job " + result.getJobID() + " (detached)");
            return result;
        }
        RunSummary summary = RunSummary.finished(result.getJobID().toString(), result.getAllAccumulatorResults(),
                plan.routes().kinesisStreams(), result.getNetRuntime(),
                local ? RunSummaryReporter.retriedEntries() - retriedBefore : null,
                config.deadLetterStream().orElse(deadLetterDirectory), started, Instant.now());
        printSummary(summary);
        if (summaryJson != null) {
            summary.writeJson(summaryJson);
        }
        return result;
    }

    /**
     * The provisioning step, before the job is submitted: every {@code append} stream and the
     * dead-letter stream exists (created when missing), is ACTIVE and writable. {@code overwrite}
     * streams are not touched here: {@code main()} runs again on every restore, so deleting them
     * here would delete records of the sync written before its snapshot. The returned work
     * replaces them when the job starts afresh, and only then ({@link SyncStartSource}).
     */
    /** @param openShards filled with each append stream's open shards */
    private static OverwriteStreams provisionStreams(WritePlan plan, KinesisConnection connection,
            Map<String, Integer> openShards) {
        List<String> kept = new ArrayList<>();
        List<String> overwritten = new ArrayList<>();
        for (Map.Entry<String, DestinationSyncMode> stream : plan.syncModes().entrySet()) {
            (stream.getValue() == DestinationSyncMode.OVERWRITE ? overwritten : kept).add(stream.getKey());
        }
        StreamCreationConfig creation = plan.config().streamCreation();
        try (KinesisClient client = KinesisClients.create(connection)) {
            openShards.putAll(new StreamProvisioner(client, connection.where(), StreamProvisioner.DEFAULT_READY_TIMEOUT)
                    .ensureActive(kept, creation));
        } catch (SetupException e) {
            throw new SetupException(connection.redact(e.getMessage()));
        }
        return new OverwriteStreams(connection, overwritten, creation, StreamProvisioner.DEFAULT_READY_TIMEOUT);
    }

    /** The input, from the source of the plan, wrapped so that the sync's start runs once ({@link SyncStartSource}). */
    private static DataStream<InputLine> inputLines(StreamExecutionEnvironment env, WritePlan plan, OverwriteStreams overwrite) {
        String runId = UUID.randomUUID().toString();
        if (plan.socket() != null) {
            return fromSource(env, SocketLineSource.of(plan.socket(), plan.bounded(), runId), overwrite)
                    .setParallelism(1);
        }
        List<String> inputs = plan.readsStdin() ? List.of(WritePlan.STDIN) : plan.inputs();
        return plan.watchInterval() != null
                ? fromSource(env, InputFiles.watchingSource(inputs, runId, plan.watchInterval()), overwrite)
                : fromSource(env, InputFiles.boundedSource(inputs, runId), overwrite);
    }

    private static <SplitT extends SourceSplit, EnumChkT> DataStreamSource<InputLine> fromSource(
            StreamExecutionEnvironment env, Source<InputLine, SplitT, EnumChkT> source, SyncStartSource.SyncStart start) {
        DataStreamSource<InputLine> lines = env.fromSource(new SyncStartSource<>(source, start),
                WatermarkStrategy.noWatermarks(), "Airbyte messages");
        lines.uid(AirbyteKinesisJob.SOURCE_UID);
        return lines;
    }

    /** The pipeline: the real Kinesis sinks, dead-letter output and STATE output around the workflow. */
    /**
     * Sink writers per stream: {@code writersPerStream} when set, else one per 4 open shards
     * ({@link WriterBuckets#bucketsFor}); an overwrite stream is counted with the shards it will
     * be created with (on-demand streams start with 4).
     */
    static WriterBuckets writerBuckets(WritePlan plan, Map<String, Integer> openShards, int parallelism,
            int maxParallelism) {
        DestinationConfig config = plan.config();
        StreamCreationConfig creation = config.streamCreation();
        int createdShards = creation.mode() == StreamCreationConfig.Mode.ON_DEMAND ? ON_DEMAND_INITIAL_SHARDS
                : creation.shardCount();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String stream : plan.routes().kinesisStreams().values()) {
            int shards = openShards.getOrDefault(stream, createdShards);
            // WriterBuckets.of caps every count at the parallelism.
            counts.put(stream, config.writersPerStream() > 0 ? config.writersPerStream()
                    : WriterBuckets.bucketsFor(shards, parallelism));
        }
        WriterBuckets buckets = WriterBuckets.of(counts, parallelism, maxParallelism);
        LOG.info("Sink writers per Kinesis stream (parallelism {}): {}", parallelism, buckets.bucketsByStream());
        return buckets;
    }

    private static void definePipeline(DataStream<InputLine> lines, WritePlan plan, KinesisConnection connection,
            String deadLetterDirectory, SinkMemory memory, WriterBuckets buckets) {
        DestinationConfig config = plan.config();
        KinesisSinks idKeyed = new KinesisSinks(connection, config.bufferSize(), config.maxRecordSizeBytes(), memory,
                Duration.ofSeconds(config.retryDeadlineSeconds()));
        KinesisSinks keyed = plan.partitionKeys().byAbId() ? idKeyed : idKeyed.withKeysFromData();
        KinesisSinks ordered = config.ordering() == Ordering.PER_KEY ? keyed.withPerKeyOrder() : keyed;
        KinesisSinks sinks = config.aggregation() == Aggregation.KPL
                ? ordered.withKplAggregation(config.aggregationMaxBytes())
                : ordered;
        DeadLetterOutputs.DeadLetterOutput deadLetters = config.deadLetterStream()
                .map(stream -> DeadLetterOutputs.kinesis(stream, sinks.forDeadLetters(stream), config.maxRecordSizeBytes()))
                .orElseGet(() -> deadLetterDirectory == null
                        ? DeadLetterOutputs.none()
                        : DeadLetterOutputs.directory(deadLetterDirectory));
        EnvelopeSettings envelopeSettings = EnvelopeSettings.of(config, plan.partitionKeys());
        if (deadLetterDirectory == null && config.deadLetterStream().isEmpty()) {
            envelopeSettings = envelopeSettings.withBadInputPolicy(BadInputPolicy.FAIL);
        }
        AirbyteKinesisJob.defineWorkflow(lines, plan.routes(), envelopeSettings, sinks::forStream,
                new ConsoleStateOutput(plan.stateOut()), deadLetters, plan.afterRead(), buckets);
    }

    /**
     * The sinks' memory budget of a TaskManager, split over the sink writers one can run: a
     * writer of every Kinesis sink in each task slot (a local run's MiniCluster has a slot per
     * unit of parallelism; a cluster says how many in {@code taskmanager.numberOfTaskSlots}).
     */
    private static SinkMemory sinkMemory(StreamExecutionEnvironment env, WritePlan plan, boolean local) {
        int sinks = plan.routes().kinesisStreams().size() + (plan.config().deadLetterStream().isPresent() ? 1 : 0);
        int slots = local ? env.getParallelism() : env.getConfiguration().get(TaskManagerOptions.NUM_TASK_SLOTS);
        SinkMemory memory = SinkMemory.of(plan.config().bufferMemoryMb(), sinks * Math.max(1, slots));
        LOG.info("Kinesis sink memory: {} ({} sinks, {} slots per TaskManager)", memory, sinks, slots);
        return memory;
    }

    /**
     * A local MiniCluster reads Flink's {@code config.yaml} from {@code $FLINK_CONF_DIR} when set
     * (file system credentials, state backend, ...) and loads the file system plugins a cluster
     * would have loaded itself; it also gets the run-summary metric reporter. A cluster uses its
     * own configuration.
     *
     * @param webUiPort the web UI's port, or 0 for a random REST port
     */
    private StreamExecutionEnvironment environment(int webUiPort) {
        Configuration local = new Configuration(settings);
        local.setString("metrics.reporter." + RunSummaryReporter.NAME + ".factory.class",
                RunSummaryReporter.Factory.class.getName());
        // A local MiniCluster serves its REST API (and, with flink-runtime-web on the launcher's
        // class path, the web UI) on a random port: only to this machine, unless config.yaml says
        // otherwise. Bind options concern servers only, so a job submitted to a cluster ignores them.
        if (!local.contains(RestOptions.BIND_ADDRESS)) {
            local.set(RestOptions.BIND_ADDRESS, "localhost");
        }
        if (webUiPort > 0) {
            local.set(RestOptions.BIND_PORT, String.valueOf(webUiPort));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(local);
        if (env instanceof LocalStreamEnvironment) {
            FileSystem.initialize(local, PluginUtils.createPluginManagerFromRootFolder(local));
        }
        return env;
    }

    /** Flink's {@code config.yaml} from {@code $FLINK_CONF_DIR}, or an empty configuration. */
    private static Configuration flinkConfiguration() {
        String confDir = System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR);
        return confDir == null ? new Configuration() : GlobalConfiguration.loadConfiguration(confDir);
    }

    /**
     * Dead letters go to the Kinesis stream {@code deadLetterStream} when the config names one,
     * else to {@code --dead-letter DIR}, by default {@code ./dead-letter} in local runs. On a
     * cluster there is no default (it must be a path every TaskManager can reach): without one,
     * bad input stops the job, as with {@code onBadInput: fail}. Null when there is no directory.
     */
    private static String deadLetterDirectory(WritePlan plan, boolean local) {
        DestinationConfig config = plan.config();
        if (config.deadLetterStream().isPresent()) {
            return null;
        }
        if (plan.deadLetterDirectory() != null) {
            return plan.deadLetterDirectory();
        }
        if (config.badInputPolicy() == BadInputPolicy.FAIL) {
            return null; // bad input stops the run: nothing is ever dead-lettered
        }
        if (!local) {
            LOG.warn("No dead-letter destination (--dead-letter DIR that every TaskManager can reach, or"
                    + " deadLetterStream in the config): bad input will stop the job");
            return null;
        }
        return Path.of(DEFAULT_DEAD_LETTER_DIRECTORY).toAbsolutePath().toUri().toString();
    }

    /**
     * The bytes a bounded run of local files will read, for the progress percentage; -1 for
     * standard input, a socket, a watched directory or a remote file system.
     */
    static long boundedInputBytes(WritePlan plan) {
        if (plan.cannotReplay() || plan.watchInterval() != null) {
            return -1;
        }
        long total = 0;
        for (String input : plan.inputs()) {
            if (!input.startsWith("file:")) {
                return -1;
            }
            Path root = Path.of(URI.create(input));
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(file) && (file.equals(root) || isReadByDirectoryScan(root, file))) {
                        total += Files.size(file);
                    }
                }
            } catch (IOException e) {
                return -1; // only a percentage is lost; the source reports unreadable input itself
            }
        }
        return total;
    }

    private void printSummary(RunSummary summary) {
        Map<String, Long> byStream = summary.recordsByKinesisStream();
        console.println("airbyte-kinesis: read " + summary.linesRead() + " lines, wrote " + summary.recordsWritten()
                + " records to " + byStream.size() + " Kinesis streams in " + summary.netRuntimeMillis() + " ms");
        byStream.forEach((stream, records) -> console.println("  records to " + stream + ": " + records));
        summary.deadLettersByReason().forEach((reason, n) -> console.println("  dead letters, " + reason + ": " + n));
        summary.messagesByType().forEach((type, n) -> console.println("  " + type + " messages (" + ("STATE".equals(type)
                ? "released on stdout once the records before them were in Kinesis"
                : "not sent to Kinesis") + "): " + n));
        console.println("  blank lines: " + summary.blankLines());
        if (summary.deadLetters() > 0) {
            console.println("  " + summary.deadLetters() + " lines went to the dead-letter output " + summary.deadLetterTarget());
        }
        if (summary.retriedEntries() != null) {
            console.println("  PutRecords entries retried: " + summary.retriedEntries());
        }
    }

    /**
     * Files a directory holds that the source skips by name are reported, never dropped silently.
     * Watched directories are reported once, at start: files that arrive later under a skipped
     * name are being written and are expected to be renamed.
     */
    private static void warnAboutSkippedFiles(List<String> inputs) {
        for (String input : inputs) {
            if (!input.startsWith("file:")) {
                continue;
            }
            Path root = Path.of(URI.create(input));
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> skipped = new ArrayList<>();
            long read;
            try (Stream<Path> files = Files.walk(root)) {
                List<Path> all = files.filter(Files::isRegularFile).collect(Collectors.toList());
                for (Path file : all) {
                    if (!isReadByDirectoryScan(root, file)) {
                        skipped.add(root.relativize(file));
                    }
                }
                read = all.size() - skipped.size();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root, e);
            }
            if (!skipped.isEmpty()) {
                LOG.warn("--input {}: skipping {} files whose names start with '.' or '_' or end with '.tmp': {}",
                        root, skipped.size(), skipped);
            }
            if (read == 0) {
                LOG.warn("--input {}: the directory has no files to read", root);
            }
        }
    }

    private static boolean isReadByDirectoryScan(Path root, Path file) {
        for (Path part : root.relativize(file)) {
            if (!InputFiles.isVisible(part.toString())) {
                return false;
            }
        }
        return true;
    }
}
