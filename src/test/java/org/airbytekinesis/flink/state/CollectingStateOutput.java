package org.airbytekinesis.flink.state;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Keeps released states in memory, for operator-harness tests (the harness does not serialise it). */
class CollectingStateOutput implements StateOutput {
    private static final long serialVersionUID = 1L;

    final List<String> released = new ArrayList<>();
    boolean open;
    /** The run id the output was opened with. */
    String runId;

    @Override
    public void open(String jobId) {
        open = true;
        runId = jobId;
    }

    @Override
    public void release(long checkpointId, List<StateMessage> states) {
        for (StateMessage state : states) {
            released.add(new String(state.json, StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        open = false;
    }
}
