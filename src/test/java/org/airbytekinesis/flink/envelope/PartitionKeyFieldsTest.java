package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.FieldPath;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.PartitionKeyChoice;
import org.junit.jupiter.api.Test;

class PartitionKeyFieldsTest {
    private static final FieldPath ID = FieldPath.parsePointer("/id");

    private static CatalogStream stream(String namespace, String name, FieldPath... primaryKey) {
        return new CatalogStream(new StreamDescriptor(namespace, name), DestinationSyncMode.APPEND, List.of(primaryKey));
    }

    private static PartitionKeyChoice choice(String partitionKey) throws Exception {
        return DestinationConfig.fromJson(new ObjectMapper().createObjectNode().put("partitionKey", partitionKey)).partitionKey();
    }

    @Test
    void byIdEveryStreamIsKeyedByItsRecordIds() {
        PartitionKeyFields keys = PartitionKeyFields.of(PartitionKeyChoice.BY_AB_ID,
                new ConfiguredCatalog(List.of(stream(null, "users", ID))));
        assertTrue(keys.byAbId());
        assertEquals(List.of(), keys.of("_users"));
    }

    @Test
    void aFieldKeysEveryStreamOfTheCatalogByItsKinesisStreamName() throws Exception {
        PartitionKeyFields keys = PartitionKeyFields.of(choice("/customer/id"),
                new ConfiguredCatalog(List.of(stream(null, "users"), stream("shop", "orders", ID))));
        assertFalse(keys.byAbId());
        assertEquals(List.of(FieldPath.parsePointer("/customer/id")), keys.of("_users"));
        assertEquals(List.of(FieldPath.parsePointer("/customer/id")), keys.of("shop_orders"));
        assertEquals(List.of(), keys.of("_other"), "a stream outside the catalog has no key fields");
    }

    @Test
    void primaryKeysComeFromTheCatalogAndAStreamWithoutOneIsNamedInTheRefusal() throws Exception {
        FieldPath region = FieldPath.parsePointer("/region");
        PartitionKeyFields keys = PartitionKeyFields.of(choice("primary_key"),
                new ConfiguredCatalog(List.of(stream(null, "users", ID, region))));
        assertEquals(List.of(ID, region), keys.of("_users"));

        SetupException one = assertThrows(SetupException.class, () -> PartitionKeyFields.of(choice("primary_key"),
                new ConfiguredCatalog(List.of(stream(null, "users", ID), stream("shop", "orders")))));
        assertTrue(one.getMessage().contains("for stream \"shop.orders\"; set one"), one.getMessage());

        SetupException two = assertThrows(SetupException.class, () -> PartitionKeyFields.of(choice("primary_key"),
                new ConfiguredCatalog(List.of(stream(null, "users"), stream("shop", "orders")))));
        assertTrue(two.getMessage().contains("for streams \"users\", \"shop.orders\"; set one"), two.getMessage());
    }
}
