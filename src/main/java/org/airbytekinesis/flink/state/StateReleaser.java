package org.airbytekinesis.flink.state;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.airbytekinesis.flink.source.AfterRead;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Holds each STATE message until every record before it is durable in Kinesis, then releases
 * it, in arrival order. The end of an input file is held the same way, and once released the
 * file is deleted or moved as {@code --after-read} says ({@link AfterRead}).
 *
 * <p>A STATE that arrives before the barrier of checkpoint N is released when checkpoint N
 * completes: by then every sink has flushed everything that came before that barrier (the
 * Kinesis sinks flush on checkpoint) and the barriers were aligned. The last states of a
 * bounded input are released by the final checkpoint, after the sinks' final flush. A state
 * whose checkpoint never completes is never released. Runs as a single subtask.
 */
public class StateReleaser extends AbstractStreamOperator<Void> implements OneInputStreamOperator<StateMessage, Void> {
    private static final long serialVersionUID = 1L;
    private static final long NOT_YET_COVERED = Long.MAX_VALUE;

    private final StateOutput output;
    private final AfterRead afterRead;

    /** Pending states in arrival order, each with the checkpoint that covers it. */
    private transient Deque<Pending> pending;
    private transient ListState<StateMessage> checkpointedPending;
    /**
     * Names the run for the output's duplicate check: the first job's id, kept across restores
     * (savepoints included, which start a job with a new id).
     */
    private transient ListState<String> checkpointedRunId;
    private transient String runId;
    private transient Counter released;
    private transient Histogram releaseMillis;
    /** STATEs (not end-of-file markers) in {@link #pending}. */
    private transient int heldStates;

    public StateReleaser(StateOutput output) {
        this(output, AfterRead.leave());
    }

    public StateReleaser(StateOutput output, AfterRead afterRead) {
        this.output = output;
        this.afterRead = afterRead;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        pending = new ArrayDeque<>();
        heldStates = 0;
        registerMetrics();
        checkpointedPending = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("pending-states", TypeInformation.of(StateMessage.class)));
        checkpointedRunId = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("run-id", String.class));
        runId = null;
        for (String restored : checkpointedRunId.get()) {
            runId = restored;
        }
        if (runId == null) {
            runId = getRuntimeContext().getJobInfo().getJobId().toString();
        }
        output.open(runId);
        if (context.isRestored()) {
            // Everything in the restored snapshot was covered by the checkpoint we restore from,
            // which is complete: those states are durable now.
            List<StateMessage> restored = new ArrayList<>();
            for (StateMessage state : checkpointedPending.get()) {
                restored.add(state);
            }
            release(context.getRestoredCheckpointId().getAsLong(), restored);
            checkpointedPending.clear();
        }
    }

    /**
     * What the operator of a long sync wants to see: STATEs released, STATEs held, how long the
     * oldest one has waited, and how long STATEs wait from arrival to release.
     */
    private void registerMetrics() {
        MetricGroup group = getMetricGroup();
        released = group.counter("statesReleased");
        group.gauge("statesHeld", (Gauge<Integer>) () -> heldStates);
        group.gauge("oldestHeldStateAgeMs", (Gauge<Long>) this::oldestHeldStateAgeMillis);
        // The last 1,000 releases: percentiles of the recent past, not of the whole sync.
        releaseMillis = group.histogram("stateReleaseMs", new DescriptiveStatisticsHistogram(1_000));
    }

    /**
     * How long the head of the queue has waited: a STATE, or the end of an input file, which
     * waits for the same checkpoint as the STATEs around it. Read by the metric reporter's
     * thread: a racy read of the head is fine for a gauge.
     */
    private long oldestHeldStateAgeMillis() {
        Pending head = pending.peekFirst();
        return head == null ? 0 : Math.max(0, System.currentTimeMillis() - head.arrivedAtMillis);
    }

    @Override
    public void processElement(StreamRecord<StateMessage> element) {
        StateMessage state = element.getValue();
        pending.addLast(new Pending(state, System.currentTimeMillis()));
        if (!state.isInputCompleted()) {
            heldStates++;
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<StateMessage> snapshot = new ArrayList<>(pending.size());
        for (Pending state : pending) {
            if (state.coveredBy == NOT_YET_COVERED) {
                state.coveredBy = context.getCheckpointId();
            }
            snapshot.add(state.message);
        }
        checkpointedPending.update(snapshot);
        checkpointedRunId.update(List.of(runId));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        List<StateMessage> covered = new ArrayList<>();
        long now = System.currentTimeMillis();
        while (!pending.isEmpty() && pending.peekFirst().coveredBy <= checkpointId) {
            Pending state = pending.pollFirst();
            covered.add(state.message);
            if (!state.message.isInputCompleted()) {
                heldStates--;
                releaseMillis.update(now - state.arrivedAtMillis);
            }
        }
        release(checkpointId, covered);
    }

    /** STATEs to the output first, then the files that are done. */
    private void release(long checkpointId, List<StateMessage> covered) throws IOException {
        if (covered.isEmpty()) {
            return;
        }
        List<StateMessage> states = new ArrayList<>(covered.size());
        for (StateMessage message : covered) {
            if (!message.isInputCompleted()) {
                states.add(message);
            }
        }
        if (!states.isEmpty()) {
            output.release(checkpointId, states);
            released.inc(states.size());
        }
        for (StateMessage message : covered) {
            if (message.isInputCompleted()) {
                afterRead.inputCompleted(message.completedInput);
            }
        }
    }

    @Override
    public void close() throws Exception {
        output.close();
        super.close();
    }

    /** For tests and the end-of-run summary. */
    int pendingCount() {
        return pending.size();
    }

    private static final class Pending {
        final StateMessage message;
        /** When it arrived here (wall clock, for the metrics). */
        final long arrivedAtMillis;
        long coveredBy = NOT_YET_COVERED;

        Pending(StateMessage message, long arrivedAtMillis) {
            this.message = message;
            this.arrivedAtMillis = arrivedAtMillis;
        }
    }
}
