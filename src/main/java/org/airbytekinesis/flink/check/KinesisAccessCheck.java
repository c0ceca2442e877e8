package org.airbytekinesis.flink.check;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;
import org.airbytekinesis.flink.sink.KinesisErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * What {@code check} asks of Kinesis: what a sync will do, on a stream of its own. It lists
 * streams (endpoint and credentials), then creates a probe stream with a fresh random name, waits
 * until it is ACTIVE, writes one record with PutRecords (the call the sink makes; IAM grants
 * PutRecord and PutRecords separately) and deletes the probe again. It never touches another
 * stream: the only stream it deletes is the one it created.
 */
public final class KinesisAccessCheck {
    private static final Logger LOG = LoggerFactory.getLogger(KinesisAccessCheck.class);

    public static final String PROBE_PREFIX = "airbyte_kinesis_check_";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final byte[] PROBE_RECORD =
            "{\"airbyte_kinesis_check\":true}".getBytes(StandardCharsets.UTF_8);

    private final KinesisClient client;
    private final String where;
    private final Duration readyTimeout;
    private final Duration cleanupTimeout;
    private final String probeStream;
    /** Whether the probe stream may exist now, so that it must be deleted. */
    private boolean probeMayExist;

    /**
     * @param where the endpoint as the user knows it, for messages
     * @param readyTimeout how long the probe stream may take to become ACTIVE
     * @param cleanupTimeout how long deleting it is retried while it is not deletable yet
     */
    public KinesisAccessCheck(KinesisClient client, String where, Duration readyTimeout, Duration cleanupTimeout) {
        this.client = client;
        this.where = where;
        this.readyTimeout = readyTimeout;
        this.cleanupTimeout = cleanupTimeout;
        this.probeStream = PROBE_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    public String probeStream() {
        return probeStream;
    }

    /**
     * Runs every step, once.
     *
     * @return what was checked, for the SUCCEEDED message
     * @throws CheckFailedException saying what is wrong, in words for the user
     */
    public String run() {
        call("ListStreams", () -> client.listStreams(b -> b.limit(1)));
        CheckFailedException failure = null;
        try {
            create();
            awaitActive();
            putRecord();
        } catch (CheckFailedException e) {
            failure = e;
        }
        String leftOver = probeMayExist ? delete() : null;
        if (leftOver != null) {
            failure = new CheckFailedException(failure == null ? leftOver : failure.getMessage() + "; also, " + leftOver);
        }
        if (failure != null) {
            throw failure;
        }
        return "Kinesis at " + where + ": listed streams, created stream " + probeStream
                + ", wrote a record to it and deleted it";
    }

    private void create() {
        LOG.info("check: creating probe stream {}", probeStream);
        // A call that fails without an answer (time-out) may still have created it.
        probeMayExist = true;
        try {
            client.createStream(b -> b.streamName(probeStream).shardCount(1));
        } catch (ResourceInUseException e) {
            // Someone else's stream of the same random name: leave it alone.
            probeMayExist = false;
            throw new CheckFailedException("a stream named " + probeStream + " exists already; run the check again");
        } catch (SdkException e) {
            probeMayExist = !(e instanceof AwsServiceException);
            throw new CheckFailedException(KinesisErrors.explain("CreateStream", where, e));
        }
    }

    private void awaitActive() {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        StreamStatus last = null;
        while (true) {
            try {
                last = client.describeStreamSummary(b -> b.streamName(probeStream))
                        .streamDescriptionSummary().streamStatus();
                if (last == StreamStatus.ACTIVE) {
                    return;
                }
            } catch (ResourceNotFoundException | LimitExceededException e) {
                // Not visible yet right after CreateStream, or rate limited: ask again.
            } catch (SdkException e) {
                throw new CheckFailedException(KinesisErrors.explain("DescribeStreamSummary", where, e));
            }
            if (System.nanoTime() > deadline) {
                throw new CheckFailedException("probe stream " + probeStream + " did not become ACTIVE within "
                        + readyTimeout.toSeconds() + " s (last status: " + (last == null ? "not found" : last) + ")");
            }
            if (!sleep()) {
                throw new CheckFailedException("interrupted while waiting for probe stream " + probeStream);
            }
        }
    }

    private void putRecord() {
        PutRecordsResponse response = call("PutRecords", () -> client.putRecords(b -> b
                .streamName(probeStream)
                .records(r -> r.partitionKey("check").data(SdkBytes.fromByteArray(PROBE_RECORD)))));
        Integer failed = response.failedRecordCount();
        if (failed != null && failed > 0) {
            // Refused per record, not per call: e.g. the stream's KMS key may not be used.
            PutRecordsResultEntry entry = response.records().get(0);
            throw new CheckFailedException("Kinesis at " + where + " did not take the probe record written to "
                    + probeStream + " (" + entry.errorCode() + ": " + entry.errorMessage() + ")");
        }
    }

    /** @return null when the probe stream is deleted (or never was), else what the user must know */
    private String delete() {
        LOG.info("check: deleting probe stream {}", probeStream);
        long deadline = System.nanoTime() + cleanupTimeout.toNanos();
        while (true) {
            try {
                client.deleteStream(b -> b.streamName(probeStream));
                return null;
            } catch (ResourceNotFoundException e) {
                return null;
            } catch (ResourceInUseException | LimitExceededException e) {
                // Still CREATING (not deletable yet), or rate limited: try again for a while.
                if (System.nanoTime() > deadline || !sleep()) {
                    return leftOver(KinesisErrors.explain("DeleteStream", where, e));
                }
            } catch (SdkException e) {
                return leftOver(KinesisErrors.explain("DeleteStream", where, e));
            }
        }
    }

    private String leftOver(String reason) {
        return "the probe stream " + probeStream + " could not be deleted, delete it by hand: " + reason;
    }

    private <T> T call(String action, Supplier<T> request) {
        try {
            return request.get();
        } catch (SdkException e) {
            throw new CheckFailedException(KinesisErrors.explain(action, where, e));
        }
    }

    /** @return false when interrupted */
    private static boolean sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
