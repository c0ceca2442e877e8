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
 *   <li>{@code lineNumber}: 1-based, counted over the whole run: it goes on across reconnects
 *       and after a restore from a checkpoint;
 *   <li>{@code bytes}: the line byte-exact, without its {@code \n} or {@code \r\n}, split as
 *       files are. A last line without a newline before the server closes the stream is a line;
 *       an incomplete line cut off by a broken connection is dropped.
 * </ul>
 *
 * <p><b>Connections.</b> There is one split, read by one reader (run the source with
 * parallelism 1; other readers end at once). When a connection cannot be made, or breaks, the
 * reader connects again after a pause that starts at 100 ms and doubles up to 5 s
 * ({@link #withReconnectBackoff}); it goes back to the start once a connection delivers a line.
 * Every reconnect is logged at WARN with its count. In <b>bounded</b> mode the end of the stream
 * (the server closes the connection cleanly) is the end of the input: the source finishes and
 * the job can end. A connection that breaks (reset, error) is reconnected in both modes, with
 * no time limit. In bounded mode the first connection must be made within 30 s
 * ({@link #withFirstConnectTimeout}), else the job fails with an error naming
 * {@code tcp://HOST:PORT}. In <b>unbounded</b> mode the end of a stream is a reason to
 * reconnect, and the reader tries forever.
 *
 * <p>Socket reads happen in a thread of their own, which hands lines over through a bounded
 * queue ({@link #withQueueCapacity}, 512 lines by default): when the job is back-pressured the
 * queue fills, the thread stops reading and TCP flow control slows the server down. The task
 * thread is never blocked by the socket.
 *
 * <p><b>Guarantees: a socket cannot replay.</b> A checkpoint holds only how many lines were
 * emitted (and connections made), so that line numbers go on after a restore. It cannot hold
 * the lines themselves, and the server cannot be asked to send them again. So at-least-once does
 * <em>not</em> hold across a failure for this source: when the job fails and restarts from its
 * last checkpoint, the lines read after that checkpoint (in flight in the job, in the reader's
 * queue, in socket buffers) are not read again; the reader connects anew and goes on with
 * whatever the server sends next. Those lines may or may not have reached Kinesis; STATE messages
 * among them are never printed, because their checkpoint never completed. In the same way, what
 * the server had sent when a connection broke, and the reader had not yet received, is lost. Lines
 * read after a restore also get line numbers (and possibly connection numbers) that lost lines
 * had, so the same {@code sourceId} and line number, hence the same position-based
 * {@code _airbyte_ab_id}, can belong to two different records. Without failures and broken
 * connections, every line the server sends reaches the job once, in order.
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
