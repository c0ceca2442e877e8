package org.airbytekinesis.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import org.airbytekinesis.flink.airbyte.AirbyteMessages;

/**
 * {@code spec}: prints the destination's SPEC message, one line. The config's JSON schema lives
 * in the resource {@value #CONNECTION_SPECIFICATION}, where it is easy to read and to diff; a test
 * keeps it in step with {@link org.airbytekinesis.flink.config.DestinationConfig}.
 */
public final class SpecCommand {
    static final String DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/destinations/kinesis";
    static final String CONNECTION_SPECIFICATION = "/connection-specification.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final PrintStream stdout;

    public SpecCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    public void run() {
        stdout.println(AirbyteMessages.spec(connectorSpecification()));
        stdout.flush();
    }

    /** The ConnectorSpecification of the protocol. */
    static ObjectNode connectorSpecification() {
        ObjectNode spec = MAPPER.createObjectNode();
        spec.put("documentationUrl", DOCUMENTATION_URL);
        spec.set("connectionSpecification", connectionSpecification());
        // Records are appended whatever the source's sync mode, so incremental syncs work.
        spec.put("supportsIncremental", true);
        spec.put("supportsNormalization", false);
        spec.put("supportsDBT", false);
        spec.putArray("supported_destination_sync_modes").add("append").add("overwrite");
        return spec;
    }

    /** The config's draft-07 JSON schema, from the classpath. */
    static JsonNode connectionSpecification() {
        try (InputStream in = SpecCommand.class.getResourceAsStream(CONNECTION_SPECIFICATION)) {
            if (in == null) {
                throw new IllegalStateException(CONNECTION_SPECIFICATION + " is missing from the classpath");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CONNECTION_SPECIFICATION, e);
        }
    }
}
