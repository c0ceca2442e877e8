package org.airbytekinesis.flink.envelope;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.FieldPath;
import org.airbytekinesis.flink.config.PartitionKeyChoice;
import org.airbytekinesis.flink.routing.KinesisStreamNames;

/**
 * The fields each Kinesis stream's partition keys are read from ({@link PartitionKeyReader}),
 * fixed when the job is built: none when records are keyed by their {@code _airbyte_ab_id}.
 */
public final class PartitionKeyFields implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Every record keyed by its {@code _airbyte_ab_id}. */
    public static final PartitionKeyFields AB_ID = new PartitionKeyFields(Map.of());

    private final Map<String, List<FieldPath>> byKinesisStream;

    private PartitionKeyFields(Map<String, List<FieldPath>> byKinesisStream) {
        this.byKinesisStream = byKinesisStream;
    }

    /**
     * @throws SetupException for {@code primary_key} when a catalog stream has none, naming
     *     every such stream: its records would have no key to be ordered by
     */
    public static PartitionKeyFields of(PartitionKeyChoice choice, ConfiguredCatalog catalog) {
        if (choice.isAbId()) {
            return AB_ID;
        }
        Map<String, List<FieldPath>> byKinesisStream = new HashMap<>();
        List<String> withoutKey = new ArrayList<>();
        for (CatalogStream stream : catalog.streams()) {
            List<FieldPath> fields = choice.isPrimaryKey() ? stream.primaryKey() : List.of(choice.field());
            if (fields.isEmpty()) {
                withoutKey.add("\"" + stream.descriptor() + "\"");
            }
            byKinesisStream.put(KinesisStreamNames.of(stream.descriptor().namespace(), stream.descriptor().name()), fields);
        }
        if (!withoutKey.isEmpty()) {
            throw new SetupException("config: partitionKey is \"primary_key\", but the catalog gives no primary_key"
                    + " (nor source_defined_primary_key) for stream" + (withoutKey.size() == 1 ? " " : "s ")
                    + String.join(", ", withoutKey) + "; set one in the catalog, or choose a field (\"/id\") or \"ab_id\"");
        }
        return new PartitionKeyFields(Collections.unmodifiableMap(byKinesisStream));
    }

    /** Whether every key is an {@code _airbyte_ab_id}. */
    public boolean byAbId() {
        return byKinesisStream.isEmpty();
    }

    /** The fields of the stream's keys; empty when its records are keyed by id. */
    public List<FieldPath> of(String kinesisStream) {
        return byKinesisStream.getOrDefault(kinesisStream, List.of());
    }
}
