package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the split of a {@link SocketLineSource}. A {@link SocketLineFetcher} thread does the
 * blocking socket work and puts lines into a bounded queue (it blocks when the queue is full);
 * the task thread takes them out in {@link #pollNext}, numbers and emits them. When the queue is
 * empty, {@link #isAvailable} gives a future that the fetcher completes with its next item, so
 * the task thread sleeps instead of spinning. A broken connection comes through the same queue
 * (a {@link Break}, after the lines read before it), so the run fails only once those lines are
 * emitted and the STATEs among them can still be released.
 *
 * <p>All methods but {@link Handover#put} run in the task thread.
 */
final class SocketLineReader implements SourceReader<InputLine, SocketLineSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(SocketLineReader.class);

    private final SourceReaderContext context;
    private final SocketLineSource settings;
    private final String source;
    private final Handover handover;

    private SocketLineSplit split;
    private SocketLineFetcher fetcher;
    private long linesEmitted;
    private boolean finished;
    private boolean noMoreSplits;

    private long sourceIdConnection = -1;
    private String sourceId;

    SocketLineReader(SourceReaderContext context, SocketLineSource settings) {
        this.context = context;
        this.settings = settings;
        this.source = settings.endpoint().uri();
        this.handover = new Handover(settings.queueCapacity());
    }

    @Override
    public void start() {
        if (split == null) {
            context.sendSplitRequest();
        }
    }

    @Override
    public void addSplits(List<SocketLineSplit> splits) {
        for (SocketLineSplit added : splits) {
            if (split != null) {
                throw new IllegalStateException("socket source reader " + context.getIndexOfSubtask()
                        + " already reads " + split.splitId() + ", cannot take " + added);
            }
            if (!added.finished() && added.connections() > 0) {
                throw new IllegalStateException(cannotResume(added));
            }
            split = added;
            linesEmitted = added.linesEmitted();
            finished = added.finished();
            if (finished) {
                LOG.info("{}: restored a finished split, nothing more to read", source);
            } else {
                LOG.info("{}: reading from line {}, connection {} on", source, linesEmitted + 1, added.connections() + 1);
                fetcher = new SocketLineFetcher(settings, added.connections(), handover);
                fetcher.start();
            }
        }
        handover.wakeUp();
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        handover.wakeUp();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<InputLine> output) throws Exception {
        if (finished) {
            return InputStatus.END_OF_INPUT;
        }
        if (split == null) {
            return noMoreSplits ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
        }
        Object item = handover.poll();
        if (item == null) {
            return InputStatus.NOTHING_AVAILABLE;
        }
        if (item instanceof Line) {
            Line line = (Line) item;
            linesEmitted++;
            output.collect(new InputLine(source, sourceId(line.connection), linesEmitted, line.bytes));
            return handover.isEmpty() ? InputStatus.NOTHING_AVAILABLE : InputStatus.MORE_AVAILABLE;
        }
        if (item == END_OF_STREAM) {
            finished = true;
            LOG.info("{}: the server closed the stream; the input ends after {} lines", source, linesEmitted);
            return InputStatus.END_OF_INPUT;
        }
        if (item instanceof Break) {
            Break broken = (Break) item;
            throw new IOException(brokeAfter(broken), broken.error);
        }
        Throwable error = ((Failure) item).error;
        if (error instanceof IOException) {
            throw (IOException) error;
        }
        throw new IOException("socket input " + source + ": the reading thread failed: " + error, error);
    }

    /**
     * Why a split from a run that had connected cannot go on: the lines in flight at the snapshot,
     * and those the server sent after it, are gone, and a STATE read after a fresh connection
     * would be released as if it covered them.
     */
    private String cannotResume(SocketLineSplit restored) {
        return "socket input " + source + ": cannot resume from a checkpoint or savepoint taken "
                + position(restored.linesEmitted()) + " on connection " + restored.connections()
                + ": a socket cannot replay, so the lines the server sent after it are lost. Start a new run and"
                + " resume the Airbyte source from the last STATE the earlier run printed.";
    }

    /** Every line before the break has been emitted: {@code linesEmitted} is the last one. */
    private String brokeAfter(Break broken) {
        String noState = linesEmitted == 0 ? "no STATE is released" : "no STATE after line " + linesEmitted + " is released";
        return "socket input " + source + ": connection " + broken.connection + " broke " + position(linesEmitted)
                + " (" + broken.error + "); lines the server sent after it may be lost, so the run stops and "
                + noState + ". Resume the Airbyte source from the last STATE this run printed.";
    }

    private static String position(long lastLine) {
        return lastLine == 0 ? "before line 1" : "after line " + lastLine;
    }

    private String sourceId(long connection) {
        if (connection != sourceIdConnection) {
            sourceIdConnection = connection;
            sourceId = source + "@" + settings.runId() + "@" + connection;
        }
        return sourceId;
    }

    @Override
    public List<SocketLineSplit> snapshotState(long checkpointId) {
        if (split == null) {
            return List.of();
        }
        long connections = fetcher == null ? split.connections() : fetcher.connections();
        return List.of(new SocketLineSplit(split.splitId(), linesEmitted, connections, finished));
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        boolean ready = finished || (split == null && noMoreSplits);
        return handover.availability(ready);
    }

    @Override
    public void close() throws Exception {
        if (fetcher != null) {
            fetcher.close();
        }
    }

    /** A line as read, tagged with the number of its connection. */
    static final class Line {
        final long connection;
        final byte[] bytes;

        Line(long connection, byte[] bytes) {
            this.connection = connection;
            this.bytes = bytes;
        }
    }

    /** The server closed the stream cleanly, in bounded mode: the input ends. */
    static final Object END_OF_STREAM = new Object() {
        @Override
        public String toString() {
            return "END_OF_STREAM";
        }
    };

    /**
     * An established connection failed while being read: what the server sent after the last
     * line received may be lost. The reader fails the run with it once the lines before it are
     * emitted.
     */
    static final class Break {
        final long connection;
        final IOException error;

        Break(long connection, IOException error) {
            this.connection = connection;
            this.error = error;
        }
    }

    /** The fetcher gave up; the reader fails with this error once the lines before it are emitted. */
    static final class Failure {
        final Throwable error;

        Failure(Throwable error) {
            this.error = error;
        }
    }

    /**
     * The queue between the fetcher thread and the task thread, with the availability handshake:
     * the task thread takes a future only after seeing the queue empty, under the lock; the
     * fetcher completes the current future after every put, under the same lock. So an item put
     * after the check completes the future the check handed out, and none is missed.
     */
    static final class Handover {
        private static final CompletableFuture<Void> AVAILABLE = CompletableFuture.completedFuture(null);

        private final BlockingQueue<Object> queue;
        private final Object lock = new Object();
        private CompletableFuture<Void> pending;

        Handover(int capacity) {
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        /** Fetcher thread: waits while the queue is full. */
        void put(Object item) throws InterruptedException {
            queue.put(item);
            wakeUp();
        }

        Object poll() {
            return queue.poll();
        }

        boolean isEmpty() {
            return queue.isEmpty();
        }

        /** @param ready whether the reader has something to report besides queued items */
        CompletableFuture<Void> availability(boolean ready) {
            synchronized (lock) {
                if (ready || !queue.isEmpty()) {
                    return AVAILABLE;
                }
                if (pending == null) {
                    pending = new CompletableFuture<>();
                }
                return pending;
            }
        }

        /** Completes the future handed out, if any. */
        void wakeUp() {
            CompletableFuture<Void> toComplete;
            synchronized (lock) {
                toComplete = pending;
                pending = null;
            }
            if (toComplete != null) {
                toComplete.complete(null);
            }
        }
    }
}
