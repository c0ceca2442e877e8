package org.airbytekinesis.flink;

/**
 * A problem with how the job was set up (arguments, config, catalog, streams), found before or
 * while the job starts. Its message is shown to the user as is, so it never holds a secret.
 */
public class SetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
        super(message);
    }

    public SetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
