package org.airbytekinesis.flink.testing;

import java.util.List;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;

/** A STATE output that keeps nothing: for runs that measure or check the records only. */
public final class DroppingStateOutput implements StateOutput {
    private static final long serialVersionUID = 1L;

    @Override
    public void open(String runId) {}

    @Override
    public void release(long checkpointId, List<StateMessage> states) {}

    @Override
    public void close() {}
}
