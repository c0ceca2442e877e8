package org.airbytekinesis.flink.sink;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Makes sure every Kinesis stream the job writes to exists and is ACTIVE before the job starts:
 * the sink treats a missing stream as fatal, and for a moment after CreateStream the stream is
 * not writable. A missing stream is created with {@code shardCount} shards; an existing one is
 * used as it is, unless the catalog says to overwrite it.
 */
public final class StreamProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(StreamProvisioner.class);

    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);

    private final KinesisClient client;
    private final String where;
    private final Duration readyTimeout;

    public StreamProvisioner(KinesisClient client, Duration readyTimeout) {
        this(client, "Kinesis", readyTimeout);
    }

    /** @param where the endpoint as the user knows it, for messages */
    public StreamProvisioner(KinesisClient client, String where, Duration readyTimeout) {
        this.client = client;
        this.where = where;
        this.readyTimeout = readyTimeout;
    }

    /**
     * Prepares every stream for its sync mode, then waits until all are ACTIVE: an {@code append}
     * stream is created if missing; an {@code overwrite} stream is deleted if it exists (and
     * waited for until it is gone), then created anew.
     */
    public void prepare(Map<String, DestinationSyncMode> modeByStream, int shardCount) {
        for (Map.Entry<String, DestinationSyncMode> stream : modeByStream.entrySet()) {
            if (stream.getValue() == DestinationSyncMode.OVERWRITE) {
                deleteIfExists(stream.getKey());
            } else if (stream.getValue() != DestinationSyncMode.APPEND) {
                throw new IllegalArgumentException("sync mode " + stream.getValue() + " reached provisioning");
            }
        }
        ensureActive(modeByStream.keySet(), shardCount);
    }

    /** Creates what is missing, then waits until every stream is ACTIVE and writable. */
    public void ensureActive(Collection<String> streamNames, int shardCount) {
        for (String stream : streamNames) {
            createIfMissing(stream, shardCount);
        }
        for (String stream : streamNames) {
            awaitActive(stream);
            probeWritePermission(stream);
        }
    }

    /**
     * The sink would retry a refused PutRecords for ever, so a missing permission is found here:
     * a PutRecords without records writes nothing, and Kinesis checks permissions before it
     * rejects the empty request as invalid.
     */
    private void probeWritePermission(String stream) {
        try {
            client.putRecords(b -> b.streamName(stream).records(List.of()));
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            if (KinesisErrors.PERMISSION_ERRORS.contains(code) || KinesisErrors.CREDENTIAL_ERRORS.contains(code)) {
                throw new SetupException("cannot write to Kinesis stream " + stream + ": "
                        + KinesisErrors.explain("PutRecords", where, e), e);
            }
            LOG.debug("Write probe of {} answered {} (expected for an empty request)", stream, code);
        } catch (SdkException e) {
            throw new SetupException("cannot write to Kinesis stream " + stream + ": "
                    + KinesisErrors.explain("PutRecords", where, e), e);
        }
    }

    private void deleteIfExists(String stream) {
        StreamDescriptionSummary summary = describe(stream);
        if (summary == null) {
            return;
        }
        LOG.info("Overwrite: deleting Kinesis stream {} to replace its content", stream);
        if (summary.streamStatus() != StreamStatus.DELETING) {
            try {
                client.deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true));
            } catch (ResourceNotFoundException e) {
                return;
            } catch (SdkException e) {
                throw new SetupException("cannot delete Kinesis stream " + stream + " for overwrite: " + KinesisErrors.explain("DeleteStream", where, e), e);
            }
        }
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (describe(stream) != null) {
            if (System.nanoTime() > deadline) {
                throw new SetupException("Kinesis stream " + stream + " was not deleted within "
                        + readyTimeout.toSeconds() + " s (overwrite deletes it before writing)");
            }
            sleep();
        }
    }

    private void createIfMissing(String stream, int shardCount) {
        if (describe(stream) != null) {
            LOG.info("Kinesis stream {} exists; using it as it is", stream);
            return;
        }
        LOG.info("Creating Kinesis stream {} with {} shards", stream, shardCount);
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            try {
                client.createStream(b -> b.streamName(stream).shardCount(shardCount));
                return;
            } catch (ResourceInUseException e) {
                return; // created meanwhile by someone else: fine
            } catch (LimitExceededException e) {
                // Too many streams being created at once in the account: wait for room.
                if (System.nanoTime() > deadline) {
                    throw new SetupException("cannot create Kinesis stream " + stream + ": " + KinesisErrors.explain("CreateStream", where, e));
                }
                sleep();
            } catch (SdkException e) {
                throw new SetupException("cannot create Kinesis stream " + stream + ": " + KinesisErrors.explain("CreateStream", where, e), e);
            }
        }
    }

    private void awaitActive(String stream) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        StreamStatus last = null;
        while (true) {
            StreamDescriptionSummary summary = describe(stream);
            last = summary == null ? null : summary.streamStatus();
            if (last == StreamStatus.ACTIVE || last == StreamStatus.UPDATING) {
                // UPDATING streams (resharding) accept writes.
                return;
            }
            if (last == StreamStatus.DELETING) {
                throw new SetupException("Kinesis stream " + stream + " is being deleted; try again when it is gone");
            }
            if (System.nanoTime() > deadline) {
                throw new SetupException("Kinesis stream " + stream + " did not become ACTIVE within "
                        + readyTimeout.toSeconds() + " s (last status: " + (last == null ? "not found" : last) + ")");
            }
            sleep();
        }
    }

    /** The stream's summary, or null when it does not exist (yet). */
    private StreamDescriptionSummary describe(String stream) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            try {
                return client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary();
            } catch (ResourceNotFoundException e) {
                return null;
            } catch (LimitExceededException e) {
                // Control-plane calls are rate limited per account: back off and ask again.
                if (System.nanoTime() > deadline) {
                    throw new SetupException("cannot describe Kinesis stream " + stream + ": " + KinesisErrors.explain("DescribeStreamSummary", where, e), e);
                }
                sleep();
            } catch (SdkException e) {
                throw new SetupException("cannot describe Kinesis stream " + stream + ": " + KinesisErrors.explain("DescribeStreamSummary", where, e), e);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException("interrupted while waiting for Kinesis streams");
        }
    }
}
