package org.airbytekinesis.flink;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * A problem with how the job was set up (arguments, config, catalog, streams), found before or
 * while the job starts. Its message is shown to the user as is, so it never holds a secret. A
 * restart would meet the same problem, so Flink treats this type as not recoverable.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public class SetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
        super(message);
    }

    public SetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
