package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SimpleUdfStreamOperatorFactory;
import org.junit.jupiter.api.Test;

/**
 * How each dead-letter output is wired into the job, read from the job's graph (nothing runs):
 * the uids that savepoints map state by, and what the Kinesis sink is given.
 */
class DeadLetterOutputsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    private final DataStream<DeadLetter> deadLetters = env.fromData(deadLetter("x".getBytes(StandardCharsets.UTF_8)));

    /** The committer keeps the uid of the former FileSink's, whose savepoints hold files to finish. */
    @Test
    void aDirectoryIsWrittenByTheDeadLetterSinkWhoseCommitterHasTheFormerFileSinksUid() {
        DeadLetterOutputs.directory("/data/dead").attach(deadLetters);
        assertEquals(Map.of(
                        "Dead letters to /data/dead: Writer", DeadLetterOutputs.UID,
                        "Dead letters to /data/dead: Committer", "Sink Committer: " + DeadLetterOutputs.UID),
                operatorUids());
    }

    @Test
    void noOutputAddsNothingToTheJob() {
        deadLetters.sinkTo(new DiscardingSink<>()).uid("elsewhere").name("elsewhere");
        DeadLetterOutputs.none().attach(deadLetters);
        assertEquals(Map.of("elsewhere: Writer", "elsewhere"), operatorUids());
    }

    @Test
    void theKinesisSinkGetsEachDeadLetterAsARecordOfTheStreamWithinTheRecordLimit() throws Exception {
        DeadLetterOutputs.kinesis("dead_letters", new DiscardingSink<>(), 1024).attach(deadLetters);
        assertEquals(Map.of("Dead letters to Kinesis dead_letters: Writer", DeadLetterOutputs.UID), operatorUids());

        MapFunction<DeadLetter, KinesisEnvelope> toRecord = toRecord();
        KinesisEnvelope small = toRecord.map(deadLetter("[1]".getBytes(StandardCharsets.UTF_8)));
        assertEquals("dead_letters", small.kinesisStream);
        assertEquals("/data/in.jsonl:7", small.partitionKey);
        JsonNode json = JSON.readTree(small.payload);
        assertEquals("[1]", json.get("original").textValue());
        assertEquals(7, json.get("line").longValue());
        assertTrue(json.hasNonNull("failed_at"), json.toString());

        KinesisEnvelope large = toRecord.map(deadLetter("y".repeat(5000).getBytes(StandardCharsets.UTF_8)));
        assertTrue(large.payload.length + large.partitionKey.length() <= 1024, "cut to the limit");
        assertTrue(JSON.readTree(large.payload).get("original_truncated").booleanValue());
    }

    /** The function between the dead letters and the Kinesis sink. */
    @SuppressWarnings("unchecked")
    private MapFunction<DeadLetter, KinesisEnvelope> toRecord() {
        List<MapFunction<DeadLetter, KinesisEnvelope>> functions = new ArrayList<>();
        for (StreamNode node : env.getStreamGraph(false).getStreamNodes()) {
            if (node.getOperatorFactory() instanceof SimpleUdfStreamOperatorFactory) {
                functions.add((MapFunction<DeadLetter, KinesisEnvelope>)
                        ((SimpleUdfStreamOperatorFactory<?>) node.getOperatorFactory()).getUserFunction());
            }
        }
        assertEquals(1, functions.size(), functions.toString());
        return functions.get(0);
    }

    /** The job's operators that have a uid (the source and the Kinesis function have none), by name. */
    private Map<String, String> operatorUids() {
        Map<String, String> uids = new TreeMap<>();
        for (StreamNode node : env.getStreamGraph(false).getStreamNodes()) {
            if (node.getTransformationUID() != null) {
                uids.put(node.getOperatorName(), node.getTransformationUID());
            }
        }
        return uids;
    }

    private static DeadLetter deadLetter(byte[] line) {
        return new DeadLetter(DeadLetterReason.NOT_JSON, "not JSON", "/data/in.jsonl", 7, line);
    }
}
