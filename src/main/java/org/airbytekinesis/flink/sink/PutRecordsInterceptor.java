package org.airbytekinesis.flink.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.airbyte.Utf8;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.awscore.exception.AwsServiceException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.exception.SdkClientException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.Context;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import org.apache.flink.util.ExceptionUtils;

/**
 * Sees every PutRecords of the Kinesis sink's own client (the connector's shaded AWS SDK loads it
 * for each Kinesis client it builds, from
 * {@code org/apache/flink/kinesis/shaded/software/amazon/awssdk/services/kinesis/execution.interceptors}
 * in this jar), and gives the connector's retry loop what it lacks, without forking it:
 *
 * <ul>
 *   <li><b>Permanent errors fail the writer at once</b>, with the stream, the AWS error code and
 *       AWS's message ({@link KinesisErrors#isPermanentWriteError}): a request refused as a whole,
 *       or an entry refused for good (a KMS key disabled). The connector takes only a few
 *       exception types as fatal and retries everything else at once, for ever; it does fail on
 *       an {@link SdkClientException} among a failure's causes, so the failure is handed to it
 *       with one, carrying a {@link PermanentKinesisError}.
 *   <li><b>Retryable errors are retried, with backoff, until the retry deadline.</b> The SDK
 *       retries a failed request itself, with backoff (throttling, 5xx, lost connections); the
 *       connector then sends it again. Entries that failed in an answered request (throttling)
 *       wait before the connector sends them again: a pause goes into the writer's mailbox ahead
 *       of the connector's own retry (this runs on the SDK's event loop, which must never wait).
 *       When nothing has been written for longer than {@code retryDeadlineSeconds}, the writer
 *       fails naming the last error. Retries are counted per stream ({@link RetryReport}). A
 *       connection lost for longer than the SDK's own retries fails the job, as the connector
 *       decides; the job then restarts from its last checkpoint.
 *   <li><b>Acknowledged records</b> go back to the writer's memory account, with the room their
 *       request body took ({@link SinkWriterAccount#footprint}), and free their key for the next
 *       record of it ({@link KeyOrder}).
 *   <li><b>Aggregates in the wrong shard</b> (the stream was resharded since the writer read its
 *       shards) are reported to the writer, which fails so that the job restarts from its last
 *       checkpoint with the new shards.
 * </ul>
 *
 * The SDK makes one instance per client, while the connector builds the writer: it takes that
 * writer's {@link SinkWriterAccount}. A client built otherwise (none is) gets no account and is
 * left alone.
 */
public final class PutRecordsInterceptor implements ExecutionInterceptor {
    private final SinkWriterAccount account;

