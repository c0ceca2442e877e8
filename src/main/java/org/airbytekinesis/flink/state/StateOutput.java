package org.airbytekinesis.flink.state;

import java.io.IOException;
import java.io.Serializable;

/** Where released STATE messages go. Opened and used by the state releaser's one subtask. */
public interface StateOutput extends Serializable {
    void open(String jobId) throws IOException;

    /** Writes one released STATE; it must be out (flushed) when this returns. */
    void write(StateMessage state) throws IOException;

    void close() throws IOException;
}
