package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.aggregation.KplAggregate;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.airbytekinesis.flink.testing.LocalKinesis;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sinks as built, writing through the connector to a {@link LocalKinesis}; and their batch
 * limit: a batch as the connector builds it (records taken while the count stays within
 * {@code bufferSize} and the data within the batch byte limit) never makes a PutRecords request
 * over 5 MiB once the partition keys are added, for every {@code bufferSize}, record size and key
 * length the job can have.
 */
class KinesisSinksTest {
    private static final int MIB = 1024 * 1024;

    /** The worst batch: as many records as fit, each with the longest key. */
    private static long worstRequest(int bufferSize, long recordData, int keyBytes, long batchDataLimit) {
        long records = Math.min(bufferSize, Math.max(1, batchDataLimit / recordData));
        return records * (recordData + keyBytes);
    }

    @Test
    void noRequestIsOverFiveMebibytesWithKeysForAnyBufferSizeRecordSizeOrKey() {
        int[] keys = {1, KinesisSinks.RECORD_KEY_BYTES, 100, KinesisSinks.ANY_KEY_BYTES};
        for (int keyBytes : keys) {
            int maxKey = keyBytes <= KinesisSinks.RECORD_KEY_BYTES ? KinesisSinks.RECORD_KEY_BYTES : KinesisSinks.ANY_KEY_BYTES;
            for (int bufferSize = 1; bufferSize <= 500; bufferSize++) {
                long limit = KinesisSinks.batchDataBytes(bufferSize, MIB, maxKey);
                for (long data = 1; data <= MIB - keyBytes; data = data < 4096 ? data * 2 : data + 997) {
                    long request = worstRequest(bufferSize, data, keyBytes, limit);
                    assertTrue(request <= KinesisSinks.REQUEST_LIMIT_BYTES, "bufferSize " + bufferSize + ", records of "
                            + data + " bytes with " + keyBytes + "-byte keys: a request of " + request + " bytes");
                }
            }
        }
    }

    @Test
    void theReportedStallCaseNowFitsWithItsKeys() {
        // 300 records of 121,900 bytes with the default bufferSize: the connector filled 43 of them,
        // 5,241,700 bytes of data, and the keys took the request over the limit, for ever.
        long limit = KinesisSinks.batchDataBytes(100, MIB, KinesisSinks.RECORD_KEY_BYTES);
        long request = worstRequest(100, 121_900, KinesisSinks.RECORD_KEY_BYTES, limit);
        assertTrue(request <= KinesisSinks.REQUEST_LIMIT_BYTES, request + " bytes");
        assertTrue(limit / 121_900 == 42, "42 records a batch now, not 43");
    }

    @Test
    void aBatchAlwaysHoldsAtLeastOneRecordOfTheLargestSize() {
        for (int bufferSize = 1; bufferSize <= 500; bufferSize++) {
            for (int maxRecord : new int[] {1024, MIB, 5 * MIB, 10 * MIB}) {
                assertTrue(KinesisSinks.batchDataBytes(bufferSize, maxRecord, KinesisSinks.ANY_KEY_BYTES) >= maxRecord,
                        "the connector refuses a batch limit below the record limit");
            }
        }
    }

    // ---- the sinks, writing through the connector ---------------------------------------------

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private LocalKinesis kinesis;

    @BeforeAll
    static void keepTheSdksEventLoopLikeALocalRun() {
        SharedEventLoop.holdForLocalRun(); // so that closing a writer does not wait 2 s for it
    }

    @BeforeEach
    void startKinesis() throws Exception {
        kinesis = new LocalKinesis();
    }

    @AfterEach
    void stopKinesis() {
        kinesis.close();
    }

    private KinesisSinks sinks(int maxRecordSizeBytes) throws Exception {
        KinesisConnection connection = KinesisConnection.fromConfig(DestinationConfig.fromJson(MAPPER.readTree(
                "{\"region\":\"eu-west-1\",\"endpoint\":\"" + kinesis.endpoint() + "\",\"accessKey\":\"AK\","
                        + "\"privateKey\":\"SK\"}")));
        return new KinesisSinks(connection, 100, maxRecordSizeBytes);
    }

