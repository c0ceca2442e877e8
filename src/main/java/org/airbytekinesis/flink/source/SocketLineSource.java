package org.airbytekinesis.flink.source;

import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Reads AirbyteMessage lines from a TCP server: the source connects as a client to
 * {@code HOST:PORT}, where a server streams the lines (for instance
 * {@code source-x read | nc -lk PORT}), and emits every line as an {@link InputLine}:
 *
 * <ul>
 *   <li>{@code source}: {@code tcp://HOST:PORT};
 *   <li>{@code sourceId}: {@code tcp://HOST:PORT@RUN@N}, with RUN the run id given to
 *       {@link #of} and N the number of the connection the line came in on (1 for the run's
 *       first connection, counted over the run);
 *   <li>{@code lineNumber}: 1-based, counted over the whole run: it goes on across reconnects;
 *   <li>{@code bytes}: the line byte-exact, without its {@code \n} or {@code \r\n}, split as
 *       files are. A last line without a newline before the server closes the stream is a line;
 *       an incomplete line cut off by a broken connection is never emitted (the run fails).
 * </ul>
 *
 * <p><b>Connections.</b> There is one split, read by one reader (run the source with
 * parallelism 1; other readers end at once). When a connection cannot be made, the reader tries
 * again after a pause that starts at 100 ms and doubles up to 5 s ({@link #withReconnectBackoff});
 * it goes back to the start once a connection delivers a line. Every reconnect is logged at WARN
 * with its count. In <b>bounded</b> mode the end of the stream (the server closes the connection
 * cleanly) is the end of the input: the source finishes and the job can end; the first
 * connection must be made within 30 s ({@link #withFirstConnectTimeout}), else the job fails
 * with an error naming {@code tcp://HOST:PORT}. In <b>unbounded</b> mode the end of a stream is a
 * reason to reconnect (with the same backoff), and the reader tries forever. In both modes a
 * connection that <b>breaks</b> once made (reset, broken pipe, any read error) fails the run; see
 * below.
 *
 * <p>Socket reads happen in a thread of their own, which hands lines over through a bounded
 * queue ({@link #withQueueCapacity}, 512 lines by default): when the job is back-pressured the
 * queue fills, the thread stops reading and TCP flow control slows the server down. The task
 * thread is never blocked by the socket.
 *
 * <p><b>Guarantees: a socket cannot replay.</b> A checkpoint holds only how many lines were
 * emitted and connections made; it cannot hold the lines themselves, and the server cannot be
 * asked to send them again. A STATE released downstream tells the Airbyte platform that every
 * record before it is durable, so this source never emits a line after a point where lines may
 * have been lost:
 *
 * <ul>
 *   <li>A connection that breaks fails the run. What the server had sent and the reader had not
 *       received is gone, so going on over a new connection would let a later STATE cover lost
 *       lines. The reader first emits every complete line received before the break (the STATEs
 *       among them are released by the checkpoints that complete before the failure), then fails
 *       with an error naming the endpoint, the connection, the last line emitted and the I/O
 *       error.
 *   <li>A reader restored from a checkpoint or savepoint of a run that had connected fails at
 *       once: the lines in flight at the snapshot (in the job, the reader's queue, socket buffers)
 *       and those the server sent after it are gone. A finished split ends at once. A split
 *       without a connection yet starts like a new one, since nothing was read before its
 *       snapshot; it cannot tell whether the run connected after that snapshot, so lines read
 *       then would be lost unnoticed: do not restore a socket run (see below).
 *   <li>A clean close of the stream and a connection that cannot be made lose nothing: TCP
 *       delivered everything the server sent before closing, and nothing was sent to a
 *       connection that was never made.
 * </ul>
 *
 * <p>So, in a run that is not restored, every line the server sends on the run's connections
 * reaches the job once, in order, up to the break or other failure that ends the run, if any;
 * and a STATE released by the run covers every line the server sent before it.
 *
 * <p>What to do: treat a failure of a socket run as the end of the run. Run it without restarts
 * (as a run from standard input is), and run the Airbyte source so that it resumes from the last
 * STATE the destination printed: every record before that STATE is in Kinesis, and the resumed
 * source sends the records after it again, in a new run.
 */
public final class SocketLineSource
        implements Source<InputLine, SocketLineSplit, SocketLineEnumerator.State>, ResultTypeQueryable<InputLine> {
    private static final long serialVersionUID = 1L;

    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);
    public static final Duration DEFAULT_FIRST_CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How long one connection attempt may take (at most; the first-connect deadline may cut it short). */
    public static final Duration DEFAULT_CONNECT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_QUEUE_CAPACITY = 512;

    private final SocketEndpoint endpoint;
    private final boolean bounded;
    private final String runId;
    private final long initialBackoffMillis;
    private final long maxBackoffMillis;
    private final long firstConnectTimeoutMillis;
    private final long connectAttemptTimeoutMillis;
    private final int queueCapacity;

    private SocketLineSource(SocketEndpoint endpoint, boolean bounded, String runId, long initialBackoffMillis,
            long maxBackoffMillis, long firstConnectTimeoutMillis, long connectAttemptTimeoutMillis, int queueCapacity) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.bounded = bounded;
        this.runId = Objects.requireNonNull(runId, "runId");
        this.initialBackoffMillis = initialBackoffMillis;
        this.maxBackoffMillis = maxBackoffMillis;
        this.firstConnectTimeoutMillis = firstConnectTimeoutMillis;
        this.connectAttemptTimeoutMillis = connectAttemptTimeoutMillis;
        this.queueCapacity = queueCapacity;
    }

    /**
     * @param bounded whether the end of the server's stream ends the input (and the job)
     * @param runId identifies this run, the same across its restarts; part of every line's
     *     {@code sourceId}
     */
    public static SocketLineSource of(String host, int port, boolean bounded, String runId) {
        return of(SocketEndpoint.of(host, port), bounded, runId);
    }

    /** @param uri {@code tcp://HOST:PORT}, see {@link SocketEndpoint#parse} */
    public static SocketLineSource of(String uri, boolean bounded, String runId) {
        return of(SocketEndpoint.parse(uri), bounded, runId);
    }

    public static SocketLineSource of(SocketEndpoint endpoint, boolean bounded, String runId) {
        if (runId == null || runId.isEmpty()) {
            throw new IllegalArgumentException("socket input " + endpoint + ": empty run id");
        }
        return new SocketLineSource(endpoint, bounded, runId, DEFAULT_INITIAL_BACKOFF.toMillis(),
                DEFAULT_MAX_BACKOFF.toMillis(), DEFAULT_FIRST_CONNECT_TIMEOUT.toMillis(),
                DEFAULT_CONNECT_ATTEMPT_TIMEOUT.toMillis(), DEFAULT_QUEUE_CAPACITY);
    }

    /** The pause before a reconnect starts at {@code initial} and doubles up to {@code max}. */
    public SocketLineSource withReconnectBackoff(Duration initial, Duration max) {
        long initialMillis = positiveMillis(initial, "initial reconnect backoff");
        long maxMillis = positiveMillis(max, "maximum reconnect backoff");
        if (initialMillis > maxMillis) {
            throw new IllegalArgumentException("initial reconnect backoff " + initial + " is longer than the maximum " + max);
        }
        return new SocketLineSource(endpoint, bounded, runId, initialMillis, maxMillis, firstConnectTimeoutMillis,
                connectAttemptTimeoutMillis, queueCapacity);
    }

    /** Bounded mode only: how long the reader tries to make its first connection before the job fails. */
    public SocketLineSource withFirstConnectTimeout(Duration timeout) {
        return new SocketLineSource(endpoint, bounded, runId, initialBackoffMillis, maxBackoffMillis,
                positiveMillis(timeout, "first connect timeout"), connectAttemptTimeoutMillis, queueCapacity);
    }

    /** How long a single connection attempt may take before it counts as failed. */
    public SocketLineSource withConnectAttemptTimeout(Duration timeout) {
        return new SocketLineSource(endpoint, bounded, runId, initialBackoffMillis, maxBackoffMillis,
                firstConnectTimeoutMillis, positiveMillis(timeout, "connect attempt timeout"), queueCapacity);
    }

    /** Lines read ahead of the job at most; the reading thread waits when they are all unprocessed. */
    public SocketLineSource withQueueCapacity(int lines) {
        if (lines < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1 line, not " + lines);
        }
        return new SocketLineSource(endpoint, bounded, runId, initialBackoffMillis, maxBackoffMillis,
                firstConnectTimeoutMillis, connectAttemptTimeoutMillis, lines);
    }

    private static long positiveMillis(Duration duration, String what) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + duration);
        }
        return Math.max(1, duration.toMillis());
    }

    public SocketEndpoint endpoint() {
        return endpoint;
    }

    public boolean isBounded() {
        return bounded;
    }

    public String runId() {
        return runId;
    }

    public Duration initialBackoff() {
        return Duration.ofMillis(initialBackoffMillis);
    }

    public Duration maxBackoff() {
        return Duration.ofMillis(maxBackoffMillis);
    }

    public Duration firstConnectTimeout() {
        return Duration.ofMillis(firstConnectTimeoutMillis);
    }

    public Duration connectAttemptTimeout() {
        return Duration.ofMillis(connectAttemptTimeoutMillis);
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    @Override
    public Boundedness getBoundedness() {
        return bounded ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<InputLine, SocketLineSplit> createReader(SourceReaderContext readerContext) {
        return new SocketLineReader(readerContext, this);
    }

    @Override
    public SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> createEnumerator(
            SplitEnumeratorContext<SocketLineSplit> enumContext) {
        return new SocketLineEnumerator(enumContext, new SocketLineEnumerator.State(SocketLineSplit.initial(endpoint)));
    }

    @Override
    public SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> restoreEnumerator(
            SplitEnumeratorContext<SocketLineSplit> enumContext, SocketLineEnumerator.State checkpoint) {
        return new SocketLineEnumerator(enumContext, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<SocketLineSplit> getSplitSerializer() {
        return SocketLineSplit.Serializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<SocketLineEnumerator.State> getEnumeratorCheckpointSerializer() {
        return SocketLineEnumerator.StateSerializer.INSTANCE;
    }

    @Override
    public TypeInformation<InputLine> getProducedType() {
        return TypeInformation.of(InputLine.class);
    }

    @Override
    public String toString() {
        return "SocketLineSource{" + endpoint + (bounded ? ", bounded" : ", unbounded") + ", run " + runId + "}";
    }
}
