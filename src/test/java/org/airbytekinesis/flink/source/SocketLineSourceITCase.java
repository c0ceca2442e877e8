package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.airbytekinesis.flink.testing.Corpus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The socket source in a job on a MiniCluster, against a test server on localhost. */
@Timeout(60)
class SocketLineSourceITCase {
    private static final String RUN = "it-run";
    private static final String CORPUS = "messages__faros__jira_all-streams.log";
    private static final int BREAK_AFTER = 120; // past the corpus' STATE, line 111

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Lines that went through the job's first operator, so the test server knows they were read. */
    static final List<InputLine> PASSED = Collections.synchronizedList(new ArrayList<>());
    /** The job holds at the line after the first STATE; the test server releases it after the reset. */
    static CountDownLatch jobHeld;
    static CountDownLatch releaseJob;

    private ServerSocket server;
    private String host;
    private String uri;
    private final AtomicReference<Throwable> serverError = new AtomicReference<>();
    private final List<Integer> connectionsAccepted = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        PASSED.clear();
        jobHeld = new CountDownLatch(1);
        releaseJob = new CountDownLatch(1);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        host = InetAddress.getLoopbackAddress().getHostAddress();
        uri = "tcp://" + host + ":" + server.getLocalPort();
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    private interface Script {
        void run() throws Exception;
    }

    private Thread serve(Script script) {
        Thread thread = new Thread(() -> {
            try {
                script.run();
            } catch (Throwable t) {
                serverError.set(t);
            }
        }, "test-line-server");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private Socket accept() throws IOException {
        Socket socket = server.accept();
        synchronized (connectionsAccepted) {
            connectionsAccepted.add(socket.getPort());
        }
        return socket;
    }

    private static void sendLines(Socket socket, List<byte[]> lines) throws IOException {
        OutputStream out = socket.getOutputStream();
        for (byte[] line : lines) {
            out.write(line);
            out.write('\n');
        }
        out.flush();
    }

    private static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        env.configure(noRestarts);
        return env;
    }

    private static List<InputLine> passed() {
        synchronized (PASSED) {
            return new ArrayList<>(PASSED);
        }
    }

    private static List<InputLine> run(SocketLineSource source, int sourceParallelism) throws Exception {
        return run(source, sourceParallelism, new RecordPassed());
    }

