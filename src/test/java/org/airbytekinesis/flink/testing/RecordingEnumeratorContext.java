package org.airbytekinesis.flink.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;

/**
 * A split enumerator's context for tests, in the test's own thread: it records assignments and
 * "no more splits" signals; a one-off async call runs at once, a periodic one when the test says
 * ({@link #runPeriodic}).
 */
public final class RecordingEnumeratorContext<SplitT extends SourceSplit> implements SplitEnumeratorContext<SplitT> {
    public final Map<Integer, List<SplitT>> assigned = new HashMap<>();
    public final List<Integer> noMoreSplits = new ArrayList<>();
    private final Map<Integer, ReaderInfo> readers = new HashMap<>();
    private Runnable periodic;

    /** @param registered the subtasks whose readers are registered */
    public RecordingEnumeratorContext(int... registered) {
        for (int subtask : registered) {
            readers.put(subtask, new ReaderInfo(subtask, "localhost"));
        }
    }

    /** The splits assigned to {@code reader} since the last take. */
    public List<SplitT> take(int reader) {
        List<SplitT> splits = assigned.remove(reader);
        return splits == null ? List.of() : splits;
    }

    /** Runs the periodic call (a watched directory's listing) once. */
    public void runPeriodic() {
        if (periodic == null) {
            throw new AssertionError("no periodic call was scheduled");
        }
        periodic.run();
    }

    @Override
    public SplitEnumeratorMetricGroup metricGroup() {
        return null;
    }

    @Override
    public void sendEventToSourceReader(int subtaskId, SourceEvent event) {}

    @Override
    public int currentParallelism() {
        return readers.size();
    }

    @Override
    public Map<Integer, ReaderInfo> registeredReaders() {
        return readers;
    }

    @Override
    public void assignSplits(SplitsAssignment<SplitT> assignment) {
        assignment.assignment().forEach((subtask, splits) ->
                assigned.computeIfAbsent(subtask, s -> new ArrayList<>()).addAll(splits));
    }

    @Override
    public void signalNoMoreSplits(int subtask) {
        noMoreSplits.add(subtask);
    }

    @Override
    public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler) {
        call(callable, handler);
    }

    @Override
    public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler, long initialDelay, long period) {
        periodic = () -> call(callable, handler);
    }

    private static <T> void call(Callable<T> callable, BiConsumer<T, Throwable> handler) {
        T result;
        try {
            result = callable.call();
        } catch (Throwable t) {
            handler.accept(null, t);
            return;
        }
        handler.accept(result, null);
    }

    @Override
    public void runInCoordinatorThread(Runnable runnable) {
        runnable.run();
    }
}
