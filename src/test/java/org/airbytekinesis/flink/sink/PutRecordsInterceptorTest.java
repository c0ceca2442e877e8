package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.airbytekinesis.flink.aggregation.KplAggregate;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.awscore.exception.AwsServiceException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkBytes;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkRequest;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.exception.SdkClientException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.Context;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.interceptor.InterceptorContext;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.http.SdkHttpRequest;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.http.SdkHttpResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.KinesisException;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import org.apache.flink.metrics.SimpleCounter;
import org.junit.jupiter.api.Test;

/**
 * What the sink's interceptor makes of PutRecords answers and failures, as the writer sees it:
 * its memory account, its acknowledged-records metric, its key order, its pauses, the retry
 * deadline and the errors it fails with.
 */
class PutRecordsInterceptorTest {
    private static final String SHARD_0 = "shardId-000000000000";
    private static final String SHARD_1 = "shardId-000000000001";
    private static final String THROTTLED = "ProvisionedThroughputExceededException";


    /** The SDK's context of a failed call. */
    private static Context.FailedExecution failedCall(SdkRequest request, Throwable exception) {
        return new Context.FailedExecution() {
            @Override
            public Throwable exception() {
                return exception;
            }

            @Override
            public SdkRequest request() {
                return request;
            }

            @Override
            public Optional<SdkHttpRequest> httpRequest() {
                return Optional.empty();
            }

            @Override
            public Optional<SdkHttpResponse> httpResponse() {
                return Optional.empty();
            }

            @Override
            public Optional<SdkResponse> response() {
                return Optional.empty();
            }
        };
    }

    /** As the SDK makes it while the connector builds the writer's client. */
    private static PutRecordsInterceptor interceptorOf(SinkWriterAccount account) {
        SinkWriterAccount.CREATING.set(account);
        try {
            return new PutRecordsInterceptor();
        } finally {
            SinkWriterAccount.CREATING.remove();
        }
    }

    /** A budget of its own per test, so the JVM-wide pools of other tests do not mix in. */
    private static SinkWriterAccount account(String stream, int budgetMb, Duration retryDeadline) {
        return new SinkWriterAccount(stream, SinkMemory.of(budgetMb, 1), retryDeadline);
    }

    private static PutRecordsRequestEntry entry(String key, int dataBytes) {
        return entry(key, new byte[dataBytes]);
    }

