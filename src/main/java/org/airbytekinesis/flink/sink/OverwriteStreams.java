package org.airbytekinesis.flink.sink;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.StreamCreationConfig;
import org.airbytekinesis.flink.source.SyncStartSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The Kinesis streams of a sync's {@code overwrite} catalog streams, replaced once per sync: when
 * the job starts afresh (no checkpoint or savepoint restored) they are deleted and created anew
 * before any record is read; a job that restores state keeps them as they are, because they hold
 * the records this sync wrote before its snapshot, which the restored source will not read again.
 *
 * <p>This is decided by the job's source (see {@link SyncStartSource}), not by {@code main()}:
 * {@code main()} runs again on every resubmission from a savepoint ({@code flink run -s}), every
 * JobManager failover in application mode, and every restart, update or scaling of an Amazon
 * Managed Service for Apache Flink application, and it cannot tell those apart from a new sync.
 * Flink's restore of the source's state can.
 */
public final class OverwriteStreams implements SyncStartSource.SyncStart {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OverwriteStreams.class);

    private final KinesisConnection connection;
    private final List<String> streams;
    private final StreamCreationConfig creation;
    private final Duration readyTimeout;

    public OverwriteStreams(KinesisConnection connection, List<String> streams, StreamCreationConfig creation,
            Duration readyTimeout) {
        this.connection = connection;
        this.streams = List.copyOf(streams);
        this.creation = creation;
        this.readyTimeout = readyTimeout;
    }

    @Override
    public void freshStart() {
        if (streams.isEmpty()) {
            return;
        }
        LOG.info("Overwrite: a fresh start of the sync (no checkpoint or savepoint restored): replacing Kinesis streams {}",
                streams);
        withProvisioner(provisioner -> provisioner.replace(streams, creation));
    }

    @Override
    public void restored() {
        if (streams.isEmpty()) {
            return;
        }
        LOG.info("Overwrite: the job restored a checkpoint or savepoint, so Kinesis streams {} are NOT deleted: they"
                + " hold the records this sync wrote before it (only a fresh start of a sync deletes them)", streams);
        // A stream deleted by someone else in the meantime is created again, as for append.
        withProvisioner(provisioner -> provisioner.ensureActive(streams, creation));
    }

    private void withProvisioner(Consumer<StreamProvisioner> work) {
        try (KinesisClient client = KinesisClients.create(connection)) {
            work.accept(new StreamProvisioner(client, connection.where(), readyTimeout));
        } catch (SetupException e) {
            throw new SetupException(connection.redact(e.getMessage()), e);
        }
    }
}