    public PutRecordsInterceptor() {
        this.account = SinkWriterAccount.CREATING.get();
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
        if (account == null || !(context.response() instanceof PutRecordsResponse)
                || !(context.request() instanceof PutRecordsRequest)) {
            return context.response();
        }
        List<PutRecordsRequestEntry> sent = ((PutRecordsRequest) context.request()).records();
        PutRecordsResponse response = (PutRecordsResponse) context.response();
        List<PutRecordsResultEntry> results = response.records();
        Integer failedCount = response.failedRecordCount();
        KeyOrder order = account.keyOrder();
        checkPlacement(sent, results);
        if (failedCount == null || failedCount == 0 || results.size() != sent.size()) {
            account.released(footprintOf(sent));
            account.acknowledged(sent);
            if (order != null) {
                sent.forEach(entry -> order.written(entry.partitionKey()));
            }
            account.progress();
            account.cleanRound();
            return response;
        }
        long writtenBytes = 0;
        List<PutRecordsRequestEntry> written = new ArrayList<>();
        Map<String, Long> failedByCode = new TreeMap<>();
        String permanent = null;
        String example = null;
        for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry result = results.get(i);
            if (result.errorCode() == null) {
                written.add(sent.get(i));
                writtenBytes += SinkWriterAccount.footprint(sizeOf(sent.get(i)));
                if (order != null) {
                    order.written(sent.get(i).partitionKey());
                }
                continue;
            }
            failedByCode.merge(result.errorCode(), 1L, Long::sum);
            String error = result.errorCode() + ": " + result.errorMessage();
            example = example == null ? error : example;
            if (permanent == null && KinesisErrors.isPermanentWriteError(result.errorCode(), 0)) {
                permanent = error;
            }
        }
        account.released(writtenBytes);
        account.acknowledged(written);
        if (permanent != null) {
            // Thrown here, the SDK fails the request with it (and hands it to modifyException).
            throw fatal(new PermanentKinesisError("Kinesis stream " + account.stream() + " refused records for good: "
                    + permanent, true));
        }
        RetryReport report = RetryReport.of(account.stream());
        failedByCode.forEach(report::entriesRetried);
        if (!written.isEmpty()) {
            account.progress();
        } else {
            PermanentKinesisError pastDeadline = account.failed(example);
            if (pastDeadline != null) {
                throw fatal(pastDeadline);
            }
        }
        account.pauseWriter(account.backoffMillis(!written.isEmpty()));
        return response;
    }

    @Override
    public Throwable modifyException(Context.FailedExecution context, ExecutionAttributes attributes) {
        Throwable failure = context.exception();
        if (account == null || !(context.request() instanceof PutRecordsRequest) || !(failure instanceof AwsServiceException)
                || ExceptionUtils.findThrowable(failure, PermanentKinesisError.class).isPresent()) {
            // A failure without an answer (a connection lost after the SDK's own retries) the
            // connector takes as fatal by itself: the job restarts from its last checkpoint.
            return failure;
        }
        AwsServiceException service = (AwsServiceException) failure;
        String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
        String message = service.awsErrorDetails() == null ? service.getMessage() : service.awsErrorDetails().errorMessage();
        String error = (code == null ? "HTTP " + service.statusCode() : code) + ": " + message;
        if (KinesisErrors.isPermanentWriteError(code, service.statusCode())) {
            return fatal(service, new PermanentKinesisError("Kinesis stream " + account.stream() + " refused PutRecords: "
                    + error, true));
        }
        RetryReport.of(account.stream()).requestRetried(error);
        PermanentKinesisError pastDeadline = account.failed(error);
        return pastDeadline == null ? failure : fatal(service, pastDeadline);
    }

    /**
     * The connector's fatal form of an answered failure. The SDK wants an exception of the same
     * type back, and the connector fails on an {@link SdkClientException} anywhere among the
     * causes: so it gets the same exception, caused by one that carries ours.
     */
    private AwsServiceException fatal(AwsServiceException failure, PermanentKinesisError error) {
        return failure.toBuilder().cause(fatal(error)).build();
    }

    /** An {@link SdkClientException} carrying ours: what the connector fails on. */
    private SdkClientException fatal(PermanentKinesisError error) {
        return SdkClientException.builder().message(error.getMessage()).cause(account.fail(error)).build();
    }

    /**
     * With aggregation, each written record must be in the shard the writer's map gives its key:
     * otherwise the stream was resharded, and the writer must aggregate again with the new shards.
     */
    private void checkPlacement(List<PutRecordsRequestEntry> sent, List<PutRecordsResultEntry> results) {
        ShardMap shards = account.shards();
        if (shards == null || results.size() != sent.size()) {
            return;
        }
        for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry result = results.get(i);
            if (result.errorCode() != null || result.shardId() == null) {
                continue;
            }
            String expected = shards.shardIdOf(sent.get(i).partitionKey());
            if (!expected.equals(result.shardId())) {
                account.misplaced("a record for " + expected + " went to " + result.shardId());
                return;
            }
        }
    }

    /** What the writer's account holds for these entries. */
    static long footprintOf(List<PutRecordsRequestEntry> entries) {
        long bytes = 0;
        for (PutRecordsRequestEntry entry : entries) {
            bytes += SinkWriterAccount.footprint(sizeOf(entry));
        }
        return bytes;
    }

    /** What Kinesis counts toward its limits: data plus partition key, in bytes. */
    private static long sizeOf(PutRecordsRequestEntry entry) {
        return entry.data().asByteArrayUnsafe().length + Utf8.encodedLength(entry.partitionKey());
    }
}
