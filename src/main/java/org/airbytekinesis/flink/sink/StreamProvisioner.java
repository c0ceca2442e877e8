package org.airbytekinesis.flink.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.StreamCreationConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Makes sure every Kinesis stream the job writes to exists and is ACTIVE before records reach it:
 * the sink treats a missing stream as fatal, and for a moment after CreateStream the stream is
 * not writable. A missing stream is created with {@code shardCount} shards; an existing one is
 * used as it is, unless an {@code overwrite} sync starts afresh ({@link #replace}).
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
     * Replaces streams for an {@code overwrite} sync: deletes each that exists (all deletions are
     * asked for first, then awaited, so many streams take the time of one), then creates them anew
     * and waits until they are ACTIVE and writable. Only the fresh start of a sync may call this
     * (see {@link OverwriteStreams}): it throws away everything the streams hold.
     */
    public void replace(Collection<String> streamNames, StreamCreationConfig creation) {
        List<String> deleting = new ArrayList<>();
        for (String stream : streamNames) {
            if (requestDeletion(stream)) {
                deleting.add(stream);
            }
        }
        for (String stream : deleting) {
            awaitGone(stream);
        }
        ensureActive(streamNames, creation);
    }

    /** Creates what is missing as provisioned streams of {@code shardCount} shards; see below. */
    public void ensureActive(Collection<String> streamNames, int shardCount) {
        ensureActive(streamNames, new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, shardCount, null));
    }

    /**
     * Creates what is missing (in the configured capacity mode, encrypted with the KMS key when
     * one is configured), then waits until every stream is ACTIVE and writable. Existing streams
     * are not changed.
     *
     * @return each stream's open shards once ACTIVE, in the order given
     */
    public Map<String, Integer> ensureActive(Collection<String> streamNames, StreamCreationConfig creation) {
        List<String> created = new ArrayList<>();
        for (String stream : streamNames) {
            if (createIfMissing(stream, creation)) {
                created.add(stream);
            }
        }
        Map<String, Integer> openShards = new LinkedHashMap<>();
        for (String stream : streamNames) {
            StreamDescriptionSummary active = awaitActive(stream);
            if (creation.kmsKeyId() != null && created.contains(stream)) {
                encrypt(stream, creation.kmsKeyId());
                active = awaitActive(stream);
            }
            probeWritePermission(stream);
            openShards.put(stream, active.openShardCount() == null ? 1 : active.openShardCount());
        }
        return openShards;
    }

    private void encrypt(String stream, String kmsKeyId) {
        LOG.info("Encrypting Kinesis stream {} with KMS key {}", stream, kmsKeyId);
        try {
            client.startStreamEncryption(b -> b.streamName(stream).encryptionType(EncryptionType.KMS).keyId(kmsKeyId));
        } catch (SdkException e) {
            throw new SetupException("cannot encrypt Kinesis stream " + stream + " with KMS key " + kmsKeyId + ": "
                    + KinesisErrors.explain("StartStreamEncryption", where, e), e);
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
            // Set.of(...).contains(null) throws: an error without a code (an HTTP 500, an emulator's) is no refusal.
            if (code != null
                    && (KinesisErrors.PERMISSION_ERRORS.contains(code) || KinesisErrors.CREDENTIAL_ERRORS.contains(code))) {
                throw new SetupException("cannot write to Kinesis stream " + stream + ": "
                        + KinesisErrors.explain("PutRecords", where, e), e);
            }
            LOG.debug("Write probe of {} answered {} (expected for an empty request)", stream, code);
        } catch (SdkException e) {
            throw new SetupException("cannot write to Kinesis stream " + stream + ": "
                    + KinesisErrors.explain("PutRecords", where, e), e);
        }
    }

    /** True when the stream existed and is being deleted now. */
    private boolean requestDeletion(String stream) {
        StreamDescriptionSummary summary = describe(stream);
        if (summary == null) {
            return false;
        }
        LOG.info("Overwrite: deleting Kinesis stream {} to replace its content", stream);
        if (summary.streamStatus() != StreamStatus.DELETING) {
            try {
                client.deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true));
            } catch (ResourceNotFoundException e) {
                return false;
            } catch (SdkException e) {
                throw new SetupException("cannot delete Kinesis stream " + stream + " for overwrite: " + KinesisErrors.explain("DeleteStream", where, e), e);
            }
        }
        return true;
    }

    private void awaitGone(String stream) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (describe(stream) != null) {
            if (System.nanoTime() > deadline) {
                throw new SetupException("Kinesis stream " + stream + " was not deleted within "
                        + readyTimeout.toSeconds() + " s (overwrite deletes it before writing)");
            }
            sleep();
        }
    }

    /** True when this call created the stream. */
    private boolean createIfMissing(String stream, StreamCreationConfig creation) {
        if (describe(stream) != null) {
            LOG.info("Kinesis stream {} exists; using it as it is", stream);
            return false;
        }
        LOG.info("Creating Kinesis stream {} ({})", stream, creation);
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            try {
                client.createStream(b -> {
                    b.streamName(stream);
                    if (creation.mode() == StreamCreationConfig.Mode.ON_DEMAND) {
                        b.streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND));
                    } else {
                        b.shardCount(creation.shardCount());
                    }
                });
                return true;
            } catch (ResourceInUseException e) {
                return false; // created meanwhile by someone else: fine
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

    private StreamDescriptionSummary awaitActive(String stream) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        StreamStatus last = null;
        while (true) {
            StreamDescriptionSummary summary = describe(stream);
            last = summary == null ? null : summary.streamStatus();
            if (last == StreamStatus.ACTIVE || last == StreamStatus.UPDATING) {
                // UPDATING streams (resharding) accept writes.
                return summary;
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
