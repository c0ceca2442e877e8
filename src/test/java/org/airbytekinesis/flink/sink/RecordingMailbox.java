package org.airbytekinesis.flink.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * A sink writer's task mailbox for tests: keeps each mail (to run it when the test says) and its
 * description; once {@link #closed}, refuses mails as a mailbox of an ending task does.
 */
final class RecordingMailbox implements MailboxExecutor {
    final List<ThrowingRunnable<? extends Exception>> mails = new ArrayList<>();
    final List<String> descriptions = new ArrayList<>();
    boolean closed;

    @Override
    public void execute(MailOptions options, ThrowingRunnable<? extends Exception> command, String description,
            Object... args) {
        if (closed) {
            throw new RejectedExecutionException("mailbox closed");
        }
        mails.add(command);
        descriptions.add(String.format(description, args));
    }

    @Override
    public void yield() {
        throw new UnsupportedOperationException("a writer never yields to its own mailbox here");
    }

    @Override
    public boolean tryYield() {
        return false;
    }

    @Override
    public boolean shouldInterrupt() {
        return false;
    }
}
