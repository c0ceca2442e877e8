package org.airbytekinesis.flink.check;

/** The check found a problem; the message says what it is, in words for the user. */
public final class CheckFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckFailedException(String message) {
        super(message);
    }
}
