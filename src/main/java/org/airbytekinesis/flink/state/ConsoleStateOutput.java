package org.airbytekinesis.flink.state;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.airbytekinesis.flink.fs.PublishedFile;
import org.apache.flink.core.fs.Path;

/**
 * Prints released STATE messages on standard output, one per line, as the Airbyte platform
 * reads them, after writing them durably to {@code --state-out} when given
 * ({@link StateOutTarget}): a local file they are appended to and synced, or a directory (any
 * Flink file system) where each release becomes a new file
 * {@code run-<RUN>/checkpoint-<N>.jsonl} that appears only when complete. A STATE counts as
 * released only once it is there.
 *
 * <p>After a restart from a checkpoint or a savepoint, states of that checkpoint can come round
 * again; the last line printed per run and input is remembered for the JVM's life, so each
 * STATE is printed once and never an older one after a newer one. That is exact for local runs,
 * where the job and this output share the JVM; a restore in another JVM may print again the
 * STATEs of the checkpoint it restores (in a directory, the file of that checkpoint is kept).
 */
public final class ConsoleStateOutput implements StateOutput {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Long> LAST_PRINTED_LINE = new ConcurrentHashMap<>();

    private final String stateOut;
    private transient String runId;
    private transient FileOutputStream file;

    /** @param stateOut a resolved {@link StateOutTarget}, or null */
    public ConsoleStateOutput(String stateOut) {
        this.stateOut = stateOut;
    }

    @Override
    public void open(String runId) throws IOException {
        this.runId = runId;
        if (stateOut != null && !StateOutTarget.isDirectory(stateOut)) {
            file = new FileOutputStream(stateOut, true);
        }
    }

    @Override
    public void release(long checkpointId, List<StateMessage> states) throws IOException {
        List<StateMessage> unprinted = new ArrayList<>(states.size());
        for (StateMessage state : states) {
            Long last = LAST_PRINTED_LINE.get(key(state));
            if (last == null || state.lineNumber > last) {
                unprinted.add(state);
            }
        }
        if (unprinted.isEmpty()) {
            return;
        }
        if (file != null) {
            writeLines(file, unprinted);
            file.flush();
            file.getFD().sync();
        } else if (stateOut != null) {
            writeToDirectory(checkpointId, unprinted);
        }
        PrintStream stdout = System.out;
        synchronized (stdout) {
            writeLines(stdout, unprinted);
            stdout.flush();
        }
        for (StateMessage state : unprinted) {
            LAST_PRINTED_LINE.merge(key(state), state.lineNumber, Math::max);
        }
    }

    /**
     * One file per release, named by its checkpoint. When that file is there already, the
     * release repeats one made before a restore in another JVM: the completion of that checkpoint
     * released every STATE its snapshot held, into this file or an earlier one. It is kept, never
     * replaced (a failed write over it could leave neither).
     */
    private void writeToDirectory(long checkpointId, List<StateMessage> states) throws IOException {
        Path target = new Path(stateOut + "run-" + runId + "/" + String.format("checkpoint-%019d.jsonl", checkpointId));
        if (target.getFileSystem().exists(target)) {
            return;
        }
        PublishedFile out = PublishedFile.create(target, false);
        try {
            writeLines(out.stream(), states);
            out.publish();
        } catch (IOException | RuntimeException e) {
            out.discard();
            throw e;
        }
    }

    private static void writeLines(OutputStream out, List<StateMessage> states) throws IOException {
        for (StateMessage state : states) {
            out.write(state.json);
            out.write('\n');
        }
    }

    private String key(StateMessage state) {
        return runId + "\n" + state.source;
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }
}
