package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.airbytekinesis.flink.config.CredentialsConfig;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.testing.AirbyteProtocolSchema;
import org.junit.jupiter.api.Test;

class SpecCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> SECRETS =
            Set.of(DestinationConfig.ACCESS_KEY, DestinationConfig.PRIVATE_KEY, CredentialsConfig.EXTERNAL_ID);

    private static String specOutput() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SpecCommand(new PrintStream(out, true, StandardCharsets.UTF_8)).run();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode specMessage() throws Exception {
        return MAPPER.readTree(specOutput());
    }

    private static JsonNode properties() throws Exception {
        return specMessage().path("spec").path("connectionSpecification").path("properties");
    }

    @Test
    void specPrintsExactlyOneLineHoldingTheSpecMessage() throws Exception {
        String output = specOutput();
        assertTrue(output.endsWith("\n"), "ends its line");
        assertEquals(1, output.lines().count(), output);

        JsonNode message = MAPPER.readTree(output);
        assertEquals("SPEC", message.path("type").asText());
        JsonNode spec = message.path("spec");
        assertEquals("https://docs.airbyte.com/integrations/destinations/kinesis", spec.path("documentationUrl").asText());
        assertTrue(spec.path("supportsIncremental").asBoolean());
        assertFalse(spec.path("supportsNormalization").asBoolean(true));
        assertFalse(spec.path("supportsDBT").asBoolean(true));
        assertEquals(MAPPER.readTree("[\"append\",\"overwrite\"]"), spec.path("supported_destination_sync_modes"));
        JsonNode connectionSpecification = spec.path("connectionSpecification");
        assertEquals("http://json-schema.org/draft-07/schema#", connectionSpecification.path("$schema").asText());
        assertEquals("object", connectionSpecification.path("type").asText());
        assertTrue(connectionSpecification.path("additionalProperties").asBoolean(false));
        assertTrue(connectionSpecification.path("required").isMissingNode(), "every key is optional");
    }

    @Test
    void theSpecMessageIsValidByTheAirbyteProtocolSchema() {
        assertEquals(List.of(), AirbyteProtocolSchema.errors(specOutput()));
    }

    @Test
    void theProtocolSchemaCheckCatchesBrokenMessages() throws Exception {
        ObjectNode withoutConnectionSpecification = (ObjectNode) specMessage();
        ((ObjectNode) withoutConnectionSpecification.get("spec")).remove("connectionSpecification");
        assertFalse(AirbyteProtocolSchema.errors(withoutConnectionSpecification).isEmpty());

        assertEquals(List.of(), AirbyteProtocolSchema.errors(
                "{\"type\":\"CONNECTION_STATUS\",\"connectionStatus\":{\"status\":\"FAILED\",\"message\":\"m\"}}"));
        List<String> maybe = AirbyteProtocolSchema.errors(
                "{\"type\":\"CONNECTION_STATUS\",\"connectionStatus\":{\"status\":\"MAYBE\"}}");
        assertFalse(maybe.isEmpty());
        assertTrue(maybe.toString().contains("status"), maybe.toString());
        assertFalse(AirbyteProtocolSchema.errors("{\"type\":\"NOT_A_TYPE\"}").isEmpty());
    }

    @Test
    void theSpecListsExactlyTheKeysTheConfigReads() throws Exception {
        Set<String> listed = new TreeSet<>();
        properties().fieldNames().forEachRemaining(listed::add);
        assertEquals(new TreeSet<>(DestinationConfig.knownKeys()), listed);
    }

    @Test
    void everyPropertyHasATypeTitleDescriptionAndItsOwnOrder() throws Exception {
        Set<Integer> orders = new HashSet<>();
        for (Map.Entry<String, JsonNode> property : fields(properties())) {
            JsonNode schema = property.getValue();
            String key = property.getKey();
            assertTrue(schema.path("type").isTextual(), key);
            assertFalse(schema.path("title").asText().isBlank(), key);
            assertFalse(schema.path("description").asText().isBlank(), key);
            assertTrue(schema.path("order").isInt(), key);
            assertTrue(orders.add(schema.path("order").intValue()), key + ": order used twice");
        }
    }

    @Test
    void onlyTheKeysAndTheExternalIdAreMarkedSecret() throws Exception {
        for (Map.Entry<String, JsonNode> property : fields(properties())) {
            boolean secret = property.getValue().path("airbyte_secret").asBoolean(false);
            assertEquals(SECRETS.contains(property.getKey()), secret, property.getKey());
            if (secret) {
                assertTrue(property.getValue().path("examples").isMissingNode(), "no example for a secret");
            }
        }
    }

    @Test
    void everyDefaultIsWhatAnEmptyConfigGets() throws Exception {
        DestinationConfig empty = DestinationConfig.fromJson(MAPPER.createObjectNode());
        JsonNode properties = properties();
        assertEquals(empty.shardCount(), properties.path("shardCount").path("default").intValue());
        assertEquals(empty.bufferSize(), properties.path("bufferSize").path("default").intValue());
        assertEquals(empty.dataFormat().configValue(), properties.path("dataFormat").path("default").textValue());

        // Generally: giving the default changes nothing; no default means the key is unset.
        List<String> withoutDefault = new ArrayList<>();
        for (Map.Entry<String, JsonNode> property : fields(properties)) {
            JsonNode defaultValue = property.getValue().get("default");
            if (defaultValue == null) {
                withoutDefault.add(property.getKey());
                continue;
            }
            ObjectNode config = MAPPER.createObjectNode().set(property.getKey(), defaultValue);
            assertEquals(empty.toString(), DestinationConfig.fromJson(config).toString(), property.getKey());
        }
        assertTrue(withoutDefault.containsAll(List.of("endpoint", "region", "accessKey", "privateKey")), withoutDefault.toString());
        assertTrue(empty.endpoint().isEmpty());
        assertTrue(empty.region().isEmpty());
        assertFalse(empty.hasStaticCredentials());
    }

    @Test
    void theConnectionSpecificationIsADraft07SchemaThatAgreesWithTheConfigParser() throws Exception {
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
        JsonNode connectionSpecification = specMessage().path("spec").path("connectionSpecification");
        JsonSchema metaSchema = factory.getSchema(SchemaLocation.of("http://json-schema.org/draft-07/schema#"));
        assertEquals(Set.of(), metaSchema.validate(connectionSpecification));

        JsonSchema configSchema = factory.getSchema(connectionSpecification);
        for (String valid : List.of(
                "{}",
                "{\"endpoint\":\"http://localhost:4567\",\"region\":\"us-east-1\",\"shardCount\":1,"
                        + "\"accessKey\":\"a\",\"privateKey\":\"b\",\"bufferSize\":500,\"dataFormat\":\"object\"}",
                "{\"someFutureOption\":true}")) {
            assertEquals(Set.of(), configSchema.validate(MAPPER.readTree(valid)), valid);
            DestinationConfig.fromJson(MAPPER.readTree(valid));
        }
        for (String invalid : List.of(
                "{\"shardCount\":0}",
                "{\"bufferSize\":0}",
                "{\"bufferSize\":501}",
                "{\"bufferSize\":\"100\"}",
                "{\"dataFormat\":\"xml\"}",
                "{\"region\":5}")) {
            assertFalse(configSchema.validate(MAPPER.readTree(invalid)).isEmpty(), invalid);
            assertThrows(SetupException.class, () -> DestinationConfig.fromJson(MAPPER.readTree(invalid)), invalid);
        }
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
        fields.addAll(node.properties());
        assertFalse(fields.isEmpty());
        return fields;
    }
}
