package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.InstantiationUtil;
import org.airbytekinesis.flink.testing.RecordingEnumeratorContext;
import org.junit.jupiter.api.Test;

/** The {@code tcp://} parser, the serializers, the enumerator and the source's settings. */
class SocketLineSourceTest {

    // --- tcp://HOST:PORT ---

    @Test
    void hostAndPortAreParsed() {
        SocketEndpoint endpoint = SocketEndpoint.parse("tcp://localhost:9000");
        assertEquals("localhost", endpoint.host());
        assertEquals(9000, endpoint.port());
        assertEquals("tcp://localhost:9000", endpoint.uri());
    }

    @Test
    void ipAddressesSchemeCaseAndTrailingSlashAreAccepted() {
        assertEquals("tcp://10.0.0.7:1", SocketEndpoint.parse("tcp://10.0.0.7:1").uri());
        assertEquals("tcp://[::1]:65535", SocketEndpoint.parse("tcp://[::1]:65535").uri());
        assertEquals("::1", SocketEndpoint.parse("tcp://[::1]:65535").host());
        assertEquals("tcp://source-x.internal:7000", SocketEndpoint.parse(" TCP://source-x.internal:7000/ ").uri());
        assertEquals(SocketEndpoint.of("[::1]", 5), SocketEndpoint.parse("tcp://[::1]:5"));
        assertTrue(SocketEndpoint.isSocketUri("Tcp://x:1"));
        assertFalse(SocketEndpoint.isSocketUri("/data/tcp://x:1"));
    }

