package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Validates an AirbyteMessage against the Airbyte protocol's own JSON schema
 * ({@code src/test/resources/corpus/airbyte_protocol.yaml}, draft-07), as the whole document with the
 * message under {@code airbyte_message}, the way the platform's models define it.
 */
public final class AirbyteProtocolSchema {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonSchema schema;

    private AirbyteProtocolSchema() {}

    /** The schema's complaints about the message; empty when it is valid. */
    public static List<String> errors(JsonNode airbyteMessage) {
        ObjectNode document = JSON.createObjectNode();
        document.set("airbyte_message", airbyteMessage);
        return schema().validate(document).stream()
                .map(ValidationMessage::getMessage)
                .sorted()
                .collect(Collectors.toList());
    }

    /** For a message as printed: one line of JSON. */
    public static List<String> errors(String airbyteMessageLine) {
        try {
            return errors(JSON.readTree(airbyteMessageLine));
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }

    private static synchronized JsonSchema schema() {
        if (schema == null) {
            try {
                JsonNode protocol = new YAMLMapper().readTree(Corpus.file("airbyte_protocol.yaml").toFile());
                schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(protocol);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the Airbyte protocol schema", e);
            }
        }
        return schema;
    }
}
