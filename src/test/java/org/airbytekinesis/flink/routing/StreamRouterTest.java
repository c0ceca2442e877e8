package org.airbytekinesis.flink.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

class StreamRouterTest {
    private static final List<String> STREAMS = List.of("_users", "poke_pokemon", "_orders");

    private static KinesisEnvelope envelope(String stream, int n) {
        return new KinesisEnvelope(stream, "key-" + n, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, KinesisEnvelope, KinesisEnvelope> harness(
            Map<String, OutputTag<KinesisEnvelope>> tags) throws Exception {
        KeySelector<KinesisEnvelope, String> byStream = e -> e.kinesisStream;
        KeyedOneInputStreamOperatorTestHarness<String, KinesisEnvelope, KinesisEnvelope> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new StreamRouter(tags)), byStream, Types.STRING);
        harness.open();
        return harness;
    }

    private static List<KinesisEnvelope> values(Queue<StreamRecord<KinesisEnvelope>> output) {
        List<KinesisEnvelope> values = new ArrayList<>();
        if (output != null) {
            for (StreamRecord<KinesisEnvelope> record : output) {
                values.add(record.getValue());
            }
        }
        return values;
    }

    @Test
    void sideOutputsHaveOneTagPerStream() {
        Map<String, OutputTag<KinesisEnvelope>> tags = StreamRouter.sideOutputs(STREAMS);
        assertEquals(STREAMS, new ArrayList<>(tags.keySet()));
        assertEquals("kinesis-_users", tags.get("_users").getId());
        assertEquals(TypeInformation.of(KinesisEnvelope.class), tags.get("_users").getTypeInfo());
    }

    @Test
    void everyEnvelopeGoesToItsStreamsSideOutput() throws Exception {
        Map<String, OutputTag<KinesisEnvelope>> tags = StreamRouter.sideOutputs(STREAMS);
        List<KinesisEnvelope> users = new ArrayList<>();
        List<KinesisEnvelope> pokemon = new ArrayList<>();
        try (KeyedOneInputStreamOperatorTestHarness<String, KinesisEnvelope, KinesisEnvelope> harness = harness(tags)) {
            for (int i = 0; i < 10; i++) {
                KinesisEnvelope envelope = envelope(i % 3 == 0 ? "poke_pokemon" : "_users", i);
                (i % 3 == 0 ? pokemon : users).add(envelope);
                harness.processElement(new StreamRecord<>(envelope, i));
            }
            assertEquals(users, values(harness.getSideOutput(tags.get("_users"))));
            assertEquals(pokemon, values(harness.getSideOutput(tags.get("poke_pokemon"))));
            assertEquals(List.of(), values(harness.getSideOutput(tags.get("_orders"))));
            assertTrue(harness.extractOutputValues().isEmpty(), "main output must stay empty");
        }
    }

    @Test
    void envelopeKeepsItsTimestamp() throws Exception {
        Map<String, OutputTag<KinesisEnvelope>> tags = StreamRouter.sideOutputs(STREAMS);
        try (KeyedOneInputStreamOperatorTestHarness<String, KinesisEnvelope, KinesisEnvelope> harness = harness(tags)) {
            harness.processElement(new StreamRecord<>(envelope("_orders", 1), 1234L));
            StreamRecord<KinesisEnvelope> routed = harness.getSideOutput(tags.get("_orders")).peek();
            assertEquals(1234L, routed.getTimestamp());
            assertNull(harness.getSideOutput(tags.get("_users")));
        }
    }

    @Test
    void envelopeOfUnknownStreamIsABug() throws Exception {
        Map<String, OutputTag<KinesisEnvelope>> tags = StreamRouter.sideOutputs(STREAMS);
        try (KeyedOneInputStreamOperatorTestHarness<String, KinesisEnvelope, KinesisEnvelope> harness = harness(tags)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> harness.processElement(new StreamRecord<>(envelope("_nope", 1))));
            assertTrue(e.getMessage().contains("_nope"), e.getMessage());
        }
    }
}
