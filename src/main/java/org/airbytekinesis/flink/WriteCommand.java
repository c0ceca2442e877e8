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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.SupportedSyncModes;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.ConsoleStateOutput;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
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
    private static final int LOCAL_RESTART_ATTEMPTS = 3;
    private static final Duration LOCAL_RESTART_DELAY = Duration.ofSeconds(2);

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

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (options.readsStdin() && !(env instanceof LocalStreamEnvironment)) {
            throw new SetupException("reading standard input works only in local runs; give --input on a cluster");
        }
        configureEnvironment(env, options.checkpointInterval(), options.readsStdin());

        KinesisConnection connection = KinesisConnection.fromConfig(config);
        LOG.info("Writing {} catalog streams to {}", routes.kinesisStreams().size(), connection);
        try (KinesisClient client = KinesisClients.create(connection)) {
            new StreamProvisioner(client, StreamProvisioner.DEFAULT_READY_TIMEOUT)
                    .prepare(syncModeByKinesisStream(catalog, routes), config.shardCount());
        }

        if (options.readsStdin() && System.console() != null) {
            console.println("airbyte-kinesis: reading Airbyte messages from standard input (no --input given); end with Ctrl-D");
        }
        List<String> inputs = options.readsStdin() ? List.of(WriteOptions.STDIN) : options.inputs();
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(inputs), WatermarkStrategy.noWatermarks(), "Airbyte messages")
                .uid(AirbyteKinesisJob.SOURCE_UID);
        KinesisSinks sinks = new KinesisSinks(connection, config.bufferSize());
        String stateOut = options.stateOut() == null ? null : options.stateOut().toString();
        AirbyteKinesisJob.defineWorkflow(lines, routes, config.dataFormat(), sinks::forStream, new ConsoleStateOutput(stateOut));

        JobExecutionResult result = env.execute("airbyte-kinesis write (" + routes.kinesisStreams().size() + " streams)");
        printSummary(result, routes);
        return result;
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
     * cluster brings its own; standard input cannot be read twice, so it gets no restarts.
     */
    static void configureEnvironment(StreamExecutionEnvironment env, Duration checkpointInterval, boolean readsStdin) {
        if (checkpointInterval != null) {
            env.enableCheckpointing(checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(DEFAULT_CHECKPOINT_INTERVAL.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        env.getCheckpointConfig().setCheckpointingConsistencyMode(CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().enableUnalignedCheckpoints(false);
        if (env instanceof LocalStreamEnvironment) {
            Configuration restarts = new Configuration();
            if (readsStdin) {
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            } else {
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, LOCAL_RESTART_ATTEMPTS);
                restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, LOCAL_RESTART_DELAY);
            }
            env.configure(restarts);
        }
    }

    private void printSummary(JobExecutionResult result, StreamRoutes routes) {
        Map<String, Object> accumulators = result.getAllAccumulatorResults();
        Object total = accumulators.getOrDefault(RecordEnveloper.RECORDS_ACCUMULATOR, 0L);
        console.println("airbyte-kinesis: wrote " + total + " records to " + routes.kinesisStreams().size()
                + " Kinesis streams in " + result.getNetRuntime() + " ms");
        for (String stream : routes.kinesisStreams().values()) {
            Object count = accumulators.getOrDefault(RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + stream, 0L);
            console.println("  " + stream + ": " + count);
        }
        new TreeMap<>(accumulators).forEach((name, count) -> {
            if (name.startsWith(RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX)) {
                console.println("  " + name.substring(RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX.length())
                        + " messages (not sent to Kinesis): " + count);
            }
        });
    }

    /** Files a directory holds that the source skips by name are reported, never dropped silently. */
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
                LOG.warn("--input {}: skipping {} files whose names start with '.' or '_': {}", root, skipped.size(), skipped);
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
