package org.airbytekinesis.flink;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
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
 * {@code write}: reads Airbyte message files and writes every record into its Kinesis stream.
 * Wires the real source and sinks around {@link AirbyteKinesisJob#defineWorkflow}.
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
        StreamRoutes routes = StreamRoutes.forCatalog(catalog);
        warnAboutSkippedFiles(options.inputs());

        KinesisConnection connection = KinesisConnection.fromConfig(config);
        LOG.info("Writing {} catalog streams to {}", routes.kinesisStreams().size(), connection);
        try (KinesisClient client = KinesisClients.create(connection)) {
            new StreamProvisioner(client, StreamProvisioner.DEFAULT_READY_TIMEOUT)
                    .ensureActive(routes.kinesisStreams().values(), config.shardCount());
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configureEnvironment(env, options.checkpointInterval());
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(options.inputs()), WatermarkStrategy.noWatermarks(), "Airbyte input files")
                .uid(AirbyteKinesisJob.SOURCE_UID);
        KinesisSinks sinks = new KinesisSinks(connection, config.bufferSize());
        AirbyteKinesisJob.defineWorkflow(lines, routes, config.dataFormat(), sinks::forStream);

        JobExecutionResult result = env.execute("airbyte-kinesis write (" + routes.kinesisStreams().size() + " streams)");
        printSummary(result, routes);
        return result;
    }

    /**
     * Checkpoints are on by default (a cluster's own setting wins); the Kinesis sink is
     * at-least-once, so aligned barriers would buy nothing. Restart settings are set here only
     * for local runs: a cluster brings its own.
     */
    static void configureEnvironment(StreamExecutionEnvironment env, Duration checkpointInterval) {
        if (checkpointInterval != null) {
            env.enableCheckpointing(checkpointInterval.toMillis(), CheckpointingMode.AT_LEAST_ONCE);
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(DEFAULT_CHECKPOINT_INTERVAL.toMillis(), CheckpointingMode.AT_LEAST_ONCE);
        }
        if (env instanceof LocalStreamEnvironment) {
            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, LOCAL_RESTART_ATTEMPTS);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, LOCAL_RESTART_DELAY);
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
