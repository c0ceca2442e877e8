package org.airbytekinesis.flink.sink;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * A PutRecords failure that retrying cannot cure (a permission withdrawn, a KMS key disabled,
 * credentials expired, a record the stream will not take), or a retryable one that kept failing
 * past the retry deadline. Its message names the stream, the AWS error code and AWS's message,
 * and is what the run's final {@code error:} line and TRACE ERROR say. Restarting would meet the
 * same error, so Flink treats this type as not recoverable.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public final class PermanentKinesisError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean configuration;

    /**
     * @param configuration whether what must change is the setup (permissions, keys, credentials,
     *     records), as opposed to a service that kept failing
     */
    public PermanentKinesisError(String message, boolean configuration) {
        super(message);
        this.configuration = configuration;
    }

    public boolean isConfiguration() {
        return configuration;
    }
}
