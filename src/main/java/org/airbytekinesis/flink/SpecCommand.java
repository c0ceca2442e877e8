package org.airbytekinesis.flink;

import java.io.PrintStream;

/** {@code spec}: prints the destination's SPEC message. (Being written.) */
public final class SpecCommand {
    private final PrintStream stdout;

    public SpecCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    public void run() {
        throw new UnsupportedOperationException("spec is not written yet");
    }
}
