package org.airbytekinesis.flink.state;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/** Where released STATE messages go. Opened and used by the state releaser's one subtask. */
public interface StateOutput extends Serializable {
    /** @param runId names the run; the same across its restores, savepoints included */
    void open(String runId) throws IOException;

    /**
     * Releases STATEs, in order. They must be out, and durable wherever the output keeps them,
     * when this returns: the platform resumes from what it saw.
     *
     * @param checkpointId the completed checkpoint that covers them
     */
    void release(long checkpointId, List<StateMessage> states) throws IOException;

    void close() throws IOException;
}
