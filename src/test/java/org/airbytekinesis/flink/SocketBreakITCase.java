package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.source.SocketLineSource;
import org.airbytekinesis.flink.testing.DurabilityAtRelease;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * A socket input that breaks mid-run, through the whole pipeline against kinesalite (slow: about
 * 10 s). The server sends records and STATEs, waits until the job released the last STATE it
 * sent, sends more records and resets the connection. The job must fail naming the break (a
 * socket cannot be read again, so it does not go on without the lines in flight), and every STATE
 * it released must have had every record before it readable from Kinesis at that moment
 * ({@link DurabilityAtRelease}); none may be missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SocketBreakITCase {
    private static final int RECORDS_BEFORE = 1_200;
    private static final int STATE_EVERY = 100;
    private static final int RECORDS_AFTER = 300;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final StreamRoutes ROUTES = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
            new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor("shop", "orders"), DestinationSyncMode.APPEND))));

    @Test
    void aSocketThatBreaksMidRunFailsTheJobAndEveryStateReleasedBeforeHadItsRecordsInKinesis() throws Exception {
        List<String> before = lines(0, RECORDS_BEFORE, true);
        List<String> after = lines(RECORDS_BEFORE, RECORDS_BEFORE + RECORDS_AFTER, false);
        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        long lastStateLine = before.size();
        AtomicReference<Throwable> serverError = new AtomicReference<>();

        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(all, ROUTES::kinesisStreamFor,
                        emulator.endpoint());
                ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of("bufferSize", 50)));
            try (KinesisClient client = emulator.client()) {
                new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(ROUTES.kinesisStreams().values(), 2);
            }
            String uri = "tcp://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
            Thread serverThread = new Thread(() -> {
                try (Socket connection = server.accept()) {
                    send(connection, before);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!ledger.releasedLines().contains(lastStateLine)) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("the last STATE sent was not released within 60 s: "
                                    + ledger.releasedLines());
                        }
                        Thread.sleep(20);
                    }
                    send(connection, after);
                    connection.setSoLinger(true, 0); // close with a reset: a broken connection, not the end
                } catch (Throwable t) {
                    serverError.set(t);
                }
            }, "test-line-server");
            serverThread.setDaemon(true);
            serverThread.start();

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(200, CheckpointingMode.EXACTLY_ONCE);
            Configuration noRestarts = new Configuration();
            noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            env.configure(noRestarts);
            DataStream<InputLine> lines = env
                    .fromSource(SocketLineSource.of(uri, false, "socket-break"), WatermarkStrategy.noWatermarks(), "socket")
                    .setParallelism(1)
                    .uid(AirbyteKinesisJob.SOURCE_UID);
            KinesisSinks sinks = new KinesisSinks(KinesisConnection.fromConfig(config), config.bufferSize(),
                    config.maxRecordSizeBytes());
            AirbyteKinesisJob.defineWorkflow(lines, ROUTES, EnvelopeSettings.of(config), sinks::forStream,
                    ledger.output(), DeadLetterOutputs.none());

            Exception failure = assertThrows(Exception.class, () -> env.execute("socket break"));
            serverThread.join(10_000);
            assertEquals(null, serverError.get(), "the test server");
            String expected = "socket input " + uri + ": connection 1 broke after line ";
            Optional<Throwable> cause = ExceptionUtils.findThrowableWithMessage(failure, expected);
            assertTrue(cause.isPresent(), () -> "no cause says '" + expected + "': "
                    + ExceptionUtils.stringifyException(failure));
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            ledger.assertEachStateReleasedOnce();
        }
    }

    /** RECORDs {@code from} to {@code to} (exclusive) over two streams; with {@code states}, a STATE before every 100th and at the end. */
    private static List<String> lines(int from, int to, boolean states) {
        List<String> lines = new ArrayList<>();
        for (int seq = from; seq < to; seq++) {
            if (states && seq % STATE_EVERY == 0 && seq > from) {
                lines.add(state(seq));
            }
            String stream = seq % 2 == 0 ? "\"stream\":\"users\"" : "\"stream\":\"orders\",\"namespace\":\"shop\"";
            lines.add("{\"type\":\"RECORD\",\"record\":{" + stream + ",\"emitted_at\":" + (1_700_000_000_000L + seq)
                    + ",\"data\":{\"seq\":" + seq + "}}}");
        }
        if (states) {
            lines.add(state(to));
        }
        return lines;
    }

    private static String state(int upTo) {
        return "{\"type\":\"STATE\",\"state\":{\"type\":\"LEGACY\",\"data\":{\"upTo\":" + upTo + "}}}";
    }

    private static void send(Socket connection, List<String> lines) throws IOException {
        OutputStream out = connection.getOutputStream();
        for (String line : lines) {
            out.write(line.getBytes(StandardCharsets.UTF_8));
            out.write('\n');
        }
        out.flush();
    }
}