    /** Writes the records, then takes a checkpoint: what Kinesis got by then. */
    private List<LocalKinesis.Written> writeAndCheckpoint(Sink<KinesisEnvelope> sink, KinesisEnvelope... records)
            throws Exception {
        try (OneInputStreamOperatorTestHarness<KinesisEnvelope, ?> harness = new OneInputStreamOperatorTestHarness<>(
                new SinkWriterOperatorFactory<>(sink), 1, 1, 0)) {
            harness.open();
            for (KinesisEnvelope record : records) {
                harness.processElement(record, 0);
            }
            harness.prepareSnapshotPreBarrier(1);
            return new ArrayList<>(kinesis.written);
        }
    }

    private static KinesisEnvelope envelope(String stream, String key, String payload) {
        return new KinesisEnvelope(stream, key, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> asText(List<LocalKinesis.Written> written) {
        return written.stream().map(record -> record.stream + " " + record.partitionKey + " "
                + new String(record.data, StandardCharsets.UTF_8)).collect(Collectors.toList());
    }

    @Test
    void aStreamsSinkWritesEachEnvelopesPayloadUnderItsKeyByTheCheckpoint() throws Exception {
        List<LocalKinesis.Written> written = writeAndCheckpoint(sinks(MIB).forStream("orders"),
                envelope("orders", "a", "{\"n\":1}"), envelope("orders", "a", "{\"n\":2}"));

        assertEquals(List.of("orders a {\"n\":1}", "orders a {\"n\":2}"), asText(written));
        assertEquals(List.of("PutRecords orders 2"), kinesis.calls, "one request, and no shard listing without aggregation");
    }

    @Test
    void theDeadLetterSinkWritesToItsStream() throws Exception {
        List<LocalKinesis.Written> written = writeAndCheckpoint(sinks(MIB).withKeysFromData().forDeadLetters("dead"),
                envelope("dead", "input.jsonl:7", "not json"));

        assertEquals(List.of("dead input.jsonl:7 not json"), asText(written));
    }

    @Test
    void withPerKeyOrderTheRecordsOfOneKeyGoInRequestsOneAfterAnother() throws Exception {
        List<LocalKinesis.Written> written = writeAndCheckpoint(sinks(MIB).withPerKeyOrder().forStream("orders"),
                envelope("orders", "a", "1"), envelope("orders", "a", "2"));

        assertEquals(List.of("orders a 1", "orders a 2"), asText(written));
        assertEquals(List.of("PutRecords orders 1", "PutRecords orders 1"), kinesis.calls);
    }

    @Test
    void withKplAggregationAggregatesStayWithinTheRecordLimitBesideTheirKey() throws Exception {
        String payload = "p".repeat(320);
        KplAggregate three = new KplAggregate();
        for (int i = 0; i < 3; i++) {
            three.add("k", payload.getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(three.sizeBytes() > 1000, "three of these would make an aggregate over a 1,000-byte record limit");

        List<LocalKinesis.Written> written = writeAndCheckpoint(sinks(1000).withKplAggregation(1_000_000).forStream("orders"),
                envelope("orders", "k", payload), envelope("orders", "k", payload), envelope("orders", "k", payload));

        assertTrue(kinesis.calls.contains("ListShards orders"), kinesis.calls.toString());
        assertEquals(2, written.size(), "an aggregate of two, then the third record");
        for (LocalKinesis.Written record : written) {
            assertTrue(record.data.length + record.partitionKey.length() <= 1000, record.data.length + " bytes");
        }
        List<Integer> userRecords = new ArrayList<>();
        for (LocalKinesis.Written record : written) {
            userRecords.add(Deaggregation.userRecords(record.data, record.partitionKey).size());
        }
        assertEquals(List.of(2, 1), userRecords, "user records per Kinesis record");
    }
}
