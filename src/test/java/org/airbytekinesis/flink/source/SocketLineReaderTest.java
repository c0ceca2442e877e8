package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader on its own, driven as Flink drives it: poll, and wait on the availability future. */
@Timeout(20)
class SocketLineReaderTest {
    private static final String RUN = "run-7";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private ServerSocket server;
    private String uri;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        uri = "tcp://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
        server.close();
    }

    private SocketLineSource source(boolean bounded) {
        return SocketLineSource.of(uri, bounded, RUN)
                .withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .withFirstConnectTimeout(Duration.ofSeconds(5));
    }

    private SocketLineReader reader(SocketLineSource source, SocketLineSplit split) {
        SocketLineReader reader = new SocketLineReader(new FakeReaderContext(), source);
        toClose.add(reader);
        if (split != null) {
            reader.addSplits(List.of(split));
        }
        reader.start();
        return reader;
    }

    private SocketLineSplit fresh() {
        return SocketLineSplit.initial(SocketEndpoint.parse(uri));
    }

    /** Polls until {@code count} lines or the end; waits only on the availability future, as Flink does. */
    private static InputStatus poll(SocketLineReader reader, CollectingOutput output, int count) throws Exception {
        InputStatus status = InputStatus.NOTHING_AVAILABLE;
        while (output.lines.size() < count) {
            status = reader.pollNext(output);
            if (status == InputStatus.END_OF_INPUT) {
                return status;
            }
            if (status == InputStatus.NOTHING_AVAILABLE) {
                if (output.lines.size() >= count) {
                    break;
                }
                reader.isAvailable().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        return status;
    }

    /** Accepts connections in a thread and runs each through the given steps. */
    private interface Connection {
        void serve(Socket socket) throws Exception;
    }

    private Thread serve(Connection... connections) {
        Thread thread = new Thread(() -> {
            for (Connection connection : connections) {
                try {
                    Socket socket = server.accept();
                    connection.serve(socket);
                } catch (Exception e) {
                    return;
                }
            }
        }, "test-server");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static Connection send(String text, boolean close) {
        return socket -> {
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (close) {
                socket.close();
            }
        };
    }

    /** Closes with a TCP reset, discarding whatever the server has not sent yet. */
    private static void resetConnection(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private static void assertLine(InputLine line, long number, String sourceId, String bytes) {
        assertEquals(number, line.lineNumber, "line number of " + line);
        assertEquals(sourceId, line.sourceId, "sourceId of " + line);
        assertArrayEquals(bytes.getBytes(StandardCharsets.UTF_8), line.bytes, "bytes of line " + number);
    }

    @Test
    void unboundedReaderReconnectsWhenTheServerClosesAndLineNumbersGoOn() throws Exception {
        List<String> warnings = captureWarnings();
        serve(send("a\nb\r\n", true), send("c\n\nd", true), send("e\n", false));
        SocketLineReader reader = reader(source(false), fresh());
        CollectingOutput output = new CollectingOutput();
        assertEquals(InputStatus.NOTHING_AVAILABLE, poll(reader, output, 6));
        assertEquals(6, output.lines.size());
        assertLine(output.lines.get(0), 1, uri + "@" + RUN + "@1", "a");
        assertLine(output.lines.get(1), 2, uri + "@" + RUN + "@1", "b");
        assertLine(output.lines.get(2), 3, uri + "@" + RUN + "@2", "c");
        assertLine(output.lines.get(3), 4, uri + "@" + RUN + "@2", "");
        assertLine(output.lines.get(4), 5, uri + "@" + RUN + "@2", "d");
        assertLine(output.lines.get(5), 6, uri + "@" + RUN + "@3", "e");
        for (InputLine line : output.lines) {
            assertEquals(uri, line.source);
        }
        SocketLineSplit snapshot = reader.snapshotState(1).get(0);
        assertEquals(new SocketLineSplit(uri, 6, 3, false), snapshot);
        assertTrue(warnings.stream().anyMatch(w -> w.contains("reconnect #1") && w.contains("closed connection 1")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("reconnect #2") && w.contains("closed connection 2")), warnings.toString());
    }

    @Test
    void unboundedReaderRetriesUntilTheServerListens() throws Exception {
        List<String> warnings = captureWarnings();
        int port = server.getLocalPort();
        server.close();
        SocketLineReader reader = reader(source(false), fresh());
        Thread.sleep(300);
        assertTrue(warnings.stream().anyMatch(w -> w.contains("cannot connect") && w.contains("reconnect #2")), warnings.toString());
        server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        serve(send("late\n", false));
        CollectingOutput output = new CollectingOutput();
        poll(reader, output, 1);
        assertLine(output.lines.get(0), 1, uri + "@" + RUN + "@1", "late");
    }

    @ParameterizedTest(name = "bounded: {0}")
    @ValueSource(booleans = {false, true})
    void aBrokenConnectionFailsTheReaderOnceEveryLineBeforeItIsEmittedAndIsNotReconnected(boolean bounded) throws Exception {
        CountDownLatch reset = new CountDownLatch(1);
        AtomicInteger accepted = new AtomicInteger();
        serve(socket -> {
            accepted.incrementAndGet();
            send("a\nb\n", false).serve(socket);
            reset.await();
            send("c\ncut-o", false).serve(socket);
            resetConnection(socket);
        }, socket -> {
            accepted.incrementAndGet();
            send("after\n{\"type\":\"STATE\",\"state\":{\"data\":{}}}\n", true).serve(socket);
        });
        SocketLineReader reader = reader(source(bounded), fresh());
        CollectingOutput output = new CollectingOutput();
        poll(reader, output, 2);
        reset.countDown();
        Thread.sleep(200); // the break is queued behind line 3
        IOException e = assertThrows(IOException.class, () -> poll(reader, output, Integer.MAX_VALUE));

        assertEquals(3, output.lines.size(), "the complete lines before the break, not the cut one");
        assertLine(output.lines.get(0), 1, uri + "@" + RUN + "@1", "a");
        assertLine(output.lines.get(1), 2, uri + "@" + RUN + "@1", "b");
        assertLine(output.lines.get(2), 3, uri + "@" + RUN + "@1", "c");
        assertTrue(e.getCause() instanceof SocketException, "cause: " + e.getCause());
        assertEquals("socket input " + uri + ": connection 1 broke after line 3 (" + e.getCause() + "); lines the server"
                + " sent after it may be lost, so the run stops and no STATE after line 3 is released. Resume the"
                + " Airbyte source from the last STATE this run printed.", e.getMessage());
        Thread.sleep(300); // many backoffs of 20 ms
        assertEquals(1, accepted.get(), "no reconnect after a break");
    }

    @Test
    void aConnectionResetBeforeAnyLineFailsTheReaderSayingNoStateIsReleased() throws Exception {
        CountDownLatch reset = new CountDownLatch(1);
        serve(socket -> {
            reset.await();
            resetConnection(socket);
        }, send("after\n", true));
        SocketLineReader reader = reader(source(false), fresh());
        // A reset while connecting is a failed attempt; this one must come after the connection is made.
        while (reader.snapshotState(1).get(0).connections() == 0) {
            Thread.sleep(5);
        }
        reset.countDown();
        CollectingOutput output = new CollectingOutput();
        IOException e = assertThrows(IOException.class, () -> poll(reader, output, Integer.MAX_VALUE));
        assertTrue(output.lines.isEmpty(), output.lines.toString());
        assertEquals("socket input " + uri + ": connection 1 broke before line 1 (" + e.getCause() + "); lines the server"
                + " sent after it may be lost, so the run stops and no STATE is released. Resume the Airbyte source from"
                + " the last STATE this run printed.", e.getMessage());
    }

    @Test
    void aReaderRestoredFromASplitThatHadConnectedFailsAtOnceWithoutConnecting() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        serve(socket -> {
            accepted.incrementAndGet();
            send("x\n", false).serve(socket);
        });
        FakeReaderContext context = new FakeReaderContext();
        SocketLineReader reader = new SocketLineReader(context, source(false));
        toClose.add(reader);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> reader.addSplits(List.of(new SocketLineSplit(uri, 41, 3, false))));
        assertEquals("socket input " + uri + ": cannot resume from a checkpoint or savepoint taken after line 41 on"
                + " connection 3: a socket cannot replay, so the lines the server sent after it are lost. Start a new"
                + " run and resume the Airbyte source from the last STATE the earlier run printed.", e.getMessage());
        Thread.sleep(200);
        assertEquals(0, accepted.get(), "the restored reader did not connect");
    }

    @Test
    void aReaderRestoredFromASplitWithoutAConnectionReadsLikeANewOne() throws Exception {
        serve(send("x\ny\n", false));
        FakeReaderContext context = new FakeReaderContext();
        SocketLineReader reader = new SocketLineReader(context, source(true));
        toClose.add(reader);
        reader.addSplits(List.of(new SocketLineSplit(uri, 0, 0, false)));
        reader.start();
        assertEquals(0, context.splitRequests, "a reader with a restored split asks for none");
        CollectingOutput output = new CollectingOutput();
        poll(reader, output, 2);
        assertLine(output.lines.get(0), 1, uri + "@" + RUN + "@1", "x");
        assertLine(output.lines.get(1), 2, uri + "@" + RUN + "@1", "y");
        assertEquals(new SocketLineSplit(uri, 2, 1, false), reader.snapshotState(5).get(0));
    }

    @Test
    void aFreshReaderAsksForTheSplitAndEndsWhenThereIsNoneForIt() throws Exception {
        FakeReaderContext context = new FakeReaderContext();
        SocketLineReader reader = new SocketLineReader(context, source(false));
        toClose.add(reader);
        reader.start();
        assertEquals(1, context.splitRequests);
        CollectingOutput output = new CollectingOutput();
        assertEquals(InputStatus.NOTHING_AVAILABLE, reader.pollNext(output));
        CompletableFuture<Void> available = reader.isAvailable();
        assertFalse(available.isDone());
        reader.notifyNoMoreSplits();
        assertTrue(available.isDone(), "no more splits wakes the task thread");
        assertEquals(InputStatus.END_OF_INPUT, reader.pollNext(output));
        assertTrue(reader.snapshotState(1).isEmpty());
    }

    @Test
    void pollNextNeverBlocksAndTheFutureCompletesWhenALineArrives() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        serve(socket -> {
            go.await();
            send("hello\n", false).serve(socket);
        });
        SocketLineReader reader = reader(source(true), fresh());
        CollectingOutput output = new CollectingOutput();
        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            assertEquals(InputStatus.NOTHING_AVAILABLE, reader.pollNext(output));
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "pollNext returns at once");
        CompletableFuture<Void> available = reader.isAvailable();
        Thread.sleep(200);
        assertFalse(available.isDone(), "nothing to read yet");
        go.countDown();
        available.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(InputStatus.NOTHING_AVAILABLE, reader.pollNext(output));
        assertLine(output.lines.get(0), 1, uri + "@" + RUN + "@1", "hello");
    }

    @Test
    void aSmallQueueHoldsTheReadingThreadBackWithoutLosingLines() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 5000; i++) {
            text.append("{\"n\":").append(i).append("}\n");
        }
        serve(send(text.toString(), true));
        SocketLineReader reader = reader(source(true).withQueueCapacity(2), fresh());
        CollectingOutput output = new CollectingOutput();
        Thread.sleep(200); // the thread fills the queue and waits
        assertEquals(InputStatus.END_OF_INPUT, poll(reader, output, Integer.MAX_VALUE));
        assertEquals(5000, output.lines.size());
        for (int i = 1; i <= 5000; i++) {
            assertLine(output.lines.get(i - 1), i, uri + "@" + RUN + "@1", "{\"n\":" + i + "}");
        }
        assertEquals(new SocketLineSplit(uri, 5000, 1, true), reader.snapshotState(3).get(0));
        assertTrue(reader.isAvailable().isDone());
        assertEquals(InputStatus.END_OF_INPUT, reader.pollNext(output));
    }

    @Test
    void aRestoredFinishedSplitEndsAtOnceWithoutConnecting() throws Exception {
        server.close();
        SocketLineReader reader = reader(source(true), new SocketLineSplit(uri, 10, 2, true));
        assertTrue(reader.isAvailable().isDone());
        assertEquals(InputStatus.END_OF_INPUT, reader.pollNext(new CollectingOutput()));
    }

    @Test
    void boundedReaderFailsNamingHostAndPortWhenItCannotConnectInTime() throws Exception {
        int port = server.getLocalPort();
        server.close();
        SocketLineReader reader = reader(source(true).withFirstConnectTimeout(Duration.ofMillis(300)), fresh());
        CollectingOutput output = new CollectingOutput();
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> poll(reader, output, 1));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("could not connect to " + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port
                + " within 300 ms"), e.getMessage());
        assertTrue(millis >= 200 && millis < 3000, "failed after " + millis + " ms");
    }

    @Test
    void closeStopsAReadingThreadThatWaitsOnTheSocket() throws Exception {
        CountDownLatch accepted = new CountDownLatch(1);
        serve(socket -> accepted.countDown());
        SocketLineReader reader = new SocketLineReader(new FakeReaderContext(), source(false));
        reader.addSplits(List.of(fresh()));
        assertTrue(accepted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        Thread.sleep(100);
        long start = System.nanoTime();
        reader.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "close returns quickly");
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("socket-line-reader " + uri) && t.isAlive()));
    }

    // --- helpers ---

    /** WARN and above from the fetcher, while this test runs (the test log config is OFF). */
    private List<String> captureWarnings() {
        List<String> messages = Collections.synchronizedList(new ArrayList<>());
        LoggerContext loggers = (LoggerContext) LogManager.getContext(false);
        String name = SocketLineFetcher.class.getName();
        AbstractAppender appender = new AbstractAppender("socket-test", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    messages.add(event.getMessage().getFormattedMessage());
                }
            }
        };
        appender.start();
        LoggerConfig config = new LoggerConfig(name, Level.WARN, false);
        config.addAppender(appender, Level.WARN, null);
        loggers.getConfiguration().addLogger(name, config);
        loggers.updateLoggers();
        toClose.add(() -> {
            loggers.getConfiguration().removeLogger(name);
            loggers.updateLoggers();
            appender.stop();
        });
        return messages;
    }

    static final class FakeReaderContext implements SourceReaderContext {
        int splitRequests;

        @Override
        public SourceReaderMetricGroup metricGroup() {
            return null;
        }

        @Override
        public Configuration getConfiguration() {
            return new Configuration();
        }

        @Override
        public String getLocalHostName() {
            return "localhost";
        }

        @Override
        public int getIndexOfSubtask() {
            return 0;
        }

        @Override
        public void sendSplitRequest() {
            splitRequests++;
        }

        @Override
        public void sendSourceEventToCoordinator(SourceEvent sourceEvent) {}

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return null;
        }
    }

    static final class CollectingOutput implements ReaderOutput<InputLine> {
        final List<InputLine> lines = new ArrayList<>();

        @Override
        public void collect(InputLine record) {
            lines.add(record);
        }

        @Override
        public void collect(InputLine record, long timestamp) {
            lines.add(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<InputLine> createOutputForSplit(String splitId) {
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}