    private static PutRecordsRequestEntry entry(String key, byte[] data) {
        return PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromByteArray(data)).build();
    }

    private static PutRecordsResultEntry written(String shard) {
        return PutRecordsResultEntry.builder().shardId(shard).sequenceNumber("49590338271490256608559692538361571095921575989136588898").build();
    }

    private static PutRecordsResultEntry refused(String code, String message) {
        return PutRecordsResultEntry.builder().errorCode(code).errorMessage(message).build();
    }

    private static PutRecordsResultEntry throttled() {
        return refused(THROTTLED, "Rate exceeded for shard " + SHARD_0);
    }

    private static PutRecordsResponse response(PutRecordsResultEntry... results) {
        int failed = (int) Arrays.stream(results).filter(r -> r.errorCode() != null).count();
        return PutRecordsResponse.builder().records(results).failedRecordCount(failed).build();
    }

    private static SdkResponse answer(PutRecordsInterceptor interceptor, List<PutRecordsRequestEntry> sent,
            PutRecordsResponse response) {
        PutRecordsRequest request = PutRecordsRequest.builder().streamName("orders").records(sent).build();
        return interceptor.modifyResponse(
                InterceptorContext.builder().request(request).response(response).build(), new ExecutionAttributes());
    }

    private static PutRecordsRequest putRecords() {
        return PutRecordsRequest.builder().streamName("orders").records(entry("k", 1)).build();
    }

    private static KinesisException serviceError(int status, String code, String message) {
        return (KinesisException) KinesisException.builder()
                .message(message)
                .statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
                .build();
    }

    private static PermanentKinesisError carried(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PermanentKinesisError) {
                return (PermanentKinesisError) t;
            }
        }
        return null;
    }

    @Test
    void anAnsweredRequestGivesItsRecordsRoomBackCountsThemAndNeedsNoPause() {
        SinkWriterAccount account = account("orders", 41, Duration.ofMinutes(5));
        SimpleCounter acknowledged = new SimpleCounter();
        account.countAcknowledgedInto(acknowledged);
        RecordingMailbox mailbox = new RecordingMailbox();
        account.attach(mailbox);
        // Each entry counts data plus key: 100 + 5 bytes; 105 + 4 * 36 (base64 of 107 / 3) + 32.
        long oneEntry = 105 + 140 + 32;
        long stillInFlight = 1000;
        assertTrue(account.tryHold(3 * oneEntry + stillInFlight));
        PutRecordsInterceptor interceptor = interceptorOf(account);

        PutRecordsResponse response = response(written(SHARD_0), written(SHARD_0), written(SHARD_0));
        assertSame(response, answer(interceptor, List.of(entry("key-1", 100), entry("key-2", 100), entry("key-3", 100)), response));
        assertEquals(stillInFlight, account.held(), "what the other requests took is still held");
        assertEquals(3, acknowledged.getCount());
        assertTrue(mailbox.mails.isEmpty(), "nothing to retry, so no pause");
        assertNull(account.fatal());
    }

    @Test
    void anAnswerWithoutAFailedCountWroteEverything() {
        SinkWriterAccount account = account("orders", 42, Duration.ofMinutes(5));
        SimpleCounter acknowledged = new SimpleCounter();
        account.countAcknowledgedInto(acknowledged);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        PutRecordsResponse response = PutRecordsResponse.builder().records(written(SHARD_0), written(SHARD_0)).build();
        assertSame(response, answer(interceptor, List.of(entry("a", 1), entry("b", 1)), response));
        assertEquals(2, acknowledged.getCount());
    }

    @Test
    void answersThatWriteNothingBackOffLongerEachTimeUntilOneWritesSomething() {
        SinkWriterAccount account = account("orders", 55, Duration.ofMinutes(5));
        PutRecordsInterceptor interceptor = interceptorOf(account);
        for (int i = 0; i < 6; i++) {
            answer(interceptor, List.of(entry("a", 1)), response(throttled()));
        }
        long next = account.backoffMillis(false);
        assertTrue(next >= 2_500 && next <= 5_000, next + " ms: after six answers that wrote nothing, near the 5 s cap");
        answer(interceptor, List.of(entry("a", 1), entry("b", 1)), response(written(SHARD_0), throttled()));
        next = account.backoffMillis(false);
        assertTrue(next >= 100 && next <= 200, next + " ms: an answer that wrote something started it over");
    }

    @Test
    void aCleanAnswerStartsTheBackoffOver() {
        SinkWriterAccount account = account("orders", 43, Duration.ofMinutes(5));
        PutRecordsInterceptor interceptor = interceptorOf(account);
        for (int i = 0; i < 5; i++) {
            answer(interceptor, List.of(entry("a", 1)), response(throttled()));
        }
        answer(interceptor, List.of(entry("a", 1)), response(written(SHARD_0)));
        long next = account.backoffMillis(false);
        assertTrue(next >= 100 && next <= 200, next + " ms: the first failure after a clean answer waits 100 to 200 ms");
    }

    @Test
    void onlyTheWrittenEntriesOfAPartlyFailedRequestGoBackAndTheWriterPausesBeforeTheRetry() {
        // A stream of its own: the retry reports are per stream for the whole JVM.
        String stream = "orders-" + UUID.randomUUID();
        SinkWriterAccount account = account(stream, 44, Duration.ofMinutes(5));
        SimpleCounter acknowledged = new SimpleCounter();
        account.countAcknowledgedInto(acknowledged);
        RecordingMailbox mailbox = new RecordingMailbox();
        account.attach(mailbox);
        long sentBytes = PutRecordsInterceptor.footprintOf(List.of(entry("a", 10), entry("bb", 20), entry("ccc", 30)));
        // 11 + 16 + 32, 22 + 32 + 32, 33 + 44 + 32 (base64: four bytes per three, rounded up)
        assertEquals(59 + 86 + 109, sentBytes);
        assertTrue(account.tryHold(sentBytes));
        PutRecordsInterceptor interceptor = interceptorOf(account);

        PutRecordsResponse response = response(written(SHARD_0), throttled(), written(SHARD_0));
        assertSame(response, answer(interceptor, List.of(entry("a", 10), entry("bb", 20), entry("ccc", 30)), response));
        assertEquals(86, account.held(), "the throttled entry goes again, so its room stays taken");
        assertEquals(2, acknowledged.getCount());
        assertEquals(1, mailbox.mails.size(), "a pause ahead of the connector's retry");
        assertNull(account.fatal());
        assertNull(RetryReport.of(stream).requestRetried("probe"),
                "the throttled entry was reported at once, so the next report is not due yet");
    }

    @Test
    void aRequestThatWroteSomethingStartsTheRetryDeadlineOver() {
        SinkWriterAccount account = account("orders", 45, Duration.ZERO);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        List<PutRecordsRequestEntry> two = List.of(entry("a", 1), entry("b", 1));
        answer(interceptor, two, response(throttled(), throttled()));
        answer(interceptor, two, response(written(SHARD_0), throttled()));
        answer(interceptor, two, response(throttled(), throttled()));
        answer(interceptor, two, response(written(SHARD_0), written(SHARD_0)));
        answer(interceptor, two, response(throttled(), throttled()));
        assertNull(account.fatal(), "each failure after some progress starts the deadline again");
    }

    @Test
    void requestsThatWriteNothingFailTheWriterPastTheRetryDeadlineNamingTheFirstErrorOfTheLast() {
        SinkWriterAccount account = account("orders", 46, Duration.ZERO);
        RecordingMailbox mailbox = new RecordingMailbox();
        account.attach(mailbox);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        List<PutRecordsRequestEntry> two = List.of(entry("a", 1), entry("b", 1));

        PutRecordsResponse first = response(throttled(), refused("InternalFailure", "Internal service failure"));
        assertSame(first, answer(interceptor, two, first), "the first failure only starts the deadline");
        assertEquals(1, mailbox.mails.size());
        SdkClientException e = assertThrows(SdkClientException.class, () -> answer(interceptor, two,
                response(refused("InternalFailure", "Internal service failure"), throttled())));
        PermanentKinesisError error = assertInstanceOf(PermanentKinesisError.class, e.getCause());
        assertEquals("Kinesis stream orders: PutRecords kept failing for 0 s, longer than retryDeadlineSeconds (0 s);"
                + " last error: InternalFailure: Internal service failure", error.getMessage());
        assertEquals(error.getMessage(), e.getMessage());
        assertFalse(error.isConfiguration(), "the service kept failing: nothing to change in the setup");
        assertSame(error, account.fatal(), "the writer fails with it");
    }

    @Test
    void anEntryRefusedForGoodFailsTheWriterAtOnceNamingStreamCodeAndMessageAndTheWrittenOnesStillCount() {
        SinkWriterAccount account = account("orders", 47, Duration.ofMinutes(5));
        SimpleCounter acknowledged = new SimpleCounter();
        account.countAcknowledgedInto(acknowledged);
        long sent = PutRecordsInterceptor.footprintOf(List.of(entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1)));
        assertTrue(account.tryHold(sent));
        PutRecordsInterceptor interceptor = interceptorOf(account);

        SdkClientException e = assertThrows(SdkClientException.class, () -> answer(interceptor,
                List.of(entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1)),
                response(written(SHARD_0), throttled(),
                        refused("KMSDisabledException", "The key is disabled"),
                        refused("KMSNotFoundException", "The key is gone"))));
        PermanentKinesisError error = carried(e);
        assertNotNull(error, "the connector fails on an SdkClientException that carries ours");
        assertEquals("Kinesis stream orders refused records for good: KMSDisabledException: The key is disabled",
                error.getMessage());
        assertTrue(error.isConfiguration(), "the key must be enabled again");
        assertSame(error, account.fatal());
        assertEquals(1, acknowledged.getCount(), "the one written record is durable");
        assertEquals(sent - sent / 4, account.held(), "and its room went back");
    }

    @Test
    void withPerKeyOrderAWrittenRecordLetsTheNextOfItsKeyGoAndAFailedOneDoesNot() {
        SinkWriterAccount account = new SinkWriterAccount("orders", SinkMemory.of(48, 1), Duration.ofMinutes(5), true);
        KeyOrder order = account.keyOrder();
        PutRecordsInterceptor interceptor = interceptorOf(account);
        for (String key : new String[] {"a", "b"}) {
            assertTrue(order.offer(new KinesisEnvelope("orders", key, new byte[1])));
            assertFalse(order.offer(new KinesisEnvelope("orders", key, new byte[2])), "the second of " + key + " waits");
        }
        answer(interceptor, List.of(entry("a", 1), entry("b", 1)), response(written(SHARD_0), throttled()));
        KinesisEnvelope next = order.nextReady();
        assertEquals("a", next.partitionKey);
        assertNull(order.nextReady(), "b's first record was not written: its second still waits");

        answer(interceptor, List.of(entry("b", 1), entry("a", 2)), response(written(SHARD_0), written(SHARD_0)));
        assertEquals("b", order.nextReady().partitionKey, "once written, b's second goes");
        assertFalse(order.hasWaiting());
    }

    @Test
    void withAggregationAWrongShardIsReportedOnceAndEachUserRecordIsCounted() {
        SinkWriterAccount account = new SinkWriterAccount("orders", SinkMemory.of(49, 1), Duration.ofMinutes(5), false, true);
        account.aggregatingFor(new ShardMap(List.of(new ShardMap.Shard(SHARD_0, "0"))));
        SimpleCounter acknowledged = new SimpleCounter();
        account.countAcknowledgedInto(acknowledged);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        KplAggregate aggregate = new KplAggregate();
        for (String key : new String[] {"a", "b", "c"}) {
            aggregate.add(key, key.getBytes(StandardCharsets.UTF_8));
        }
        PutRecordsRequestEntry three = entry("a", aggregate.toBytes());

        answer(interceptor, List.of(three, entry("d", 1)), response(written(SHARD_0), throttled()));
        assertNull(account.misplaced(), "in the right shard, and a failed entry has none");
        assertEquals(3, acknowledged.getCount(), "the aggregate's three user records");

        answer(interceptor, List.of(entry("d", 1), entry("e", 1), entry("f", 1)),
                response(written(SHARD_0), written(SHARD_1), written("shardId-000000000002")));
        assertEquals("a record for " + SHARD_0 + " went to " + SHARD_1, account.misplaced());
        answer(interceptor, List.of(entry("g", 1)), response(written("shardId-000000000003")));
        assertEquals("a record for " + SHARD_0 + " went to " + SHARD_1, account.misplaced(), "the first is kept");
    }

    @Test
    void otherCallsOfTheClientAndClientsWithoutAWriterAreLeftAlone() {
        SinkWriterAccount account = account("orders", 50, Duration.ZERO);
        assertTrue(account.tryHold(500));
        PutRecordsInterceptor interceptor = interceptorOf(account);
        ListShardsResponse shards = ListShardsResponse.builder().build();
        assertSame(shards, interceptor.modifyResponse(InterceptorContext.builder()
                .request(ListShardsRequest.builder().streamName("orders").build()).response(shards).build(),
                new ExecutionAttributes()));
        assertSame(shards, interceptor.modifyResponse(InterceptorContext.builder()
                .request(putRecords()).response(shards).build(), new ExecutionAttributes()));
        PutRecordsResponse written = response(written(SHARD_0));
        assertSame(written, interceptor.modifyResponse(InterceptorContext.builder()
                .request(ListShardsRequest.builder().streamName("orders").build()).response(written).build(),
                new ExecutionAttributes()));
        KinesisException denied = serviceError(400, "AccessDeniedException", "not authorized");
        assertSame(denied, interceptor.modifyException(
                failedCall(ListShardsRequest.builder().streamName("orders").build(), denied), new ExecutionAttributes()));
        assertEquals(500, account.held());
        assertNull(account.fatal());

        PutRecordsInterceptor unattached = new PutRecordsInterceptor();
        PutRecordsResponse refusedForGood = response(refused("KMSDisabledException", "The key is disabled"));
        assertSame(refusedForGood, answer(unattached, List.of(entry("a", 1)), refusedForGood));
        assertSame(denied, unattached.modifyException(failedCall(putRecords(), denied), new ExecutionAttributes()));
    }

    @Test
    void aFailureWithoutAnAnswerOrAlreadyCarryingOursIsHandedOnAsItIs() {
        SinkWriterAccount account = account("orders", 51, Duration.ZERO);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        SdkClientException lost = SdkClientException.create("Unable to execute HTTP request: Connection reset");
        assertSame(lost, interceptor.modifyException(failedCall(putRecords(), lost), new ExecutionAttributes()));
        assertSame(lost, interceptor.modifyException(failedCall(putRecords(), lost), new ExecutionAttributes()),
                "not counted against the retry deadline");
        KinesisException ours = (KinesisException) serviceError(400, "AccessDeniedException", "not authorized").toBuilder()
                .cause(SdkClientException.builder().cause(new PermanentKinesisError("x", true)).build()).build();
        assertSame(ours, interceptor.modifyException(failedCall(putRecords(), ours), new ExecutionAttributes()));
        assertNull(account.fatal());
    }

    @Test
    void aRequestRefusedForGoodFailsTheWriterWithTheSameExceptionTypeCarryingOurs() {
        SinkWriterAccount account = account("orders", 52, Duration.ofMinutes(5));
        PutRecordsInterceptor interceptor = interceptorOf(account);
        String denied = "User: arn:aws:iam::123456789012:user/sync is not authorized to perform: kinesis:PutRecords";
        Throwable failure = interceptor.modifyException(
                failedCall(putRecords(), serviceError(400, "AccessDeniedException", denied)), new ExecutionAttributes());
        assertInstanceOf(KinesisException.class, failure, "the SDK wants the same type back");
        assertInstanceOf(SdkClientException.class, failure.getCause(), "what the connector fails on");
        PermanentKinesisError error = assertInstanceOf(PermanentKinesisError.class, failure.getCause().getCause());
        assertEquals("Kinesis stream orders refused PutRecords: AccessDeniedException: " + denied, error.getMessage());
        assertTrue(error.isConfiguration());
        assertSame(error, account.fatal());
    }

    @Test
    void aRefusalWithoutAnErrorCodeIsNamedByItsHttpStatus() {
        SinkWriterAccount account = account("orders", 53, Duration.ofMinutes(5));
        PutRecordsInterceptor interceptor = interceptorOf(account);
        AwsServiceException forbidden = KinesisException.builder().message("Forbidden").statusCode(403).build();
        PermanentKinesisError error = carried(interceptor.modifyException(failedCall(putRecords(), forbidden),
                new ExecutionAttributes()));
        assertNotNull(error);
        assertTrue(error.getMessage().startsWith("Kinesis stream orders refused PutRecords: HTTP 403: Forbidden"),
                error.getMessage());
    }

    @Test
    void retryableRequestFailuresGoAgainUntilTheRetryDeadline() {
        SinkWriterAccount account = account("orders", 54, Duration.ZERO);
        PutRecordsInterceptor interceptor = interceptorOf(account);
        KinesisException internal = serviceError(500, "InternalFailure", "Internal service failure");
        assertSame(internal, interceptor.modifyException(failedCall(putRecords(), internal), new ExecutionAttributes()),
                "the connector retries it");
        assertNull(account.fatal());
        Throwable failure = interceptor.modifyException(failedCall(putRecords(), internal), new ExecutionAttributes());
        assertInstanceOf(KinesisException.class, failure);
        PermanentKinesisError error = carried(failure);
        assertNotNull(error, "past the deadline, the writer fails");
        assertEquals("Kinesis stream orders: PutRecords kept failing for 0 s, longer than retryDeadlineSeconds (0 s);"
                + " last error: InternalFailure: Internal service failure", error.getMessage());
        assertFalse(error.isConfiguration());
        assertSame(error, account.fatal());
    }
}
