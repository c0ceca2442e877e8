package org.airbytekinesis.flink.state;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints released STATE messages on standard output, one per line, as the Airbyte platform
 * reads them, and appends them to {@code --state-out FILE} when given (synced to disk).
 *
 * <p>After a restart from a checkpoint or a savepoint, states of that checkpoint can come round
 * again; the last line printed per run and input is remembered for the JVM's life, so each
 * STATE is printed once and never an older one after a newer one. That is exact for local runs,
 * where the job and this output share the JVM; a restore in another JVM may repeat the STATEs
 * of the checkpoint it restores.
 */
public final class ConsoleStateOutput implements StateOutput {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Long> LAST_PRINTED_LINE = new ConcurrentHashMap<>();

    private final String stateOutFile;
    private transient String jobId;
    private transient FileOutputStream file;

    /** @param stateOutFile a file to append to as well, or null */
    public ConsoleStateOutput(String stateOutFile) {
        this.stateOutFile = stateOutFile;
    }

    @Override
    public void open(String jobId) throws IOException {
        this.jobId = jobId;
        if (stateOutFile != null) {
            file = new FileOutputStream(stateOutFile, true);
        }
    }

    @Override
    public void write(StateMessage state) throws IOException {
        String key = jobId + "\n" + state.source;
        Long last = LAST_PRINTED_LINE.get(key);
        if (last != null && state.lineNumber <= last) {
            return;
        }
        PrintStream stdout = System.out;
        synchronized (stdout) {
            stdout.write(state.json);
            stdout.write('\n');
            stdout.flush();
        }
        if (file != null) {
            file.write(state.json);
            file.write('\n');
            file.flush();
            file.getFD().sync();
        }
        LAST_PRINTED_LINE.put(key, state.lineNumber);
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }
}
