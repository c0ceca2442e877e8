package org.airbytekinesis.flink.sink;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.airbytekinesis.flink.aggregation.KplAggregate;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * What one Kinesis sink writer holds and how its PutRecords fare, kept by the writer's wrapper
 * ({@link FlushOnCheckpointSink}, in the task thread) and by the interceptor of the writer's
 * Kinesis client ({@link PutRecordsInterceptor}, in the SDK's threads):
 *
 * <ul>
 *   <li>the {@link #footprint} of the records handed to the connector and not yet acknowledged
 *       by Kinesis, against the writer's {@link SinkMemory} share and what it borrowed from the
 *       TaskManager's pool;
 *   <li>since when its requests have failed without progress, and the last error, for the retry
 *       deadline;
 *   <li>the backoff before failed entries are retried;
 *   <li>with {@code ordering: per_key}, which keys have a record not yet written ({@link KeyOrder});
 *   <li>with aggregation, the shards it aggregates for, and whether Kinesis put a record elsewhere.
 * </ul>
 *
 * The interceptor is made by the SDK while the connector builds the writer's client, in the
 * thread that creates the writer: {@link #CREATING} hands this account over to it.
 */
final class SinkWriterAccount {
    /** Set around the creation of a writer; the interceptors its client makes take it. */
    static final ThreadLocal<SinkWriterAccount> CREATING = new ThreadLocal<>();

    private static final long INITIAL_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final String stream;
    private final SinkMemory memory;
    private final long retryDeadlineNanos;
    private final KeyOrder keyOrder;
    private volatile ShardMap shards;
    private volatile String misplaced;

    private long held; // guarded by this
    private long borrowed; // guarded by this
    private long failingSince; // guarded by this; 0 while requests succeed
    private int roundsWithFailures; // guarded by this
    private volatile PermanentKinesisError fatal;
    /** User records Kinesis acknowledged (a metric; SDK threads add to it, hence thread-safe). */
    private volatile Counter acknowledged = new ThreadSafeSimpleCounter();
    private volatile MailboxExecutor mailbox;
    /** The writer's task waits until then ({@link System#nanoTime}); overlapping pauses merge. */
    private final AtomicLong pausedUntil = new AtomicLong();

    SinkWriterAccount(String stream, SinkMemory memory, Duration retryDeadline) {
        this(stream, memory, retryDeadline, false);
    }

    SinkWriterAccount(String stream, SinkMemory memory, Duration retryDeadline, boolean perKeyOrder) {
        this(stream, memory, retryDeadline, perKeyOrder, false);
    }

    /**
     * @param aggregating whether the writer aggregates per shard: then {@code per_key} order is
     *     kept per shard, whose map {@link #aggregatingFor} gives before the first record goes
     */
    SinkWriterAccount(String stream, SinkMemory memory, Duration retryDeadline, boolean perKeyOrder, boolean aggregating) {
        this.stream = stream;
        this.memory = memory;
        this.retryDeadlineNanos = retryDeadline.toNanos();
        this.keyOrder = !perKeyOrder ? null : !aggregating ? new KeyOrder() : new KeyOrder(key -> shards.shardIdOf(key));
    }

    /** Counts acknowledged user records into the writer's metric. */
    void countAcknowledgedInto(Counter counter) {
        this.acknowledged = counter;
    }

    /** Kinesis acknowledged these Kinesis records: their user records are durable. */
    void acknowledged(List<PutRecordsRequestEntry> written) {
        long records = 0;
        boolean aggregating = shards != null;
        for (PutRecordsRequestEntry entry : written) {
            records += aggregating ? KplAggregate.userRecords(entry.data().asByteArrayUnsafe()) : 1;
        }
        acknowledged.inc(records);
    }

    /** The shards the writer aggregates for, once it knows them. */
    void aggregatingFor(ShardMap shards) {
        this.shards = shards;
    }

    /** The shards the writer aggregates for, or null. */
    ShardMap shards() {
        return shards;
    }

    /** The writer's share of the TaskManager's sink memory. */
    long shareBytes() {
        return memory.shareBytes();
    }

    /**
     * Kinesis put a record in another shard than the writer's shard map says: the stream was
     * resharded. The first such answer is kept; the writer then fails so that the job restarts
     * from its last checkpoint and aggregates again with the new shards.
     */
    void misplaced(String detail) {
        if (misplaced == null) {
            misplaced = detail;
        }
    }

    /** What {@link #misplaced} reported, or null. */
    String misplaced() {
        return misplaced;
    }

    /** The order of the writer's keys ({@code ordering: per_key}), or null. */
    KeyOrder keyOrder() {
        return keyOrder;
    }

    String stream() {
        return stream;
    }

    /** The mailbox of the writer's task, where the connector also handles its answers. */
    void attach(MailboxExecutor mailbox) {
        this.mailbox = mailbox;
    }

    /**
     * Holds the writer's task for {@code millis} before the connector gets to the answer that just
     * came: the pause goes into the mailbox first, so the entries that failed go again only after
     * it. While a stream is throttled, its task waits instead of sending the same entries again at
     * once (and the task's input backs up, as it would behind a full buffer).
     */
    void pauseWriter(long millis) {
        MailboxExecutor executor = mailbox;
        if (executor == null) {
            return;
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long before = pausedUntil.getAndAccumulate(until, Math::max);
        if (before >= until) {
            return; // a pause already waiting in the mailbox lasts longer
        }
        try {
            executor.execute(() -> {
                long left = pausedUntil.get() - System.nanoTime();
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left);
                }
            }, "backoff of Kinesis stream %s", stream);
        } catch (RejectedExecutionException e) {
            // the task is ending: nothing to retry any more
        }
    }

    // ---- memory -----------------------------------------------------------------------------

    /** The JSON around one entry of a PutRecords body: {@code {"Data":"","PartitionKey":""},}. */
    private static final long ENTRY_SYNTAX_BYTES = 32;

    /**
     * What a record of {@code entryBytes} (data plus partition key) costs the heap until Kinesis
     * has it: the entry the connector keeps for a retry, plus its part of the request body in
     * flight, where the data is base64 (a third larger). Heap dumps of a run with 100 KB records
     * and slow answers showed these two and nothing else of size per record; the SDK and its
     * transport share one body array.
     */
    static long footprint(long entryBytes) {
        return entryBytes + 4 * ((entryBytes + 2) / 3) + ENTRY_SYNTAX_BYTES;
    }

    /**
     * Takes {@code bytes} for a record about to be handed to the connector, within the share or
     * borrowed from the pool; false when neither has room (the caller then drains the writer).
     * A writer that holds nothing always gets its record, however large, so that it can make
     * progress: what its share lacks it borrows even from a pool without room, which then lends
     * nothing until that is back. So the writers together hold at most the budget, or one record
     * each if that is more.
     */
    synchronized boolean tryHold(long bytes) {
        long borrowNeeded = Math.max(0, held + bytes - memory.shareBytes()) - borrowed;
        if (borrowNeeded > 0) {
            if (held == 0) {
                memory.overdraw(borrowNeeded);
            } else if (!memory.borrow(borrowNeeded)) {
                return false;
            }
            borrowed += borrowNeeded;
        }
        held += bytes;
        return true;
    }

    /** Kinesis took {@code bytes}: what the writer no longer needs goes back to the pool. */
    synchronized void released(long bytes) {
        held = Math.max(0, held - bytes);
        long stillNeeded = Math.max(0, held - memory.shareBytes());
        if (borrowed > stillNeeded) {
            memory.giveBack(borrowed - stillNeeded);
            borrowed = stillNeeded;
        }
    }

    /** The writer sent and wrote everything it had (a drain, a checkpoint, its end). */
    synchronized void releasedAll() {
        held = 0;
        memory.giveBack(borrowed);
        borrowed = 0;
    }

    synchronized long held() {
        return held;
    }

    // ---- failures ---------------------------------------------------------------------------

    /** A request got at least one entry written: the deadline starts over. */
    synchronized void progress() {
        failingSince = 0;
    }

    /**
     * A request failed without writing anything (entirely, or every entry failed), retryably.
     *
     * @return the error to fail the writer with when the failures have outlasted the deadline
     */
    synchronized PermanentKinesisError failed(String error) {
        long now = System.nanoTime();
        if (failingSince == 0) {
            failingSince = now;
            return null;
        }
        if (now - failingSince <= retryDeadlineNanos) {
            return null;
        }
        return fail(new PermanentKinesisError("Kinesis stream " + stream + ": PutRecords kept failing for "
                + Duration.ofNanos(now - failingSince).toSeconds() + " s, longer than retryDeadlineSeconds ("
                + Duration.ofNanos(retryDeadlineNanos).toSeconds() + " s); last error: " + error, false));
    }

    /**
     * A response had entries that failed retryably: how long to wait before they go again. While
     * responses write nothing at all, the wait doubles with each, from 100 ms up to 5 s; one that
     * wrote something brings it back to 100 ms. With jitter, so the writers of a throttled stream
     * do not retry in step.
     *
     * @param wroteSome whether the response wrote some entries
     */
    synchronized long backoffMillis(boolean wroteSome) {
        roundsWithFailures = wroteSome ? 0 : roundsWithFailures + 1;
        long ceiling = Math.min(MAX_BACKOFF_MILLIS, INITIAL_BACKOFF_MILLIS << Math.min(16, roundsWithFailures));
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    /** A response without failed entries: the backoff starts over. */
    synchronized void cleanRound() {
        roundsWithFailures = 0;
    }

    /** Records the error the writer fails with; the first one is kept. */
    PermanentKinesisError fail(PermanentKinesisError error) {
        if (fatal == null) {
            fatal = error;
        }
        return fatal;
    }

    /** The error the writer must fail with, or null. */
    PermanentKinesisError fatal() {
        return fatal;
    }
}
