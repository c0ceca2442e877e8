package org.airbytekinesis.flink;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * An input line the job cannot deliver. Replaying the same line fails the same way, so the job
 * must stop instead of restarting into the same error: Flink treats this type as not
 * recoverable.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadInputException(String source, long lineNumber, String reason) {
        super(source + " line " + lineNumber + ": " + reason);
    }
}
