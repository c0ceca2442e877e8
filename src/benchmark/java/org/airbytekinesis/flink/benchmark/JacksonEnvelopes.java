package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.routing.KinesisStreamNames;

/**
 * The straightforward way to turn an AirbyteMessage line into the Kinesis envelope, as a
 * competent engineer would write it without thinking about speed, and as the original Airbyte
 * destination did: {@code ObjectMapper.readTree} per line, an {@code ObjectNode} envelope with a
 * random UUID, the data as a JSON string, {@code writeValueAsBytes}. Used by the CPU ceiling (a)
 * and the original connector's method (d). (Unlike the job, it does not keep numbers exact: a
 * tree turns {@code 12345678901234567890.1} into a double.)
 */
final class JacksonEnvelopes {
    /** One enveloped record: its Kinesis stream, partition key and bytes. */
    static final class Envelope {
        final String kinesisStream;
        final String partitionKey;
        final byte[] bytes;

        Envelope(String kinesisStream, String partitionKey, byte[] bytes) {
            this.kinesisStream = kinesisStream;
            this.partitionKey = partitionKey;
            this.bytes = bytes;
        }
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, String> kinesisStreams = new HashMap<>();

    JacksonEnvelopes(List<StreamDescriptor> catalog) {
        for (StreamDescriptor stream : catalog) {
            kinesisStreams.put(key(stream.namespace(), stream.name()), KinesisStreamNames.of(stream.namespace(), stream.name()));
        }
    }

    private static String key(String namespace, String name) {
        return (namespace == null ? "" : namespace) + "/" + name;
    }

    /** The envelope of a RECORD line; null for any other message. */
    Envelope envelope(String line) throws JsonProcessingException {
        JsonNode message = mapper.readTree(line);
        if (message == null || !"RECORD".equals(message.path("type").asText())) {
            return null;
        }
        JsonNode record = message.get("record");
        JsonNode namespace = record.get("namespace");
        String kinesisStream = kinesisStreams.get(key(namespace == null || namespace.isNull() ? null : namespace.asText(),
                record.get("stream").asText()));
        if (kinesisStream == null) {
            throw new IllegalArgumentException("record of a stream the catalog lacks: " + record.get("stream"));
        }
        String id = UUID.randomUUID().toString();
        ObjectNode envelope = mapper.createObjectNode();
        envelope.put("_airbyte_ab_id", id);
        envelope.set("_airbyte_emitted_at", record.get("emitted_at"));
        envelope.put("_airbyte_data", mapper.writeValueAsString(record.get("data")));
        return new Envelope(kinesisStream, id, mapper.writeValueAsBytes(envelope));
    }
}
