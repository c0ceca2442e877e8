package org.airbytekinesis.flink;

import java.io.PrintStream;
import java.util.List;

/** {@code check --config FILE}: prints a CONNECTION_STATUS message. (Being written.) */
public final class CheckCommand {
    private final PrintStream stdout;

    public CheckCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    /** @param args the arguments after {@code check} */
    public void run(List<String> args) {
        throw new UnsupportedOperationException("check is not written yet");
    }
}
