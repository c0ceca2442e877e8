package org.airbytekinesis.flink.testing;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Passes elements through, and fails the task once: at the first element after a checkpoint
 * completed and at least {@code afterElements} elements went through. Its state is static (the
 * MiniCluster runs in the test's JVM), so the restarted task does not fail again.
 */
public final class FailOnceAfterCheckpoint<T> implements MapFunction<T, T>, CheckpointListener {
    private static final long serialVersionUID = 1L;

    public static final AtomicBoolean FAILED = new AtomicBoolean();
    private static final AtomicBoolean CHECKPOINT_COMPLETED = new AtomicBoolean();
    private static final AtomicInteger SEEN = new AtomicInteger();

    private final int afterElements;

    public FailOnceAfterCheckpoint(int afterElements) {
        this.afterElements = afterElements;
    }

    /** Call before each test. */
    public static void reset() {
        FAILED.set(false);
        CHECKPOINT_COMPLETED.set(false);
        SEEN.set(0);
    }

    /** Whether a checkpoint completed since {@link #reset()}. */
    public static boolean checkpointCompleted() {
        return CHECKPOINT_COMPLETED.get();
    }

    @Override
    public T map(T value) {
        if (SEEN.incrementAndGet() > afterElements && CHECKPOINT_COMPLETED.get() && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("injected failure after a completed checkpoint");
        }
        return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        CHECKPOINT_COMPLETED.set(true);
    }
}
