package org.airbytekinesis.flink.sink;

import java.util.List;
import org.airbytekinesis.flink.airbyte.Utf8;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.awscore.exception.AwsServiceException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.exception.AbortedException;
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
 *       or an entry refused for good (a KMS key disabled). The connector treats only a few
 *       exception types as fatal and retries everything else at once, for ever; it does treat an
 *       {@link SdkClientException} as fatal, so the failure is handed to it as one, carrying a
 *       {@link PermanentKinesisError}.
 *   <li><b>Retryable errors are retried, with backoff, until the retry deadline.</b> The SDK
 *       retries a failed request itself, with backoff; entries that failed in an answered
 *       request (throttling) wait before the connector sends them again: a pause goes into the
 *       writer's mailbox ahead of the connector's own retry (this runs on the SDK's event loop,
 *       which must never wait). A lost
 *       connection, which the connector would fail the job on, is handed to it as a retryable
 *       error instead. When nothing has been written for longer than {@code retryDeadlineSeconds},
 *       the writer fails naming the last error. Retries are counted per stream
 *       ({@link RetryReport}).
 *   <li><b>Acknowledged bytes</b> go back to the writer's memory account.
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
        PutRecordsRequest request = (PutRecordsRequest) context.request();
        PutRecordsResponse response = (PutRecordsResponse) context.response();
        List<PutRecordsRequestEntry> sent = request.records();
        List<PutRecordsResultEntry> results = response.records();
        Integer failedCount = response.failedRecordCount();
        if (failedCount == null || failedCount == 0 || results.size() != sent.size()) {
            account.released(sizeOf(sent));
            account.progress();
            account.cleanRound();
            return response;
        }
        long writtenBytes = 0;
        int written = 0;
        Map<String, Long> failedByCode = new TreeMap<>();
        String permanent = null;
        String example = null;
        for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry result = results.get(i);
            if (result.errorCode() == null) {
                written++;
                writtenBytes += sizeOf(sent.get(i));
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
        if (permanent != null) {
            throw fatal(new PermanentKinesisError("Kinesis stream " + account.stream() + " refused records for good: "
                    + permanent, true));
        }
        RetryReport report = RetryReport.of(account.stream());
        failedByCode.forEach(report::entriesRetried);
        if (written > 0) {
            account.progress();
        } else {
            PermanentKinesisError pastDeadline = account.failed(example);
            if (pastDeadline != null) {
                throw fatal(pastDeadline);
            }
        }
        account.pauseWriter(account.backoffMillis(written > 0));
        return response;
    }

    @Override
    public Throwable modifyException(Context.FailedExecution context, ExecutionAttributes attributes) {
        Throwable failure = context.exception();
        if (account == null || !(context.request() instanceof PutRecordsRequest)
                || ExceptionUtils.findThrowable(failure, PermanentKinesisError.class).isPresent()) {
            return failure;
        }
        if (failure instanceof AwsServiceException) {
            AwsServiceException service = (AwsServiceException) failure;
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            String message = service.awsErrorDetails() == null ? service.getMessage() : service.awsErrorDetails().errorMessage();
            String error = (code == null ? "HTTP " + service.statusCode() : code) + ": " + message;
            if (KinesisErrors.isPermanentWriteError(code, service.statusCode())) {
                return fatal(account.fail(new PermanentKinesisError("Kinesis stream " + account.stream()
                        + " refused PutRecords: " + error, true)));
            }
            return retryOrGiveUp(failure, error);
        }
        if (failure instanceof AbortedException || ExceptionUtils.findThrowable(failure, InterruptedException.class).isPresent()) {
            return failure; // the writer is closing
        }
        return retryOrGiveUp(failure, failure.toString());
    }

    /** A retryable failure: retried by the connector, unless the deadline has passed. */
    private Throwable retryOrGiveUp(Throwable failure, String error) {
        RetryReport.of(account.stream()).requestRetried(error);
        PermanentKinesisError pastDeadline = account.failed(error);
        if (pastDeadline != null) {
            return fatal(pastDeadline);
        }
        // The connector fails the job on any SdkClientException (a connection lost for longer than
        // the SDK's own retries); without one anywhere in the chain it retries.
        return failure instanceof SdkClientException ? new RetryableKinesisError("Kinesis stream " + account.stream()
                + ": PutRecords failed and goes again: " + error) : failure;
    }

    /** The form the connector fails on: an {@link SdkClientException}, carrying ours. */
    private SdkClientException fatal(PermanentKinesisError error) {
        account.fail(error);
        return SdkClientException.builder().message(error.getMessage()).cause(error).build();
    }

    /** What Kinesis counts toward its limits: data plus partition key, in bytes. */
    static long sizeOf(List<PutRecordsRequestEntry> entries) {
        long bytes = 0;
        for (PutRecordsRequestEntry entry : entries) {
            bytes += sizeOf(entry);
        }
        return bytes;
    }

    private static long sizeOf(PutRecordsRequestEntry entry) {
        return entry.data().asByteArrayUnsafe().length + Utf8.encodedLength(entry.partitionKey());
    }

    /** A retryable PutRecords failure, in a form the connector does not take as fatal. */
    static final class RetryableKinesisError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RetryableKinesisError(String message) {
            super(message, null, false, false);
        }
    }
}
