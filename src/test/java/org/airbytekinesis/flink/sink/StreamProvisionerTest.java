package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.StreamCreationConfig;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.CreateStreamRequest;
import software.amazon.awssdk.services.kinesis.model.CreateStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DeleteStreamRequest;
import software.amazon.awssdk.services.kinesis.model.DeleteStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StartStreamEncryptionRequest;
import software.amazon.awssdk.services.kinesis.model.StartStreamEncryptionResponse;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/** Stream creation, waiting and overwrite against a fake Kinesis control plane. */
class StreamProvisionerTest {
    private static final String WHERE = "http://localhost:4567";
    private static final Duration PATIENT = Duration.ofMinutes(5);
    /** Longer than one poll (250 ms), short enough for a unit test. */
    private static final Duration IMPATIENT = Duration.ofMillis(300);
    private static final StreamCreationConfig THREE_SHARDS = new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, 3,
            null);
    private static final StreamCreationConfig ON_DEMAND = new StreamCreationConfig(StreamCreationConfig.Mode.ON_DEMAND, 0, null);

    /**
     * Kinesis's stream API as far as the provisioner uses it. Each stream answers the statuses
     * queued for it in turn (the last one stays); a created stream is ACTIVE at once unless told
     * otherwise, a deleted one is DELETING for one more look and then gone. Errors queued for a
     * call ("create orders") are thrown, one per call, before anything else happens.
     */
    static class FakeKinesis implements KinesisClient {
        final Map<String, Deque<StreamStatus>> streams = new HashMap<>();
        final Map<String, Integer> openShards = new HashMap<>();
        final Map<String, Deque<SdkException>> errors = new HashMap<>();
        /** The calls, in order: "describe orders", "create orders", ... */
        final List<String> calls = new ArrayList<>();
        final List<CreateStreamRequest> creates = new ArrayList<>();
        final List<DeleteStreamRequest> deletes = new ArrayList<>();
        final List<StartStreamEncryptionRequest> encryptions = new ArrayList<>();
        final List<PutRecordsRequest> probes = new ArrayList<>();
        List<StreamStatus> afterCreate = List.of(StreamStatus.ACTIVE);

        /** A stream answering these statuses in turn; null: gone (deleted). */
        FakeKinesis stream(String name, Integer shards, StreamStatus... statuses) {
            streams.put(name, new LinkedList<>(Arrays.asList(statuses)));
            openShards.put(name, shards);
            return this;
        }

        FakeKinesis failing(String call, SdkException... failures) {
            errors.computeIfAbsent(call, c -> new ArrayDeque<>()).addAll(List.of(failures));
            return this;
        }

        private void call(String call) {
            calls.add(call);
            Deque<SdkException> queued = errors.get(call);
            if (queued != null && !queued.isEmpty()) {
                throw queued.poll();
            }
        }

        @Override
        public DescribeStreamSummaryResponse describeStreamSummary(DescribeStreamSummaryRequest request) {
            String name = request.streamName();
            call("describe " + name);
            Deque<StreamStatus> statuses = streams.get(name);
            if (statuses == null) {
                throw ResourceNotFoundException.builder().message("Stream " + name + " not found").build();
            }
            StreamStatus status = statuses.size() > 1 ? statuses.poll() : statuses.peek();
            if (status == null) { // deleted
                streams.remove(name);
                throw ResourceNotFoundException.builder().message("Stream " + name + " not found").build();
            }
            return DescribeStreamSummaryResponse.builder().streamDescriptionSummary(StreamDescriptionSummary.builder()
                    .streamName(name).streamStatus(status).openShardCount(openShards.get(name)).build()).build();
        }

        @Override
        public CreateStreamResponse createStream(CreateStreamRequest request) {
            call("create " + request.streamName());
            creates.add(request);
            if (streams.containsKey(request.streamName())) {
                throw ResourceInUseException.builder().message("Stream " + request.streamName() + " exists").build();
            }
            streams.put(request.streamName(), new LinkedList<>(afterCreate));
            openShards.put(request.streamName(), request.shardCount() == null ? 4 : request.shardCount());
            return CreateStreamResponse.builder().build();
        }

        @Override
        public DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
            call("delete " + request.streamName());
            deletes.add(request);
            if (!streams.containsKey(request.streamName())) {
                throw ResourceNotFoundException.builder().message("Stream " + request.streamName() + " not found").build();
            }
            stream(request.streamName(), openShards.get(request.streamName()), StreamStatus.DELETING, null);
            return DeleteStreamResponse.builder().build();
        }

        @Override
        public StartStreamEncryptionResponse startStreamEncryption(StartStreamEncryptionRequest request) {
            call("encrypt " + request.streamName());
            encryptions.add(request);
            stream(request.streamName(), openShards.get(request.streamName()), StreamStatus.UPDATING, StreamStatus.ACTIVE);
            return StartStreamEncryptionResponse.builder().build();
        }

        @Override
        public PutRecordsResponse putRecords(PutRecordsRequest request) {
            call("putRecords " + request.streamName());
            probes.add(request);
            // Kinesis rejects a request without records once it has checked permissions.
            throw awsError("InvalidArgumentException", 400, "Records must have at least 1 item");
        }

        long describes(String stream) {
            return calls.stream().filter(("describe " + stream)::equals).count();
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {}
    }

    private static AwsServiceException awsError(String code, int status, String message) {
        return AwsServiceException.builder().statusCode(status).message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    }

    private static LimitExceededException rateExceeded() {
        return (LimitExceededException) LimitExceededException.builder().statusCode(400).message("Rate exceeded")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("LimitExceededException").errorMessage("Rate exceeded")
                        .build())
                .build();
    }

    private static AwsServiceException accessDenied(String action) {
        return awsError("AccessDeniedException", 400, "User is not authorized to perform: kinesis:" + action);
    }

    // ---- ensureActive -------------------------------------------------------------------------

    @Test
    void aMissingStreamIsCreatedWithTheShardCountAndUsedOnceActive() {
        FakeKinesis kinesis = new FakeKinesis();

        Map<String, Integer> open = new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS);

        assertEquals(Map.of("orders", 3), open);
        assertEquals(1, kinesis.creates.size());
        assertEquals("orders", kinesis.creates.get(0).streamName());
        assertEquals(3, kinesis.creates.get(0).shardCount());
        assertNull(kinesis.creates.get(0).streamModeDetails(), "provisioned is Kinesis's default mode");
        assertEquals(List.of("describe orders", "create orders", "describe orders", "putRecords orders"), kinesis.calls);
    }

    @Test
    void anOnDemandStreamIsCreatedInOnDemandModeWithoutAShardCount() {
        FakeKinesis kinesis = new FakeKinesis();

        new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), ON_DEMAND);

        assertEquals(StreamMode.ON_DEMAND, kinesis.creates.get(0).streamModeDetails().streamMode());
        assertNull(kinesis.creates.get(0).shardCount());
    }

    @Test
    void theShardCountOnlyFormOfEnsureActiveCreatesProvisionedStreams() {
        FakeKinesis kinesis = new FakeKinesis();

        new StreamProvisioner(kinesis, PATIENT).ensureActive(List.of("orders"), 2);

        assertEquals(2, kinesis.creates.get(0).shardCount());
    }

    @Test
    void existingStreamsAreUsedAsTheyAreAndTheirOpenShardsReportedInTheOrderGiven() {
        FakeKinesis kinesis = new FakeKinesis().stream("b", 5, StreamStatus.ACTIVE).stream("a", 2, StreamStatus.UPDATING)
                .stream("emulated", null, StreamStatus.ACTIVE);

        Map<String, Integer> open = new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("b", "a", "emulated"),
                THREE_SHARDS);

        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("b", 5);
        expected.put("a", 2); // UPDATING (resharding) streams take writes
        expected.put("emulated", 1); // a summary without the count: one shard
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(open.entrySet()));
        assertEquals(List.of(), kinesis.creates);
        assertEquals(3, kinesis.probes.size(), "each stream's write permission was checked");
    }

    @Test
    void itWaitsUntilANewStreamIsActive() {
        FakeKinesis kinesis = new FakeKinesis();
        kinesis.afterCreate = List.of(StreamStatus.CREATING, StreamStatus.ACTIVE);

        Map<String, Integer> open = new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS);

        assertEquals(Map.of("orders", 3), open);
        assertEquals(3, kinesis.describes("orders"), "missing, CREATING, ACTIVE");
    }

    @Test
    void aStreamThatStaysCreatingFailsAfterTheReadyTimeoutNamingItsLastStatus() {
        FakeKinesis kinesis = new FakeKinesis().stream("orders", 1, StreamStatus.CREATING);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, IMPATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("Kinesis stream orders did not become ACTIVE within 0 s (last status: CREATING)", error.getMessage());
        assertTrue(kinesis.describes("orders") <= 4, "it asks every 250 ms, not in a busy loop: "
                + kinesis.describes("orders") + " describes in 300 ms");
    }

    @Test
    void aCreatedStreamThatNeverShowsFailsAfterTheReadyTimeoutSayingItWasNotFound() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public CreateStreamResponse createStream(CreateStreamRequest request) {
                calls.add("create " + request.streamName());
                return CreateStreamResponse.builder().build(); // accepted, but never listed
            }
        };

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, IMPATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("Kinesis stream orders did not become ACTIVE within 0 s (last status: not found)", error.getMessage());
    }

    @Test
    void aStreamBeingDeletedIsNotUsed() {
        FakeKinesis kinesis = new FakeKinesis().stream("orders", 1, StreamStatus.DELETING);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("Kinesis stream orders is being deleted; try again when it is gone", error.getMessage());
    }

    @Test
    void aStreamSomeoneElseCreatedMeanwhileIsUsedAndNotEncryptedByThisJob() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public DescribeStreamSummaryResponse describeStreamSummary(DescribeStreamSummaryRequest request) {
                if (describes("orders") == 0) {
                    // Not there when first asked; another job creates it before this one does.
                    calls.add("describe orders");
                    stream("orders", 2, StreamStatus.ACTIVE);
                    throw ResourceNotFoundException.builder().message("not found").build();
                }
                return super.describeStreamSummary(request);
            }
        };
        StreamCreationConfig encrypted = new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, 3, "alias/sync");

        Map<String, Integer> open = new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), encrypted);

        assertEquals(Map.of("orders", 2), open);
        assertEquals(List.of(), kinesis.encryptions, "the stream is the other job's: its settings are its own");
    }

    @Test
    void aStreamThisJobCreatesIsEncryptedWithTheKmsKeyAndAwaitedAgain() {
        FakeKinesis kinesis = new FakeKinesis().stream("existing", 1, StreamStatus.ACTIVE);
        StreamCreationConfig encrypted = new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, 3, "alias/sync");

        new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders", "existing"), encrypted);

        assertEquals(1, kinesis.encryptions.size(), "existing streams are not changed");
        assertEquals("orders", kinesis.encryptions.get(0).streamName());
        assertEquals(EncryptionType.KMS, kinesis.encryptions.get(0).encryptionType());
        assertEquals("alias/sync", kinesis.encryptions.get(0).keyId());
        List<String> orders = kinesis.calls.stream().filter(call -> call.endsWith(" orders")).collect(Collectors.toList());
        assertEquals(List.of("describe orders", "create orders", "describe orders", "encrypt orders", "describe orders",
                "putRecords orders"), orders);
    }

    @Test
    void aRefusedEncryptionNamesTheStreamAndTheKey() {
        FakeKinesis kinesis = new FakeKinesis().failing("encrypt orders", awsError("KMSAccessDeniedException", 400,
                "no access to key"));
        StreamCreationConfig encrypted = new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, 3, "alias/sync");

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), encrypted));

        assertEquals("cannot encrypt Kinesis stream orders with KMS key alias/sync: the credentials may not use the KMS key"
                + " that encrypts the stream (StartStreamEncryption) (KMSAccessDeniedException: no access to key)",
                error.getMessage());
    }

    // ---- errors while creating ----------------------------------------------------------------

    @Test
    void tooManyStreamsBeingCreatedInTheAccountMakesItWaitAndTryAgain() {
        FakeKinesis kinesis = new FakeKinesis().failing("create orders", rateExceeded());

        Map<String, Integer> open = new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS);

        assertEquals(Map.of("orders", 3), open);
        assertEquals(2, kinesis.calls.stream().filter("create orders"::equals).count(), "asked again after a while");
    }

    @Test
    void aCreateStreamLimitThatOutlastsTheReadyTimeoutFailsNamingTheStream() {
        FakeKinesis kinesis = new FakeKinesis().failing("create orders", rateExceeded(), rateExceeded(), rateExceeded(),
                rateExceeded(), rateExceeded());

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, IMPATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot create Kinesis stream orders: Kinesis at " + WHERE
                + " refused CreateStream (LimitExceededException: Rate exceeded)", error.getMessage());
        assertTrue(kinesis.calls.stream().filter("create orders"::equals).count() <= 3, "asked every 250 ms: " + kinesis.calls);
    }

    @Test
    void aCreateStreamThatIsNotAllowedFailsAtOnceNamingTheStreamAndThePermission() {
        FakeKinesis kinesis = new FakeKinesis().failing("create orders", accessDenied("CreateStream"));

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot create Kinesis stream orders: the credentials are not allowed to call kinesis:CreateStream;"
                + " grant it in the IAM policy of the user or role (AccessDeniedException: User is not authorized to perform:"
                + " kinesis:CreateStream)", error.getMessage());
    }

    @Test
    void aRateLimitedDescribeIsAskedAgain() {
        FakeKinesis kinesis = new FakeKinesis().stream("orders", 2, StreamStatus.ACTIVE).failing("describe orders",
                rateExceeded());

        assertEquals(Map.of("orders", 2),
                new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));
        assertEquals(List.of(), kinesis.creates, "a rate limit is not a missing stream");
    }

    @Test
    void aDescribeRateLimitThatOutlastsTheReadyTimeoutFailsNamingTheStream() {
        FakeKinesis kinesis = new FakeKinesis().failing("describe orders", rateExceeded(), rateExceeded(), rateExceeded(),
                rateExceeded(), rateExceeded());

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, IMPATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot describe Kinesis stream orders: Kinesis at " + WHERE
                + " refused DescribeStreamSummary (LimitExceededException: Rate exceeded)", error.getMessage());
        assertTrue(kinesis.describes("orders") <= 3, "asked every 250 ms: " + kinesis.calls);
    }

    @Test
    void aDescribeThatTimesOutFailsNamingTheStreamAndTheEndpoint() {
        FakeKinesis kinesis = new FakeKinesis().failing("describe orders",
                ApiCallTimeoutException.builder().message("Client execution did not complete before the timeout").build());

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot describe Kinesis stream orders: no answer from " + WHERE + " in time (DescribeStreamSummary"
                + " timed out): check the endpoint, the network and firewalls", error.getMessage());
    }

    @Test
    void anInterruptedWaitStopsAndKeepsTheInterrupt() {
        FakeKinesis kinesis = new FakeKinesis().stream("orders", 1, StreamStatus.CREATING);
        Thread.currentThread().interrupt();
        try {
            SetupException error = assertThrows(SetupException.class,
                    () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));
            assertEquals("interrupted while waiting for Kinesis streams", error.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the caller still sees the interrupt");
        } finally {
            Thread.interrupted();
        }
    }

    // ---- the write probe ----------------------------------------------------------------------

    @Test
    void aStreamTheCredentialsMayNotWriteToFailsBeforeAnyRecordIsRead() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public PutRecordsResponse putRecords(PutRecordsRequest request) {
                calls.add("putRecords " + request.streamName());
                throw accessDenied("PutRecords");
            }
        }.stream("orders", 1, StreamStatus.ACTIVE);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot write to Kinesis stream orders: the credentials are not allowed to call kinesis:PutRecords;"
                + " grant it in the IAM policy of the user or role (AccessDeniedException: User is not authorized to perform:"
                + " kinesis:PutRecords)", error.getMessage());
    }

    @Test
    void credentialsKinesisDoesNotAcceptFailTheWriteProbe() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public PutRecordsResponse putRecords(PutRecordsRequest request) {
                throw awsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
            }
        }.stream("orders", 1, StreamStatus.ACTIVE);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertTrue(error.getMessage().startsWith("cannot write to Kinesis stream orders: " + WHERE
                + " did not accept the credentials"), error.getMessage());
    }

    @Test
    void aWriteProbeWithoutAnAnswerFailsNamingTheStream() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public PutRecordsResponse putRecords(PutRecordsRequest request) {
                throw ApiCallTimeoutException.builder().message("Client execution did not complete before the timeout").build();
            }
        }.stream("orders", 1, StreamStatus.ACTIVE);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).ensureActive(List.of("orders"), THREE_SHARDS));

        assertEquals("cannot write to Kinesis stream orders: no answer from " + WHERE + " in time (PutRecords timed out):"
                + " check the endpoint, the network and firewalls", error.getMessage());
    }

    @Test
    void otherAnswersToTheEmptyWriteProbeMeanTheStreamIsWritable() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public PutRecordsResponse putRecords(PutRecordsRequest request) {
                probes.add(request);
                if (request.streamName().equals("without-details")) { // an emulator's error
                    throw AwsServiceException.builder().statusCode(500).message("internal error").build();
                }
                // An HTTP 500 whose body named no error code.
                throw AwsServiceException.builder().statusCode(500).message("internal error")
                        .awsErrorDetails(AwsErrorDetails.builder().errorMessage("internal error").build()).build();
            }
        }.stream("without-details", 1, StreamStatus.ACTIVE).stream("without-code", 1, StreamStatus.ACTIVE);

        assertEquals(Map.of("without-details", 1, "without-code", 1), new StreamProvisioner(kinesis, WHERE, PATIENT)
                .ensureActive(List.of("without-details", "without-code"), THREE_SHARDS));
        assertEquals(List.of(), kinesis.probes.get(0).records(), "the probe writes nothing");
    }

    // ---- replace (overwrite) ------------------------------------------------------------------

    @Test
    void replaceAsksForEveryDeletionFirstThenWaitsAndCreatesTheStreamsAnew() {
        FakeKinesis kinesis = new FakeKinesis().stream("a", 1, StreamStatus.ACTIVE).stream("b", 1, StreamStatus.ACTIVE);

        new StreamProvisioner(kinesis, WHERE, PATIENT).replace(List.of("a", "b", "new"), THREE_SHARDS);

        assertEquals(List.of(
                "describe a", "delete a", "describe b", "delete b", "describe new",
                "describe a", "describe a", "describe b", "describe b", // each DELETING, then gone
                "describe a", "create a", "describe b", "create b", "describe new", "create new",
                "describe a", "putRecords a", "describe b", "putRecords b", "describe new", "putRecords new"), kinesis.calls);
        assertTrue(kinesis.deletes.stream().allMatch(DeleteStreamRequest::enforceConsumerDeletion),
                "registered consumers go with their stream");
    }

    @Test
    void aStreamAlreadyBeingDeletedIsAwaitedNotDeletedAgain() {
        FakeKinesis kinesis = new FakeKinesis().stream("a", 1, StreamStatus.DELETING, null);

        new StreamProvisioner(kinesis, WHERE, PATIENT).replace(List.of("a"), THREE_SHARDS);

        assertEquals(List.of(), kinesis.deletes);
        assertEquals(List.of("describe a", "describe a", "describe a", "create a", "describe a", "putRecords a"),
                kinesis.calls);
    }

    @Test
    void aStreamGoneBeforeItsDeletionIsSimplyCreated() {
        // Someone else deleted it between the look and the deletion.
        FakeKinesis kinesis = new FakeKinesis().stream("a", 1, StreamStatus.ACTIVE, null).failing("delete a",
                ResourceNotFoundException.builder().message("Stream a not found").build());

        new StreamProvisioner(kinesis, WHERE, PATIENT).replace(List.of("a"), THREE_SHARDS);

        assertEquals(List.of("describe a", "delete a", "describe a", "create a", "describe a", "putRecords a"), kinesis.calls);
    }

    @Test
    void aRefusedDeletionNamesTheStreamAndTheOverwrite() {
        FakeKinesis kinesis = new FakeKinesis().stream("a", 1, StreamStatus.ACTIVE).failing("delete a",
                accessDenied("DeleteStream"));

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, PATIENT).replace(List.of("a"), THREE_SHARDS));

        assertEquals("cannot delete Kinesis stream a for overwrite: the credentials are not allowed to call"
                + " kinesis:DeleteStream; grant it in the IAM policy of the user or role (AccessDeniedException: User is not"
                + " authorized to perform: kinesis:DeleteStream)", error.getMessage());
    }

    @Test
    void aDeletionThatOutlastsTheReadyTimeoutFailsNamingTheStream() {
        FakeKinesis kinesis = new FakeKinesis() {
            @Override
            public DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
                calls.add("delete " + request.streamName());
                stream(request.streamName(), 1, StreamStatus.DELETING); // for ever
                return DeleteStreamResponse.builder().build();
            }
        }.stream("a", 1, StreamStatus.ACTIVE);

        SetupException error = assertThrows(SetupException.class,
                () -> new StreamProvisioner(kinesis, WHERE, IMPATIENT).replace(List.of("a"), THREE_SHARDS));

        assertEquals("Kinesis stream a was not deleted within 0 s (overwrite deletes it before writing)", error.getMessage());
        assertTrue(kinesis.describes("a") <= 4, "asked every 250 ms: " + kinesis.calls);
    }
}