    private static void assertRejected(String uri, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SocketEndpoint.parse(uri));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should contain '" + part + "'");
        }
    }

    @Test
    void aMissingPortIsNamed() {
        assertRejected("tcp://localhost", "'tcp://localhost'", "missing port", "tcp://HOST:PORT");
        assertRejected("tcp://localhost:", "missing port");
        assertRejected("tcp://[::1]", "missing port");
        assertRejected("tcp://[::1]:", "missing port");
    }

    @Test
    void aBadPortIsNamed() {
        assertRejected("tcp://localhost:http", "bad port 'http'", "1 to 65535");
        assertRejected("tcp://localhost:0", "bad port '0'");
        assertRejected("tcp://localhost:65536", "bad port '65536'");
        assertRejected("tcp://localhost:-1", "bad port '-1'");
        assertRejected("tcp://localhost:99999999999", "bad port '99999999999'");
        assertRejected("tcp://localhost: 80", "bad port ' 80'");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SocketEndpoint.of("h", 70000));
        assertTrue(e.getMessage().contains("bad port 70000"), e.getMessage());
    }

    @Test
    void anotherSchemeOrNoSchemeIsRefused() {
        assertRejected("http://localhost:80", "scheme must be tcp, not http");
        assertRejected("udp://localhost:80", "scheme must be tcp, not udp");
        assertRejected("localhost:9000", "not a tcp:// address", "tcp://HOST:PORT");
        assertRejected("/data/messages.jsonl", "not a tcp:// address");
    }

    @Test
    void aMissingHostPathsAndUnbracketedIpv6AreRefused() {
        assertRejected("tcp://:9000", "missing host");
        assertRejected("tcp://[]:9000", "missing host");
        assertRejected("tcp://host:9000/path", "only HOST:PORT may follow tcp://");
        assertRejected("tcp://user@host:9000", "only HOST:PORT may follow tcp://");
        assertRejected("tcp://host:9000?x=1", "only HOST:PORT may follow tcp://");
        assertRejected("tcp://::1:9000", "IPv6", "brackets");
        assertRejected("tcp://[::1:9000", "unclosed '['");
        assertRejected("", "empty address");
        assertRejected(null, "empty address");
    }

    // --- serializers ---

    private static <T> T roundTrip(SimpleVersionedSerializer<T> serializer, T value) throws IOException {
        byte[] bytes = serializer.serialize(value);
        return serializer.deserialize(serializer.getVersion(), bytes);
    }

    @Test
    void splitsSurviveTheirSerializer() throws IOException {
        for (SocketLineSplit split : List.of(
                new SocketLineSplit("tcp://localhost:9000", 0, 0, false),
                new SocketLineSplit("tcp://[::1]:1", 123_456_789_012L, 17, false),
                new SocketLineSplit("tcp://host-ä:65535", Long.MAX_VALUE, Long.MAX_VALUE, true))) {
            SocketLineSplit copy = roundTrip(SocketLineSplit.Serializer.INSTANCE, split);
            assertEquals(split, copy);
            assertEquals(split.splitId(), copy.splitId());
            assertEquals(split.linesEmitted(), copy.linesEmitted());
            assertEquals(split.connections(), copy.connections());
            assertEquals(split.finished(), copy.finished());
        }
    }

    @Test
    void enumeratorStateSurvivesItsSerializer() throws IOException {
        SocketLineEnumerator.State empty = new SocketLineEnumerator.State(null);
        assertNull(roundTrip(SocketLineEnumerator.StateSerializer.INSTANCE, empty).unassigned());
        SocketLineSplit split = new SocketLineSplit("tcp://localhost:9000", 42, 3, false);
        SocketLineEnumerator.State withSplit = new SocketLineEnumerator.State(split);
        assertEquals(split, roundTrip(SocketLineEnumerator.StateSerializer.INSTANCE, withSplit).unassigned());
    }

    @Test
    void unknownVersionsAndTrailingBytesAreErrors() throws IOException {
        byte[] split = SocketLineSplit.Serializer.INSTANCE.serialize(new SocketLineSplit("tcp://h:1", 1, 1, false));
        IOException e = assertThrows(IOException.class, () -> SocketLineSplit.Serializer.INSTANCE.deserialize(2, split));
        assertTrue(e.getMessage().contains("unknown version 2"), e.getMessage());
        byte[] longer = java.util.Arrays.copyOf(split, split.length + 1);
        assertThrows(IOException.class, () -> SocketLineSplit.Serializer.INSTANCE.deserialize(1, longer));
        byte[] state = SocketLineEnumerator.StateSerializer.INSTANCE.serialize(new SocketLineEnumerator.State(null));
        assertThrows(IOException.class, () -> SocketLineEnumerator.StateSerializer.INSTANCE.deserialize(7, state));
    }

    // --- enumerator ---

    @Test
    void theFirstReaderThatAsksGetsTheSplitAndEveryAskerHearsThereAreNoMore() throws Exception {
        RecordingEnumeratorContext<SocketLineSplit> context = new RecordingEnumeratorContext<>(0, 1, 2);
        SocketLineSource source = SocketLineSource.of("localhost", 9000, true, "run");
        SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> enumerator = source.createEnumerator(context);
        enumerator.start();
        enumerator.handleSplitRequest(1, "host");
        enumerator.handleSplitRequest(0, "host");
        enumerator.handleSplitRequest(2, "host");
        assertEquals(Map.of(1, List.of(new SocketLineSplit("tcp://localhost:9000", 0, 0, false))), context.assigned);
        assertEquals(List.of(1, 0, 2), context.noMoreSplits);
        assertNull(enumerator.snapshotState(1).unassigned());
    }

    @Test
    void aSplitGivenBackGoesToTheNextReaderThatAsks() throws Exception {
        RecordingEnumeratorContext<SocketLineSplit> context = new RecordingEnumeratorContext<>(0);
        SocketLineSource source = SocketLineSource.of("localhost", 9000, false, "run");
        SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> enumerator = source.createEnumerator(context);
        enumerator.handleSplitRequest(0, null);
        SocketLineSplit back = new SocketLineSplit("tcp://localhost:9000", 0, 0, false);
        enumerator.addSplitsBack(List.of(back), 0);
        assertEquals(back, enumerator.snapshotState(2).unassigned());
        context.assigned.clear();
        enumerator.handleSplitRequest(0, null);
        assertEquals(Map.of(0, List.of(back)), context.assigned);
    }

    @Test
    void aRestoredEnumeratorAssignsTheSplitItHeld() throws Exception {
        RecordingEnumeratorContext<SocketLineSplit> context = new RecordingEnumeratorContext<>(0);
        SocketLineSource source = SocketLineSource.of("localhost", 9000, true, "run");
        SocketLineSplit held = new SocketLineSplit("tcp://localhost:9000", 0, 0, false);
        source.restoreEnumerator(context, new SocketLineEnumerator.State(held)).handleSplitRequest(0, null);
        assertEquals(Map.of(0, List.of(held)), context.assigned);

        RecordingEnumeratorContext<SocketLineSplit> after = new RecordingEnumeratorContext<>(0);
        source.restoreEnumerator(after, new SocketLineEnumerator.State(null)).handleSplitRequest(0, null);
        assertTrue(after.assigned.isEmpty());
        assertEquals(List.of(0), after.noMoreSplits);
    }

    @Test
    void anUnregisteredReaderDoesNotGetTheSplit() throws Exception {
        RecordingEnumeratorContext<SocketLineSplit> context = new RecordingEnumeratorContext<>();
        SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> enumerator =
                SocketLineSource.of("localhost", 9000, true, "run").createEnumerator(context);
        enumerator.handleSplitRequest(0, null);
        assertTrue(context.assigned.isEmpty());
        assertEquals("tcp://localhost:9000", enumerator.snapshotState(1).unassigned().splitId());
    }

    // --- the source ---

    @Test
    void theSourceKnowsItsBoundednessAndOptions() throws Exception {
        SocketLineSource bounded = SocketLineSource.of("tcp://localhost:9000", true, "run-1");
        assertEquals(Boundedness.BOUNDED, bounded.getBoundedness());
        assertEquals(Boundedness.CONTINUOUS_UNBOUNDED,
                SocketLineSource.of("localhost", 9000, false, "run-1").getBoundedness());
        assertEquals(TypeInformation.of(InputLine.class), bounded.getProducedType());
        assertEquals(Duration.ofMillis(100), bounded.initialBackoff());
        assertEquals(Duration.ofSeconds(5), bounded.maxBackoff());
        assertEquals(Duration.ofSeconds(30), bounded.firstConnectTimeout());

        SocketLineSource tuned = bounded
                .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(40))
                .withFirstConnectTimeout(Duration.ofSeconds(2))
                .withConnectAttemptTimeout(Duration.ofMillis(500))
                .withQueueCapacity(8);
        SocketLineSource copy = InstantiationUtil.clone(tuned);
        assertEquals(SocketEndpoint.parse("tcp://localhost:9000"), copy.endpoint());
        assertTrue(copy.isBounded());
        assertEquals("run-1", copy.runId());
        assertEquals(Duration.ofMillis(10), copy.initialBackoff());
        assertEquals(Duration.ofMillis(40), copy.maxBackoff());
        assertEquals(Duration.ofSeconds(2), copy.firstConnectTimeout());
        assertEquals(Duration.ofMillis(500), copy.connectAttemptTimeout());
        assertEquals(8, copy.queueCapacity());
    }

    @Test
    void badOptionsAreRefused() {
        SocketLineSource source = SocketLineSource.of("localhost", 9000, true, "run");
        assertThrows(IllegalArgumentException.class,
                () -> source.withReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> source.withReconnectBackoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> source.withFirstConnectTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> source.withQueueCapacity(0));
        assertThrows(IllegalArgumentException.class, () -> SocketLineSource.of("localhost", 9000, true, ""));
        assertThrows(IllegalArgumentException.class, () -> SocketLineSource.of("localhost:9000", true, "run"));
        assertThrows(IllegalArgumentException.class, () -> SocketLineSource.of(" ", 9000, true, "run"));
    }
}
