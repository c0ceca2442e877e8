package org.airbytekinesis.flink.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.AccessDeniedException;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.KmsAccessDeniedException;
import software.amazon.awssdk.services.kinesis.model.KmsDisabledException;
import software.amazon.awssdk.services.kinesis.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kinesis.model.KmsNotFoundException;
import software.amazon.awssdk.services.kinesis.model.KmsOptInRequiredException;
import software.amazon.awssdk.services.kinesis.model.KmsThrottlingException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

/** {@link KinesisFaultProxy} between SDK clients (and a raw socket) and kinesalite. */
@Timeout(60)
class KinesisFaultProxyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger STREAMS = new AtomicInteger();

    private static KinesisEmulator emulator;
    private static KinesisFaultProxy proxy;
    /** Through the proxy, with the SDK's default retries (as the project builds its clients). */
    private static KinesisClient viaProxy;
    /** Through the proxy, without retries, so that injected errors surface. */
    private static KinesisClient viaProxyNoRetry;
    /** Through the proxy, with up to 10 quick attempts, so that a share of faults is always overcome. */
    private static KinesisClient viaProxyManyRetries;
    /** Straight to the emulator, to see what was really written. */
    private static KinesisClient direct;

    @BeforeAll
    static void start() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        proxy = KinesisFaultProxy.start(emulator.endpoint());
        KinesisConnection connection = connectionTo(proxy.endpoint());
        viaProxy = KinesisClients.create(connection);
        viaProxyNoRetry = clientWithRetries(connection, AwsRetryStrategy.doNotRetry());
        viaProxyManyRetries = clientWithRetries(connection, AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(10)
                .backoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(10)))
                .throttlingBackoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(10)))
                .circuitBreakerEnabled(false)
                .build());
        direct = emulator.client();
    }

    @AfterAll
    static void stop() {
        AutoCloseable[] all = {viaProxy, viaProxyNoRetry, viaProxyManyRetries, direct, proxy, emulator};
        for (AutoCloseable closeable : all) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
    }

    @BeforeEach
    void noFaults() {
        proxy.clearFaults().setSeed(KinesisFaultProxy.DEFAULT_SEED).resetCounters()
                .setEnforceServiceLimits(false).setAnswerPutRecordsLocally(false);
    }

    private static KinesisClient clientWithRetries(KinesisConnection connection, RetryStrategy retries) {
        return KinesisClient.builder()
                .region(connection.sdkRegion())
                .credentialsProvider(connection.credentialsProvider())
                .endpointOverride(connection.endpoint())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)))
                .overrideConfiguration(b -> b.retryStrategy(retries).apiCallTimeout(Duration.ofSeconds(30)))
                .build();
    }

    private static KinesisConnection connectionTo(String endpoint) {
        ObjectNode config = emulator.config(Map.of());
        config.put("endpoint", endpoint);
        return KinesisConnection.fromConfig(DestinationConfig.fromJson(config));
    }

    @Test
    void controlPlaneCallsPassThroughTheProxyUntouched() {
        String stream = createActiveStreamViaProxy();

        assertEquals(StreamStatus.ACTIVE,
                direct.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatus());
        assertEquals(direct.listShards(b -> b.streamName(stream)).shards(),
                viaProxy.listShards(b -> b.streamName(stream)).shards());
        assertTrue(viaProxy.listStreams().streamNames().contains(stream));
        assertTrue(proxy.requestsForwarded() >= 3, proxy.toString());
        assertEquals(0, proxy.putRecordsRequests());
    }

    @Test
    void failedEntriesAreReportedAsThrottledAtExactlyThePositionsThatAreMissingFromTheStream() {
        String stream = createActiveStreamViaProxy();
        proxy.setEntryFailureShare(0.3);

        List<PutRecordsRequestEntry> entries = numberedEntries(100);
        PutRecordsResponse response = viaProxy.putRecords(b -> b.streamName(stream).records(entries));

        assertEquals(100, response.records().size());
        int failedCount = response.failedRecordCount();
        assertTrue(failedCount > 0 && failedCount < 100, "failed " + failedCount);
        Set<Integer> failed = new TreeSet<>();
        Map<String, String> reportedSequenceNumbers = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            PutRecordsResultEntry result = response.records().get(i);
            if (result.errorCode() != null) {
                assertEquals("ProvisionedThroughputExceededException", result.errorCode());
                assertTrue(result.errorMessage().startsWith("Rate exceeded for shard"), result.errorMessage());
                assertNull(result.sequenceNumber());
                failed.add(i);
            } else {
                assertNotNull(result.sequenceNumber());
                assertNotNull(result.shardId());
                reportedSequenceNumbers.put(data(i), result.sequenceNumber());
            }
        }
        assertEquals(failedCount, failed.size());
        assertEquals(failedCount, proxy.entriesFailed());
        assertEquals(100 - failedCount, proxy.entriesForwarded());

        Map<String, String> written = readDirectly(stream).stream().collect(Collectors.toMap(
                r -> r.data().asUtf8String(), Record::sequenceNumber));
        assertEquals(reportedSequenceNumbers, written, "exactly the reported successes are in the stream");
        for (int i : failed) {
            assertTrue(!written.containsKey(data(i)), "failed entry " + i + " was not written");
        }

        // The same seed fails the same positions again.
        proxy.setSeed(KinesisFaultProxy.DEFAULT_SEED);
        PutRecordsResponse again = viaProxy.putRecords(b -> b.streamName(stream).records(entries));
        Set<Integer> failedAgain = new TreeSet<>();
        for (int i = 0; i < 100; i++) {
            if (again.records().get(i).errorCode() != null) {
                failedAgain.add(i);
            }
        }
        assertEquals(failed, failedAgain);
    }

    @Test
    void whenEveryEntryIsChosenTheRequestIsAnsweredWithoutForwarding() {
        String stream = createActiveStreamViaProxy();
        long forwardedBefore = proxy.requestsForwarded();
        proxy.setEntryFailureShare(1.0);

        PutRecordsResponse response = viaProxy.putRecords(b -> b.streamName(stream).records(numberedEntries(20)));

        assertEquals(20, response.failedRecordCount());
        assertTrue(response.records().stream()
                .allMatch(r -> "ProvisionedThroughputExceededException".equals(r.errorCode())));
        assertEquals(forwardedBefore, proxy.requestsForwarded());
        assertEquals(20, proxy.entriesFailed());
        assertTrue(readDirectly(stream).isEmpty());
    }

    @Test
    void http500And503SharesReachTheSdkAsThoseStatusCodesAndWriteNothing() {
        String stream = createActiveStreamViaProxy();

        proxy.setHttp500Share(1.0);
        KinesisException internal = assertThrows(KinesisException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(10))));
        assertEquals(500, internal.statusCode());
        assertEquals("InternalFailure", internal.awsErrorDetails().errorCode());
        assertEquals(1, proxy.http500s());

        proxy.setHttp500Share(0).setHttp503Share(1.0);
        KinesisException unavailable = assertThrows(KinesisException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(10))));
        assertEquals(503, unavailable.statusCode());
        assertEquals("ServiceUnavailable", unavailable.awsErrorDetails().errorCode());
        assertEquals(1, proxy.http503s());

        assertEquals(0, proxy.entriesForwarded());
        assertTrue(readDirectly(stream).isEmpty());
        // Other operations are never faulted.
        assertEquals(StreamStatus.ACTIVE, viaProxyNoRetry.describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary().streamStatus());
    }

    @Test
    void aResetShareGivesTheSdkAnIoErrorAndWritesNothing() {
        String stream = createActiveStreamViaProxy();
        proxy.setConnectionResetShare(1.0);

        SdkClientException error = assertThrows(SdkClientException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(10))));

        assertTrue(hasCause(error, IOException.class), "an I/O error: " + error);
        assertTrue(proxy.resets() >= 1);
        assertEquals(proxy.putRecordsRequests(), proxy.resets());
        assertEquals(0, proxy.entriesForwarded());
        assertTrue(readDirectly(stream).isEmpty());

        proxy.setConnectionResetShare(0);
        PutRecordsResponse response = viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(10)));
        assertEquals(0, response.failedRecordCount(), "the client recovers on a new connection");
        assertEquals(10, readDirectly(stream).size());
    }

    @Test
    void withSharesBelowOneARetryingClientGetsEveryRecordThroughExactlyOnce() {
        String stream = createActiveStreamViaProxy();
        proxy.setHttp500Share(0.2).setHttp503Share(0.2).setConnectionResetShare(0.1);

        for (int call = 0; call < 5; call++) {
            int first = call * 10;
            List<PutRecordsRequestEntry> entries = numberedEntries(first + 10).subList(first, first + 10);
            assertEquals(0, viaProxyManyRetries.putRecords(b -> b.streamName(stream).records(entries))
                    .failedRecordCount());
        }

        assertEquals(numberedEntries(50).stream().map(e -> e.data().asUtf8String()).collect(Collectors.toSet()),
                readDirectly(stream).stream().map(r -> r.data().asUtf8String()).collect(Collectors.toSet()));
        assertEquals(50, readDirectly(stream).size(), proxy.toString());
        assertTrue(proxy.http500s() + proxy.http503s() + proxy.resets() > 0, proxy.toString());
    }

    @Test
    void anAddedLatencyDelaysEachPutRecordsCallByAtLeastThatMuch() {
        String stream = createActiveStreamViaProxy();
        viaProxy.putRecords(b -> b.streamName(stream).records(numberedEntries(1))); // warm connection
        proxy.setLatencyMillis(100);

        for (int call = 0; call < 3; call++) {
            long start = System.nanoTime();
            viaProxy.putRecords(b -> b.streamName(stream).records(numberedEntries(5)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 100, "PutRecords took " + millis + " ms");
        }

        proxy.setLatencyOnAllRequests(true);
        long start = System.nanoTime();
        viaProxy.describeStreamSummary(b -> b.streamName(stream));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 100, "DescribeStreamSummary took " + millis + " ms");
    }

    @Test
    void withoutFaultsEveryRecordPassesByteExact() {
        String stream = createActiveStreamViaProxy();
        Random random = new Random(42);
        Map<String, byte[]> sent = new LinkedHashMap<>();
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] data = new byte[1 + random.nextInt(4000)];
            random.nextBytes(data);
            String key = "k-" + i + "-\u00e9\u4e2d"; // non-ASCII partition keys too
            sent.put(key, data);
            entries.add(PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromByteArray(data)).build());
        }

        for (int from = 0; from < entries.size(); from += 100) {
            List<PutRecordsRequestEntry> batch = entries.subList(from, from + 100);
            PutRecordsResponse response = viaProxy.putRecords(b -> b.streamName(stream).records(batch));
            assertEquals(0, response.failedRecordCount());
        }

        List<Record> directly = readDirectly(stream);
        List<Record> throughProxy = new KinesisStreamReader(viaProxy).readAll(stream);
        assertEquals(sent.size(), directly.size());
        for (Record record : directly) {
            assertArrayEquals(sent.get(record.partitionKey()), record.data().asByteArray(), record.partitionKey());
        }
        assertEquals(directly.size(), throughProxy.size());
        for (int i = 0; i < directly.size(); i++) {
            assertEquals(directly.get(i).sequenceNumber(), throughProxy.get(i).sequenceNumber());
            assertEquals(directly.get(i).partitionKey(), throughProxy.get(i).partitionKey());
            assertArrayEquals(directly.get(i).data().asByteArray(), throughProxy.get(i).data().asByteArray());
        }
        assertEquals(300, proxy.entriesForwarded());
        assertEquals(0, proxy.entriesFailed() + proxy.http500s() + proxy.http503s() + proxy.resets());
    }

    @Test
    void aKeptAliveRawConnectionHandlesExpectContinueChunkedBodiesAndConnectionClose() throws Exception {
        String stream = createActiveStreamViaProxy();
        String describe = "{\"StreamName\":\"" + stream + "\"}";
        String put = "{\"StreamName\":\"" + stream + "\",\"Records\":["
                + "{\"Data\":\"" + base64("one") + "\",\"PartitionKey\":\"a\"},"
                + "{\"Data\":\"" + base64("two") + "\",\"PartitionKey\":\"b\"}]}";

        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();

            // 1. Expect: 100-continue with a chunked body, sent only after the 100.
            out.write(head("DescribeStreamSummary", "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n"));
            out.flush();
            RawResponse interim = RawResponse.read(in);
            assertEquals(100, interim.status);
            byte[] body = describe.getBytes(StandardCharsets.UTF_8);
            int half = body.length / 2;
            out.write(chunk(body, 0, half));
            out.write(chunk(body, half, body.length - half));
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            RawResponse described = RawResponse.read(in);
            assertEquals(200, described.status, described.text());
            assertEquals(Integer.toString(described.body.length), described.headers.get("content-length"));
            assertEquals("ACTIVE", described.json().path("StreamDescriptionSummary").path("StreamStatus").asText());

            // 2. Same connection, fixed length PutRecords, no faults.
            out.write(request("PutRecords", put, ""));
            out.flush();
            RawResponse written = RawResponse.read(in);
            assertEquals(200, written.status, written.text());
            assertEquals(0, written.json().get("FailedRecordCount").asInt());

            // 3. Same connection, one of two entries failed: the answer is rewritten.
            proxy.setEntryFailureShare(0.5).setSeed(pickSeedFailingExactlyOneOfTwo());
            out.write(request("PutRecords", put, ""));
            out.flush();
            RawResponse partial = RawResponse.read(in);
            assertEquals(200, partial.status, partial.text());
            assertEquals(Integer.toString(partial.body.length), partial.headers.get("content-length"));
            assertEquals(1, partial.json().get("FailedRecordCount").asInt());
            assertEquals(2, partial.json().get("Records").size());
            proxy.setEntryFailureShare(0);

            // 4. Connection: close is honoured.
            out.write(request("DescribeStreamSummary", describe, "Connection: close\r\n"));
            out.flush();
            RawResponse last = RawResponse.read(in);
            assertEquals(200, last.status);
            assertEquals("close", last.headers.get("connection"));
            assertEquals(-1, in.read(), "the proxy closed the connection");
        }
        assertEquals(3, readDirectly(stream).size()); // two, then one of two
    }

    @Test
    void anUpstreamThatDropsKeptAliveConnectionsAndAnswersChunkedIsHandledTransparently() throws Exception {
        AtomicInteger upstreamConnections = new AtomicInteger();
        try (ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread upstream = new Thread(() -> serveOneAnswerPerConnection(fake, upstreamConnections), "fake-upstream");
            upstream.setDaemon(true);
            upstream.start();
            try (KinesisFaultProxy own = KinesisFaultProxy.start("http://127.0.0.1:" + fake.getLocalPort());
                    Socket socket = new Socket("127.0.0.1", own.port())) {
                socket.setSoTimeout(10_000);
                InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < 3; i++) {
                    String body = "{\"StreamName\":\"echo-" + i + "\"}";
                    out.write(request("DescribeStreamSummary", body, ""));
                    out.flush();
                    RawResponse response = RawResponse.read(in);
                    assertEquals(200, response.status, response.text());
                    assertEquals(body, new String(response.body, StandardCharsets.UTF_8));
                    assertNull(response.headers.get("transfer-encoding"));
                    assertEquals(Integer.toString(response.body.length), response.headers.get("content-length"));
                }
                assertEquals(3, own.requestsForwarded());
            }
        }
        // The 2nd and 3rd requests found the kept-alive upstream connection closed and went on a new one.
        assertEquals(3, upstreamConnections.get());
    }

    // ---- the service's limits, local answers, request failures, entry error codes ---------

    @Test
    void aRequestOfExactlyFiveMebibytesOfDataAndKeysPassesAndOneByteMoreIsRefusedWithInvalidArgument() {
        proxy.setEnforceServiceLimits(true).setAnswerPutRecordsLocally(true);
        String stream = unusedStreamName();
        List<PutRecordsRequestEntry> full = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            full.add(sizedEntry("k" + i, 1_048_574)); // 1 MiB each with its 2-byte key: 5 MiB in all
        }

        PutRecordsResponse accepted = viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(full));
        assertEquals(0, accepted.failedRecordCount());
        assertEquals(5_242_880, proxy.largestRequestBytes());

        List<PutRecordsRequestEntry> oneByteMore = new ArrayList<>(full);
        oneByteMore.add(sizedEntry("x", 0)); // no data: only its key counts
        InvalidArgumentException refused = assertThrows(InvalidArgumentException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(oneByteMore)));
        assertEquals(400, refused.statusCode());
        assertEquals("InvalidArgumentException", refused.awsErrorDetails().errorCode());
        assertEquals("Records size exceeds 5 MB limit", refused.awsErrorDetails().errorMessage());

        assertEquals(1, proxy.sizeRejections());
        assertEquals(5_242_881, proxy.largestRequestBytes(), "refused requests are measured too");
        assertEquals(5, proxy.acceptedEntryCount(), "only the first request's entries were accepted");
        assertArrayEquals(full.get(3).data().asByteArray(), proxy.acceptedEntries().get(3).data());
        assertEquals(0, proxy.requestsForwarded());
    }

    @Test
    void oneRecordMayHoldExactlyOneMebibyteOfDataAndKeyWithTheKeyCountedInUtf8Bytes() {
        proxy.setEnforceServiceLimits(true).setAnswerPutRecordsLocally(true);
        String stream = unusedStreamName();

        assertEquals(0, putOne(stream, sizedEntry("k", 1_048_575)).failedRecordCount());
        assertEquals(0, putOne(stream, sizedEntry("\u00e9", 1_048_574)).failedRecordCount()); // é: 2 bytes
        assertEquals(2, proxy.acceptedEntryCount());

        InvalidArgumentException keyInBytes = assertThrows(InvalidArgumentException.class,
                () -> putOne(stream, sizedEntry("\u00e9", 1_048_575)));
        assertEquals(400, keyInBytes.statusCode());
        assertEquals("Record size exceeds 1 MB limit", keyInBytes.awsErrorDetails().errorMessage());
        InvalidArgumentException keyOnTop = assertThrows(InvalidArgumentException.class,
                () -> putOne(stream, sizedEntry("k", 1_048_576)));
        assertEquals("Record size exceeds 1 MB limit", keyOnTop.awsErrorDetails().errorMessage());

        // Data alone over the limit breaks the API model's constraint: a ValidationException, as AWS words it.
        ValidationException dataAlone = assertThrows(ValidationException.class,
                () -> putOne(stream, sizedEntry("k", 1_048_577)));
        assertEquals(400, dataAlone.statusCode());
        assertEquals("ValidationException", dataAlone.awsErrorDetails().errorCode());
        assertEquals("1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]'"
                + " at 'records.1.member.data' failed to satisfy constraint:"
                + " Member must have length less than or equal to 1048576", dataAlone.awsErrorDetails().errorMessage());

        assertEquals(3, proxy.sizeRejections());
        assertEquals(2, proxy.acceptedEntryCount());
        assertEquals(1_048_578, proxy.largestRequestBytes());
    }

    @Test
    void fiveHundredEntriesPassWhileFiveHundredAndOneOrNoneAreRefusedWithValidationException() {
        proxy.setEnforceServiceLimits(true).setAnswerPutRecordsLocally(true);
        String stream = unusedStreamName();

        assertEquals(0, viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(500)))
                .failedRecordCount());

        ValidationException tooMany = assertThrows(ValidationException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(501))));
        assertEquals(400, tooMany.statusCode());
        assertEquals("1 validation error detected: Value at 'records' failed to satisfy constraint:"
                + " Member must have length less than or equal to 500", tooMany.awsErrorDetails().errorMessage());

        ValidationException none = assertThrows(ValidationException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(List.of())));
        assertTrue(none.awsErrorDetails().errorMessage().endsWith(
                "at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"),
                none.awsErrorDetails().errorMessage());

        assertEquals(1, proxy.sizeRejections(), "the empty request is refused, but not counted as too large");
        assertEquals(500, proxy.acceptedEntryCount());
    }

    @Test
    void partitionKeysMayHoldOneTo256CodePointsEvenWhenTheyAreAstralCharacters() {
        proxy.setEnforceServiceLimits(true).setAnswerPutRecordsLocally(true);
        String stream = unusedStreamName();
        String grin = new String(Character.toChars(0x1F600)); // two UTF-16 chars, four UTF-8 bytes
        String longest = grin.repeat(256);
        assertEquals(512, longest.length());

        assertEquals(0, putOne(stream, sizedEntry(longest, 10)).failedRecordCount());
        assertEquals(longest, proxy.acceptedEntries().get(0).partitionKey());
        assertEquals(1024 + 10, proxy.largestRequestBytes());

        ValidationException tooLong = assertThrows(ValidationException.class,
                () -> putOne(stream, sizedEntry(grin.repeat(257), 10)));
        assertEquals(400, tooLong.statusCode());
        assertEquals("1 validation error detected: Value '" + grin.repeat(257) + "' at 'records.1.member.partitionKey'"
                + " failed to satisfy constraint: Member must have length less than or equal to 256",
                tooLong.awsErrorDetails().errorMessage());

        // Every violation is listed, members numbered from 1.
        ValidationException two = assertThrows(ValidationException.class, () -> viaProxyNoRetry.putRecords(b -> b
                .streamName(stream).records(sizedEntry("fine", 1), sizedEntry("", 1), sizedEntry(longest + "x", 1))));
        String message = two.awsErrorDetails().errorMessage();
        assertTrue(message.startsWith("2 validation errors detected: Value '' at 'records.2.member.partitionKey'"
                + " failed to satisfy constraint: Member must have length greater than or equal to 1; "), message);
        assertTrue(message.endsWith("' at 'records.3.member.partitionKey' failed to satisfy constraint:"
                + " Member must have length less than or equal to 256"), message);

        assertEquals(2, proxy.sizeRejections());
        assertEquals(1, proxy.acceptedEntryCount());
    }

    @Test
    void withLimitsEnforcedARefusedRequestIsNotForwardedAndAnAllowedOneIsWrittenAsBefore() {
        String stream = createActiveStreamViaProxy();
        long forwardedBefore = proxy.requestsForwarded();
        proxy.setEnforceServiceLimits(true).setHttp500Share(1.0);

        // The limits are checked before the fault draws: a 400, not the 500 every request would get.
        ValidationException refused = assertThrows(ValidationException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(501))));
        assertEquals(400, refused.statusCode());
        assertEquals(0, proxy.http500s());
        assertEquals(1, proxy.sizeRejections());
        assertEquals(forwardedBefore, proxy.requestsForwarded());

        proxy.setHttp500Share(0);
        assertEquals(0, viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(500)))
                .failedRecordCount());
        assertEquals(500, proxy.entriesForwarded());
        assertEquals(500, readDirectly(stream).size());
        assertTrue(proxy.toString().contains("sizeRejections=1"), proxy.toString());
    }

    @Test
    void withoutEnforcementNothingIsRefusedButTheLargestRequestIsStillMeasured() {
        String stream = createActiveStreamViaProxy();

        viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(sizedEntry("ab", 10), sizedEntry("\u00e9", 7)));
        assertEquals(12 + 9, proxy.largestRequestBytes());
        viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(sizedEntry("a", 3)));
        assertEquals(21, proxy.largestRequestBytes(), "the largest, not the last");

        proxy.setAnswerPutRecordsLocally(true);
        PutRecordsResponse tooMany = viaProxyNoRetry.putRecords(b -> b.streamName(stream)
                .records(numberedEntries(501)));
        assertEquals(0, tooMany.failedRecordCount());
        assertEquals(501, proxy.acceptedEntryCount());
        assertEquals(0, proxy.sizeRejections());
        assertEquals(3, readDirectly(stream).size());
    }

    @Test
    void answeringLocallyAcceptsEveryUnfaultedEntryRecordsItAndForwardsOnlyTheControlPlane() {
        String stream = createActiveStreamViaProxy();
        long forwardedBefore = proxy.requestsForwarded();
        proxy.setAnswerPutRecordsLocally(true).setEntryFailureShare(0.3);

        List<PutRecordsRequestEntry> entries = numberedEntries(50);
        PutRecordsResponse response = viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(entries));

        List<PutRecordsRequestEntry> expected = new ArrayList<>();
        List<String> sequenceNumbers = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            PutRecordsResultEntry result = response.records().get(i);
            if (result.errorCode() != null) {
                assertEquals("ProvisionedThroughputExceededException", result.errorCode());
                assertTrue(result.errorMessage().contains(stream), result.errorMessage());
            } else {
                assertEquals(KinesisFaultProxy.LOCAL_SHARD_ID, result.shardId());
                expected.add(entries.get(i));
                sequenceNumbers.add(result.sequenceNumber());
            }
        }
        assertTrue(response.failedRecordCount() > 0 && expected.size() > 0, "failed " + response.failedRecordCount());
        assertEquals(response.failedRecordCount().longValue(), proxy.entriesFailed());

        List<KinesisFaultProxy.AcceptedEntry> accepted = proxy.acceptedEntries();
        assertEquals(expected.size(), accepted.size());
        assertEquals(expected.size(), proxy.acceptedEntryCount());
        for (int i = 0; i < accepted.size(); i++) {
            assertEquals(stream, accepted.get(i).streamName());
            assertEquals(expected.get(i).partitionKey(), accepted.get(i).partitionKey());
            assertArrayEquals(expected.get(i).data().asByteArray(), accepted.get(i).data());
            assertEquals(sequenceNumbers.get(i), accepted.get(i).sequenceNumber());
            if (i > 0) {
                BigInteger previous = new BigInteger(sequenceNumbers.get(i - 1));
                assertTrue(new BigInteger(sequenceNumbers.get(i)).compareTo(previous) > 0,
                        "sequence numbers rise: " + sequenceNumbers);
            }
        }
        assertThrows(UnsupportedOperationException.class, () -> accepted.add(accepted.get(0)));

        assertEquals(forwardedBefore, proxy.requestsForwarded(), "PutRecords was not forwarded");
        assertEquals(0, proxy.entriesForwarded());
        assertEquals(StreamStatus.ACTIVE, viaProxyNoRetry.describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary().streamStatus());
        assertEquals(forwardedBefore + 1, proxy.requestsForwarded(), "the control plane was");
        assertTrue(readDirectly(stream).isEmpty());

        proxy.resetCounters();
        assertEquals(0, proxy.acceptedEntryCount());
        assertEquals(expected.size(), accepted.size(), "a list already handed out stays as it was");
    }

    @Test
    void everyRequestFailureReachesTheSdkAsItsOwnExceptionWithItsCodeStatusAndMessage() {
        String stream = unusedStreamName();
        Map<KinesisFaultProxy.Failure, Class<? extends KinesisException>> expected = new LinkedHashMap<>();
        expected.put(KinesisFaultProxy.Failure.accessDenied(), AccessDeniedException.class);
        expected.put(KinesisFaultProxy.Failure.kmsDisabled(), KmsDisabledException.class);
        expected.put(KinesisFaultProxy.Failure.kmsAccessDenied(), KmsAccessDeniedException.class);
        expected.put(KinesisFaultProxy.Failure.kmsNotFound(), KmsNotFoundException.class);
        expected.put(KinesisFaultProxy.Failure.kmsInvalidState(), KmsInvalidStateException.class);
        expected.put(KinesisFaultProxy.Failure.kmsOptInRequired(), KmsOptInRequiredException.class);
        expected.put(KinesisFaultProxy.Failure.kmsThrottling(), KmsThrottlingException.class);
        expected.put(KinesisFaultProxy.Failure.validation(), ValidationException.class);
        expected.put(KinesisFaultProxy.Failure.resourceNotFound(), ResourceNotFoundException.class);
        // Codes the Kinesis model does not name: the SDK's base class, the code still readable.
        expected.put(KinesisFaultProxy.Failure.expiredToken(), KinesisException.class);
        expected.put(KinesisFaultProxy.Failure.unrecognizedClient(), KinesisException.class);

        for (Map.Entry<KinesisFaultProxy.Failure, Class<? extends KinesisException>> entry : expected.entrySet()) {
            KinesisFaultProxy.Failure failure = entry.getKey();
            proxy.failPutRecordsAfter(0, failure);
            KinesisException error = assertThrows(KinesisException.class,
                    () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(3))));
            assertEquals(entry.getValue(), error.getClass(), failure.toString());
            assertEquals(400, error.statusCode(), failure.toString());
            assertEquals(failure.errorCode(), error.awsErrorDetails().errorCode());
            assertEquals(failure.messageFor(stream), error.awsErrorDetails().errorMessage());
        }

        assertEquals("User: arn:aws:iam::000000000000:user/test is not authorized to perform: kinesis:PutRecords"
                + " on resource: arn:aws:kinesis:us-east-1:000000000000:stream/" + stream
                + " because no identity-based policy allows the kinesis:PutRecords action",
                KinesisFaultProxy.Failure.accessDenied().messageFor(stream));
        assertEquals("ExpiredTokenException", KinesisFaultProxy.Failure.expiredToken().errorCode());
        assertEquals("The security token included in the request is expired",
                KinesisFaultProxy.Failure.expiredToken().message());
        assertEquals("UnrecognizedClientException", KinesisFaultProxy.Failure.unrecognizedClient().errorCode());
        assertEquals("KMSOptInRequired", KinesisFaultProxy.Failure.kmsOptInRequired().errorCode());
        assertEquals(expected.size(), proxy.requestFailuresInjected());
        assertEquals(0, proxy.requestsForwarded());
    }

    @Test
    void afterTheGivenNumberOfRequestsEveryPutRecordsFailsUntilTheFailureIsCleared() {
        String stream = createActiveStreamViaProxy();
        proxy.failPutRecordsAfter(2, KinesisFaultProxy.Failure.accessDenied());

        for (int call = 0; call < 2; call++) {
            assertEquals(0, viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(5)))
                    .failedRecordCount());
        }
        for (int call = 0; call < 2; call++) {
            AccessDeniedException denied = assertThrows(AccessDeniedException.class,
                    () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(5))));
            assertEquals(400, denied.statusCode());
            assertTrue(denied.awsErrorDetails().errorMessage().contains(":stream/" + stream + " because"),
                    denied.awsErrorDetails().errorMessage());
        }
        assertEquals(StreamStatus.ACTIVE, viaProxyNoRetry.describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary().streamStatus(), "the control plane is not failed");
        assertEquals(2, proxy.requestFailuresInjected());
        assertEquals(10, readDirectly(stream).size());

        proxy.clearRequestFailure();
        assertEquals(0, viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(5)))
                .failedRecordCount());
        assertEquals(15, readDirectly(stream).size());

        // Any code and status, the stream's name put into the message.
        proxy.failPutRecordsAfter(0, "InternalFailure", 500, "Injected for " + KinesisFaultProxy.STREAM_PLACEHOLDER);
        KinesisException internal = assertThrows(KinesisException.class,
                () -> viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(5))));
        assertEquals(500, internal.statusCode());
        assertEquals("InternalFailure", internal.awsErrorDetails().errorCode());
        assertEquals("Injected for " + stream, internal.awsErrorDetails().errorMessage());
        assertEquals(3, proxy.requestFailuresInjected());
        assertEquals(15, readDirectly(stream).size());
    }

    @Test
    void chosenEntriesCarryTheConfiguredErrorCodeWhetherForwardedAllFailedOrAnsweredLocally() {
        String stream = createActiveStreamViaProxy();
        proxy.setEntryErrorCode("KMSThrottlingException",
                "KMS throttled stream " + KinesisFaultProxy.STREAM_PLACEHOLDER).setEntryFailureShare(0.5);

        PutRecordsResponse forwarded = viaProxyNoRetry.putRecords(b -> b.streamName(stream)
                .records(numberedEntries(20)));
        assertTrue(forwarded.failedRecordCount() > 0 && forwarded.failedRecordCount() < 20,
                "failed " + forwarded.failedRecordCount());
        assertOnlyErrorCode("KMSThrottlingException", "KMS throttled stream " + stream, forwarded);
        assertEquals(20 - forwarded.failedRecordCount(), readDirectly(stream).size());

        proxy.setEntryErrorCode("InternalFailure", "Internal service failure.").setEntryFailureShare(1.0);
        PutRecordsResponse allFailed = viaProxyNoRetry.putRecords(b -> b.streamName(stream)
                .records(numberedEntries(4)));
        assertEquals(4, allFailed.failedRecordCount());
        assertOnlyErrorCode("InternalFailure", "Internal service failure.", allFailed);

        proxy.setEntryErrorCode("KMSDisabledException", "disabled").setEntryFailureShare(0.5)
                .setAnswerPutRecordsLocally(true);
        PutRecordsResponse local = viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(numberedEntries(20)));
        assertTrue(local.failedRecordCount() > 0 && local.failedRecordCount() < 20,
                "failed " + local.failedRecordCount());
        assertOnlyErrorCode("KMSDisabledException", "disabled", local);
        assertEquals(20 - local.failedRecordCount(), proxy.acceptedEntryCount());

        proxy.clearFaults();
        assertEquals(KinesisFaultProxy.THROTTLING_ERROR_CODE, proxy.entryErrorCode());
    }

    private static void assertOnlyErrorCode(String code, String message, PutRecordsResponse response) {
        int failed = 0;
        for (PutRecordsResultEntry result : response.records()) {
            if (result.errorCode() != null) {
                assertEquals(code, result.errorCode());
                assertEquals(message, result.errorMessage());
                assertNull(result.sequenceNumber());
                failed++;
            }
        }
        assertEquals(response.failedRecordCount(), failed);
    }

    /** Echoes the body of one request per connection in a chunked answer, then closes without notice. */
    private static void serveOneAnswerPerConnection(ServerSocket server, AtomicInteger connections) {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                connections.incrementAndGet();
                InputStream in = new BufferedInputStream(socket.getInputStream());
                int length = 0;
                for (String line = RawResponse.line(in); !line.isEmpty(); line = RawResponse.line(in)) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                byte[] body = in.readNBytes(length);
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(chunk(body, 0, 5));
                out.write(chunk(body, 5, body.length - 5));
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                // Let the proxy read the answer and pool the connection, then drop it.
                Thread.sleep(100);
            } catch (IOException e) {
                // closed
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private static String createActiveStreamViaProxy() {
        String stream = "fault-proxy-" + STREAMS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        viaProxy.createStream(b -> b.streamName(stream).shardCount(2));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            StreamStatus status = viaProxy.describeStreamSummary(b -> b.streamName(stream))
                    .streamDescriptionSummary().streamStatus();
            if (status == StreamStatus.ACTIVE) {
                return stream;
            }
            sleep(50);
        }
        throw new AssertionError(stream + " did not become ACTIVE");
    }

    /** A stream name nobody created: for requests the proxy answers without the emulator. */
    private static String unusedStreamName() {
        return "not-created-" + STREAMS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
    }

    /** An entry with {@code dataBytes} bytes of data (the same bytes for the same size). */
    private static PutRecordsRequestEntry sizedEntry(String partitionKey, int dataBytes) {
        byte[] data = new byte[dataBytes];
        new Random(dataBytes).nextBytes(data);
        return PutRecordsRequestEntry.builder().partitionKey(partitionKey).data(SdkBytes.fromByteArray(data)).build();
    }

    private static PutRecordsResponse putOne(String stream, PutRecordsRequestEntry entry) {
        return viaProxyNoRetry.putRecords(b -> b.streamName(stream).records(entry));
    }

    private static List<Record> readDirectly(String stream) {
        return new KinesisStreamReader(direct).readAll(stream);
    }

    private static List<PutRecordsRequestEntry> numberedEntries(int count) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            entries.add(PutRecordsRequestEntry.builder()
                    .partitionKey("key-" + i)
                    .data(SdkBytes.fromUtf8String(data(i)))
                    .build());
        }
        return entries;
    }

    private static String data(int i) {
        return String.format(Locale.ROOT, "record-%03d", i);
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A seed whose draws (one for the request, one per entry) fail exactly one of two entries at share 0.5. */
    private static long pickSeedFailingExactlyOneOfTwo() {
        for (long seed = 1; ; seed++) {
            Random random = new Random(seed);
            random.nextDouble();
            boolean first = random.nextDouble() < 0.5;
            boolean second = random.nextDouble() < 0.5;
            if (first != second) {
                return seed;
            }
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] head(String operation, String extraHeaders) {
        return ("POST / HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + proxy.port() + "\r\n"
                + "Content-Type: application/x-amz-json-1.1\r\n"
                + "X-Amz-Target: Kinesis_20131202." + operation + "\r\n"
                + "X-Amz-Date: 20240101T000000Z\r\n"
                + "Authorization: AWS4-HMAC-SHA256 Credential=" + KinesisEmulator.ACCESS_KEY
                + "/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n"
                + extraHeaders
                + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] request(String operation, String json, String extraHeaders) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = head(operation, "Content-Length: " + body.length + "\r\n" + extraHeaders);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(head);
        bytes.writeBytes(body);
        return bytes.toByteArray();
    }

    private static byte[] chunk(byte[] data, int offset, int length) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        bytes.write(data, offset, length);
        bytes.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return bytes.toByteArray();
    }

    /** Just enough of an HTTP/1.1 response reader for the proxy's fixed-length answers. */
    private static final class RawResponse {
        int status;
        final Map<String, String> headers = new HashMap<>();
        byte[] body = new byte[0];

        static RawResponse read(InputStream in) throws IOException {
            RawResponse response = new RawResponse();
            String statusLine = line(in);
            response.status = Integer.parseInt(statusLine.split(" ")[1]);
            for (String line = line(in); !line.isEmpty(); line = line(in)) {
                int colon = line.indexOf(':');
                response.headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
            String length = response.headers.get("content-length");
            if (length != null) {
                response.body = in.readNBytes(Integer.parseInt(length));
            }
            return response;
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b == -1) {
                    throw new IOException("connection closed");
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        String text() {
            return status + " " + new String(body, StandardCharsets.UTF_8);
        }
    }
}
