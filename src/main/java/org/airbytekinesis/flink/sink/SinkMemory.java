package org.airbytekinesis.flink.sink;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of records the Kinesis sink writers of one TaskManager may hold, buffered and in
 * flight ({@code bufferMemoryMb}). Half of it is split evenly into a share every writer may
 * always use, so that each can make progress on its own; the other half is a pool of the
 * TaskManager (this JVM and class loader) that busy writers borrow from while idle ones use
 * nothing. A writer over its share that finds the pool empty sends what it holds and waits for
 * it to be written: the job backpressures instead of running out of memory. Records are counted
 * by {@link SinkWriterAccount#footprint}, the heap they take until Kinesis has them. A writer
 * that holds nothing always takes one record, overdrawing the pool if it must: the writers hold
 * at most the budget, or one record each when that is more.
 *
 * <p>The split is fixed when the job is built, from the number of sink writers a TaskManager can
 * run: the number of Kinesis sinks times its task slots.
 */
public final class SinkMemory implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_BUDGET_MB = 256;

    /** The pools of this JVM, by budget (jobs with the same budget in one class loader share one). */
    private static final Map<Long, AtomicLong> POOLS = new ConcurrentHashMap<>();

    private final long budgetBytes;
    private final long shareBytes;

    private SinkMemory(long budgetBytes, long shareBytes) {
        this.budgetBytes = budgetBytes;
        this.shareBytes = shareBytes;
    }

    /**
     * @param budgetMb the budget of one TaskManager
     * @param writersPerTaskManager sink writers one TaskManager runs at most
     */
    public static SinkMemory of(int budgetMb, int writersPerTaskManager) {
        long budget = budgetMb * 1024L * 1024L;
        return new SinkMemory(budget, Math.max(1, budget / 2 / Math.max(1, writersPerTaskManager)));
    }

    /** What one writer may always hold. */
    public long shareBytes() {
        return shareBytes;
    }

    /** The bytes the pool can lend, shared by the writers of this JVM. */
    AtomicLong pool() {
        return POOLS.computeIfAbsent(budgetBytes, b -> new AtomicLong(b / 2));
    }

    /** Takes {@code bytes} from the pool if it has them. */
    boolean borrow(long bytes) {
        AtomicLong pool = pool();
        while (true) {
            long available = pool.get();
            if (available < bytes) {
                return false;
            }
            if (pool.compareAndSet(available, available - bytes)) {
                return true;
            }
        }
    }

    /** Takes {@code bytes} from the pool even if it has less: it lends nothing until they are back. */
    void overdraw(long bytes) {
        pool().addAndGet(-bytes);
    }

    void giveBack(long bytes) {
        if (bytes > 0) {
            pool().addAndGet(bytes);
        }
    }

    @Override
    public String toString() {
        return (budgetBytes >> 20) + " MiB per TaskManager, " + shareBytes + " bytes per writer always";
    }
}
