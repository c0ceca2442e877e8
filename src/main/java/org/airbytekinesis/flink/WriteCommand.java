package org.airbytekinesis.flink;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.SupportedSyncModes;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.metrics.RunSummaryReporter;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.source.SocketLineSource;
import org.airbytekinesis.flink.state.ConsoleStateOutput;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@code write}: reads Airbyte messages (files, or standard input) and writes every record into
 * its Kinesis stream, printing each STATE on standard output once the records before it are in
 * Kinesis. Wires the real source, sinks and output around {@link AirbyteKinesisJob#defineWorkflow}.
 */
public final class WriteCommand {
    private static final Logger LOG = LoggerFactory.getLogger(WriteCommand.class);

    static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(10);
    static final String DEFAULT_DEAD_LETTER_DIRECTORY = "dead-letter";
    /** Enough to ride out a Kinesis outage of about a minute (connection errors fail the sink). */
    private static final int LOCAL_RESTART_ATTEMPTS = 10;
    private static final Duration LOCAL_RESTART_DELAY = Duration.ofSeconds(5);

    private final PrintStream console;

    /** @param console where the end-of-run summary goes (stderr; stdout is for Airbyte messages) */
    public WriteCommand(PrintStream console) {
        this.console = console;
    }

    public JobExecutionResult run(WriteOptions options) throws Exception {
        DestinationConfig config = DestinationConfig.fromFile(options.config());
        if (!config.unknownKeys().isEmpty()) {
            LOG.warn("config: ignoring unknown keys {}", config.unknownKeys());
        }
        ConfiguredCatalog catalog = ConfiguredCatalog.fromFile(options.catalog());
        SupportedSyncModes.check(catalog);
        StreamRoutes routes = StreamRoutes.forCatalog(catalog);
        warnAboutSkippedFiles(options.inputs());

        Configuration localSettings = localRunSettings();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(localSettings);
        boolean local = env instanceof LocalStreamEnvironment;
        if (local) {
            // A cluster loads file system plugins (s3://, gs://, ...) itself; a MiniCluster does not.
            FileSystem.initialize(localSettings, PluginUtils.createPluginManagerFromRootFolder(localSettings));
        }
        if (options.readsStdin() && !local) {
            throw new SetupException("reading standard input works only in local runs; give --input on a cluster");
        }
        // Standard input and sockets cannot replay what was read: restarting would skip lines.
        configureEnvironment(env, options.checkpointInterval(), options.readsStdin() || options.socket() != null);
        String deadLetterDirectory = deadLetterDirectory(options, config, routes, local);

        KinesisConnection connection = KinesisConnection.fromConfig(config);
        LOG.info("Writing {} catalog streams to {}", routes.kinesisStreams().size(), connection);
        Map<String, DestinationSyncMode> modes = syncModeByKinesisStream(catalog, routes);
        config.deadLetterStream().ifPresent(stream -> modes.putIfAbsent(stream, DestinationSyncMode.APPEND));
        try (KinesisClient client = KinesisClients.create(connection)) {
            new StreamProvisioner(client, connection.where(), StreamProvisioner.DEFAULT_READY_TIMEOUT)
                    .prepare(modes, config.streamCreation());
        } catch (SetupException e) {
            throw new SetupException(connection.redact(e.getMessage()));
        }

        if (options.readsStdin() && System.console() != null) {
            console.println("airbyte-kinesis: reading Airbyte messages from standard input (no --input given); end with Ctrl-D");
        }
        List<String> inputs = options.readsStdin() ? List.of(WriteOptions.STDIN) : options.inputs();
        String runId = UUID.randomUUID().toString();
        DataStream<InputLine> lines;
        if (options.socket() != null) {
            if (!local) {
                LOG.warn("Reading {} on a cluster: a socket cannot replay lines, so configure no restarts"
                        + " and resume the Airbyte source from the last STATE instead", options.socket());
            }
            lines = env.fromSource(SocketLineSource.of(options.socket(), options.bounded(), runId),
                            WatermarkStrategy.noWatermarks(), "Airbyte messages")
                    .setParallelism(1)
                    .uid(AirbyteKinesisJob.SOURCE_UID);
        } else {
            lines = env.fromSource(options.watchInterval() != null
                                    ? InputFiles.watchingSource(inputs, runId, options.watchInterval())
                                    : InputFiles.boundedSource(inputs, runId),
                            WatermarkStrategy.noWatermarks(), "Airbyte messages")
                    .uid(AirbyteKinesisJob.SOURCE_UID);
        }
        KinesisSinks sinks = new KinesisSinks(connection, config.bufferSize(), config.maxRecordSizeBytes());
        String stateOut = options.stateOut() == null ? null : options.stateOut().toString();
        DeadLetterOutputs.DeadLetterOutput deadLetters = config.deadLetterStream()
                .map(stream -> DeadLetterOutputs.kinesis(stream, sinks.forStream(stream), config.maxRecordSizeBytes()))
                .orElseGet(() -> deadLetterDirectory == null
                        ? DeadLetterOutputs.none()
                        : DeadLetterOutputs.directory(deadLetterDirectory));
        EnvelopeSettings settings = EnvelopeSettings.of(config);
        if (deadLetterDirectory == null && config.deadLetterStream().isEmpty()) {
            settings = settings.withBadInputPolicy(BadInputPolicy.FAIL);
        }
        AirbyteKinesisJob.defineWorkflow(lines, routes, settings, sinks::forStream,
                new ConsoleStateOutput(stateOut), deadLetters);

        JobExecutionResult result = env.execute("airbyte-kinesis write (" + routes.kinesisStreams().size() + " streams)");
        printSummary(result, routes, local, config.deadLetterStream().orElse(deadLetterDirectory));
        return result;
    }

    /**
     * The configuration of a local MiniCluster: Flink's {@code config.yaml} from
     * {@code $FLINK_CONF_DIR} when set (file system credentials, state backend, ...), plus the
     * run-summary metric reporter. A cluster uses its own configuration instead.
     */
    private static Configuration localRunSettings() {
        String confDir = System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR);
        Configuration settings = confDir == null ? new Configuration() : GlobalConfiguration.loadConfiguration(confDir);
        settings.setString("metrics.reporter." + RunSummaryReporter.NAME + ".factory.class",
                RunSummaryReporter.Factory.class.getName());
        return settings;
    }

    /**
     * Dead letters go to the Kinesis stream {@code deadLetterStream} when the config names one,
     * else to {@code --dead-letter DIR}, by default {@code ./dead-letter} in local runs. On a
     * cluster there is no default (it must be a path every TaskManager can reach): without one,
     * bad input stops the job, as with {@code onBadInput: fail}. Null when there is no directory.
     */
    private static String deadLetterDirectory(WriteOptions options, DestinationConfig config, StreamRoutes routes, boolean local) {
        if (config.deadLetterStream().isPresent()) {
            if (routes.kinesisStreams().containsValue(config.deadLetterStream().get())) {
                throw new SetupException("config: deadLetterStream " + config.deadLetterStream().get()
                        + " is also the Kinesis stream of a catalog stream; dead letters need a stream of their own");
            }
            if (options.deadLetterDirectory() != null) {
                throw new SetupException("give either --dead-letter or deadLetterStream in the config, not both");
            }
            return null;
        }
        if (options.deadLetterDirectory() != null) {
            return options.deadLetterDirectory();
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

    private static Map<String, DestinationSyncMode> syncModeByKinesisStream(ConfiguredCatalog catalog, StreamRoutes routes) {
        Map<String, DestinationSyncMode> modes = new LinkedHashMap<>();
        for (CatalogStream stream : catalog.streams()) {
            modes.put(routes.kinesisStreams().get(stream.descriptor()), stream.syncMode());
        }
        return modes;
    }

    /**
     * Checkpoints are on by default (a cluster's own interval wins) with aligned barriers: a
     * STATE is released when the checkpoint after it completes, which is only right if that
     * checkpoint holds everything that came before it on every channel. Delivery stays
     * at-least-once (the Kinesis sink is). Restart settings are set here only for local runs, a
     * cluster brings its own; input that cannot be read twice (stdin, a socket) gets no restarts.
     */
    static void configureEnvironment(StreamExecutionEnvironment env, Duration checkpointInterval, boolean cannotReplay) {
        if (checkpointInterval != null) {
            env.enableCheckpointing(checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(DEFAULT_CHECKPOINT_INTERVAL.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        env.getCheckpointConfig().setCheckpointingConsistencyMode(CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().enableUnalignedCheckpoints(false);
        if (env instanceof LocalStreamEnvironment) {
            Configuration restarts = new Configuration();
            if (cannotReplay) {
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            } else {
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, LOCAL_RESTART_ATTEMPTS);
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, LOCAL_RESTART_DELAY);
            }
            env.configure(restarts);
        }
    }

    private void printSummary(JobExecutionResult result, StreamRoutes routes, boolean local, String deadLetterTarget) {
        if (!result.isJobExecutionResult()) {
            // flink run -d: the job runs on; its counts are in its accumulators and metrics.
            console.println("airbyte-kinesis: submitted job " + result.getJobID() + " (detached)");
            return;
        }
        Map<String, Object> counts = result.getAllAccumulatorResults();
        console.println("airbyte-kinesis: read " + count(counts, RecordEnveloper.LINES_ACCUMULATOR) + " lines, wrote "
                + count(counts, RecordEnveloper.RECORDS_ACCUMULATOR) + " records to " + routes.kinesisStreams().size()
                + " Kinesis streams in " + result.getNetRuntime() + " ms");
        for (String stream : routes.kinesisStreams().values()) {
            console.println("  records to " + stream + ": " + count(counts, RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + stream));
        }
        long deadLetters = 0;
        for (Map.Entry<String, Object> entry : new TreeMap<>(counts).entrySet()) {
            String name = entry.getKey();
            if (name.startsWith(RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX)) {
                deadLetters += (Long) entry.getValue();
                console.println("  dead letters, " + name.substring(RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX.length())
                        + ": " + entry.getValue());
            } else if (name.startsWith(RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX)) {
                String type = name.substring(RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX.length());
                console.println("  " + type + " messages (" + ("STATE".equals(type)
                        ? "released on stdout once the records before them were in Kinesis"
                        : "not sent to Kinesis") + "): " + entry.getValue());
            }
        }
        console.println("  blank lines: " + count(counts, RecordEnveloper.BLANK_ACCUMULATOR));
        if (deadLetters > 0) {
            console.println("  " + deadLetters + " lines went to the dead-letter output " + deadLetterTarget);
        }
        if (local) {
            console.println("  PutRecords entries retried: " + RunSummaryReporter.retriedEntries());
        }
    }

    private static long count(Map<String, Object> accumulators, String name) {
        Object value = accumulators.get(name);
        return value == null ? 0 : (Long) value;
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