    private static List<InputLine> run(SocketLineSource source, int sourceParallelism, RecordPassed first)
            throws Exception {
        StreamExecutionEnvironment env = environment();
        DataStream<InputLine> lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "socket")
                .setParallelism(sourceParallelism)
                .map(first)
                .setParallelism(1);
        List<InputLine> collected = new ArrayList<>();
        try (CloseableIterator<InputLine> results = lines.executeAndCollect("socket source test")) {
            results.forEachRemaining(collected::add);
        }
        return collected;
    }

    private SocketLineSource source() {
        return SocketLineSource.of(uri, true, RUN)
                .withReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .withFirstConnectTimeout(Duration.ofSeconds(10));
    }

    @Test
    void aResetConnectionFailsABoundedJobAfterEveryLineBeforeItByteExactAndNoneAfter() throws Exception {
        List<byte[]> corpus = Corpus.lines(Files.readAllBytes(Corpus.file(CORPUS)));
        assertTrue(corpus.size() > BREAK_AFTER + 50, "corpus has " + corpus.size() + " lines");
        Thread serverThread = serve(() -> {
            try (Socket first = accept()) {
                sendLines(first, corpus.subList(0, BREAK_AFTER));
                // Reset only once the job has read everything sent, so the lines before the break are known.
                awaitPassed(BREAK_AFTER);
                first.setSoLinger(true, 0); // close with a reset: a broken connection, not the end of the stream
            }
            try (Socket second = accept()) {
                sendLines(second, corpus.subList(BREAK_AFTER, corpus.size()));
            } catch (SocketException closedByTheTest) {
                // no reconnect came
            }
        });

        Exception failure = assertThrows(Exception.class, () -> run(source(), 1));
        server.close();
        serverThread.join(5_000);
        assertNull(serverError.get());

        assertBrokeAfter(failure, BREAK_AFTER);
        assertEquals(1, connectionsAccepted.size(), "no reconnect after the break");
        List<InputLine> lines = passed();
        assertEquals(BREAK_AFTER, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            InputLine line = lines.get(i);
            assertEquals(i + 1, line.lineNumber);
            assertEquals(uri, line.source);
            assertEquals(uri + "@" + RUN + "@1", line.sourceId, "line " + (i + 1));
            assertArrayEquals(corpus.get(i), line.bytes, "line " + (i + 1));
        }
    }

    @Test
    void aResetWithLinesUnreadFailsTheJobAndNeitherTheLinesAfterTheBreakNorALaterStateReachIt() throws Exception {
        int before = 50; // records, then a STATE as line 51
        AtomicLong linesWritten = new AtomicLong();
        Thread serverThread = serve(() -> {
            Socket first = accept();
            OutputStream out = first.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    for (long n = 1; ; n++) { // until the reset makes a write fail
                        out.write(generated(n, before));
                        out.write('\n');
                        linesWritten.set(n);
                    }
                } catch (IOException reset) {
                    // expected
                }
            }, "test-line-writer");
            writer.setDaemon(true);
            writer.start();
            if (!jobHeld.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("the job did not reach the line after the STATE");
            }
            // The job is held, so the reader's queue and the socket buffers fill until the writer waits.
            long seen = -1;
            while (linesWritten.get() != seen) {
                seen = linesWritten.get();
                Thread.sleep(500);
            }
            first.setSoLinger(true, 0);
            first.close(); // a reset: what the server has not sent yet is discarded
            releaseJob.countDown();
            writer.join(5_000);
            try (Socket second = accept()) { // a reconnect would get more lines and a later STATE
                sendLines(second, List.of(generated(1, 1), generated(2, 1)));
            } catch (SocketException closedByTheTest) {
                // no reconnect came
            }
        });

        Exception failure = assertThrows(Exception.class, () -> run(source(), 1, new HoldAfterTheFirstState()));
        server.close();
        serverThread.join(10_000);
        assertNull(serverError.get());

        List<InputLine> lines = passed();
        int emitted = lines.size();
        assertBrokeAfter(failure, emitted);
        assertEquals(1, connectionsAccepted.size(), "no reconnect after the break");
        assertTrue(emitted > before + 1, "the STATE and the line after it reached the job: " + emitted);
        assertTrue(emitted < linesWritten.get(), "lines the server had sent were lost: " + emitted + " of "
                + linesWritten.get() + " reached the job");
        for (int i = 0; i < emitted; i++) {
            InputLine line = lines.get(i);
            assertEquals(i + 1, line.lineNumber);
            assertEquals(uri + "@" + RUN + "@1", line.sourceId, "line " + (i + 1));
            assertArrayEquals(generated(i + 1, before), line.bytes, "line " + (i + 1));
        }
    }

    /** Line {@code n}: a RECORD, or the STATE if {@code n} is {@code stateAfter + 1}. */
    private static byte[] generated(long n, int stateAfter) {
        String line = n == stateAfter + 1
                ? "{\"type\":\"STATE\",\"state\":{\"data\":{\"cursor\":" + n + "}}}"
                : "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"n\":" + n + "},\"emitted_at\":1}}";
        return line.getBytes(StandardCharsets.UTF_8);
    }

    private static void awaitPassed(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (passed().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the job read only " + passed().size() + " lines");
            }
            Thread.sleep(10);
        }
    }

    /** The job failed with the reader's message about a break after line {@code lastLine} of connection 1. */
    private void assertBrokeAfter(Exception failure, int lastLine) {
        String expected = "socket input " + uri + ": connection 1 broke after line " + lastLine + " (";
        Optional<Throwable> cause = ExceptionUtils.findThrowableWithMessage(failure, expected);
        assertTrue(cause.isPresent(), () -> "no cause says '" + expected + "': " + ExceptionUtils.stringifyException(failure));
        String message = cause.get().getMessage();
        assertTrue(message.contains("no STATE after line " + lastLine + " is released"), message);
        assertTrue(message.contains(String.valueOf(cause.get().getCause())), message);
    }

    @Test
    void aServerThatSendsThreeLinesAndClosesEndsABoundedJobWithExactlyThoseLines() throws Exception {
        List<byte[]> sent = List.of(
                "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"one\"}}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"x\":1},\"emitted_at\":1}}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"STATE\",\"state\":{\"data\":{\"cursor\":\"Рома\"}}}".getBytes(StandardCharsets.UTF_8));
        Thread serverThread = serve(() -> {
            try (Socket socket = accept()) {
                sendLines(socket, sent);
            }
        });
        // Two readers: the one without the split ends at once.
        List<InputLine> lines = run(source(), 2);
        serverThread.join(5_000);
        assertNull(serverError.get());
        assertEquals(1, connectionsAccepted.size());
        assertEquals(3, lines.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, lines.get(i).lineNumber);
            assertEquals(uri + "@" + RUN + "@1", lines.get(i).sourceId);
            assertArrayEquals(sent.get(i), lines.get(i).bytes);
        }
    }

    @Test
    void aBoundedJobFailsNamingHostAndPortWhenNothingListens() throws Exception {
        int port = server.getLocalPort();
        server.close();
        SocketLineSource source = SocketLineSource.of(uri, true, RUN)
                .withReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .withFirstConnectTimeout(Duration.ofSeconds(1));
        long start = System.nanoTime();
        Exception failure = assertThrows(Exception.class, () -> run(source, 1));
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        String expected = "could not connect to " + host + ":" + port + " within 1 s";
        Optional<Throwable> cause = ExceptionUtils.findThrowableWithMessage(failure, expected);
        assertTrue(cause.isPresent(), () -> "no cause says '" + expected + "': " + ExceptionUtils.stringifyException(failure));
        assertTrue(cause.get().getMessage().contains(uri), cause.get().getMessage());
        assertTrue(millis >= 1_000 && millis < 20_000, "failed after " + millis + " ms");
    }

    @Test
    void anUnboundedJobRestoredFromACheckpointFailsNamingWhyInsteadOfGoingOnWithoutTheLinesInFlight() throws Exception {
        FAILED_ONCE.set(false);
        AtomicInteger nextText = new AtomicInteger(1);
        serve(() -> {
            while (!server.isClosed()) {
                try (Socket socket = accept()) {
                    OutputStream out = socket.getOutputStream();
                    while (true) { // until the reader goes away and a write fails
                        out.write(("L" + nextText.getAndIncrement() + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        Thread.sleep(5);
                    }
                } catch (IOException e) {
                    // the reader closed the connection, or the test closed the server
                }
            }
        });
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(100);
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        env.configure(restarts);
        SocketLineSource source = SocketLineSource.of(uri, false, RUN)
                .withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
        DataStream<InputLine> lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "socket")
                .map(new FailOnceAfterACheckpoint());

        // The limit only ends a job that went on after the restore; this one fails long before it.
        Exception failure = assertThrows(Exception.class, () -> lines.executeAndCollect("socket source restore test", 3000));

        assertTrue(FAILED_ONCE.get(), "the job failed once");
        String expected = "socket input " + uri + ": cannot resume from a checkpoint or savepoint taken after line ";
        Optional<Throwable> cause = ExceptionUtils.findThrowableWithMessage(failure, expected);
        assertTrue(cause.isPresent(), () -> "no cause says '" + expected + "': " + ExceptionUtils.stringifyException(failure));
        assertTrue(cause.get().getMessage().contains("on connection 1: a socket cannot replay"), cause.get().getMessage());
        assertEquals(1, connectionsAccepted.size(), "the restored reader did not connect");
    }

    static final AtomicBoolean FAILED_ONCE = new AtomicBoolean();

    /**
     * Fails the job once, on the first line after a checkpoint that completed holding at least 20
     * lines (so the reader had connected when its state was taken).
     */
    static final class FailOnceAfterACheckpoint implements MapFunction<InputLine, InputLine>, CheckpointedFunction,
            CheckpointListener {
        private final Map<Long, Long> seenAtCheckpoint = new HashMap<>();
        private long seen;
        private boolean checkpointed;

        @Override
        public InputLine map(InputLine line) {
            seen++;
            if (checkpointed && !FAILED_ONCE.getAndSet(true)) {
                throw new IllegalStateException("test failure at " + line);
            }
            return line;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            seenAtCheckpoint.put(context.getCheckpointId(), seen);
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (seenAtCheckpoint.getOrDefault(checkpointId, 0L) >= 20) {
                checkpointed = true;
            }
        }
    }

    /** Keeps the lines that reached the job's first operator, so a test sees them even when the job fails. */
    static class RecordPassed implements MapFunction<InputLine, InputLine> {
        @Override
        public InputLine map(InputLine line) throws Exception {
            PASSED.add(line);
            return line;
        }
    }

    /**
     * Also holds the job at the line after the first STATE until the test releases it, so that
     * the reader's queue and the socket buffers fill.
     */
    static final class HoldAfterTheFirstState extends RecordPassed {
        private boolean stateSeen;
        private boolean held;

        @Override
        public InputLine map(InputLine line) throws Exception {
            super.map(line);
            if (stateSeen && !held) {
                held = true;
                jobHeld.countDown();
                if (!releaseJob.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test did not release the job");
                }
            }
            if (new String(line.bytes, StandardCharsets.UTF_8).startsWith("{\"type\":\"STATE\"")) {
                stateSeen = true;
            }
            return line;
        }
    }
}
