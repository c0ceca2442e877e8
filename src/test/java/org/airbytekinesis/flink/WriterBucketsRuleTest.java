package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.junit.jupiter.api.Test;

/** How {@code write} sizes each stream's writers from what provisioning found and the config. */
class WriterBucketsRuleTest {
    private static final ConfiguredCatalog CATALOG = new ConfiguredCatalog(List.of(
            new CatalogStream(new StreamDescriptor(null, "big"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor(null, "small"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor(null, "fresh"), DestinationSyncMode.OVERWRITE)));

    private static WritePlan plan(String config) throws Exception {
        return WritePlan.builder(DestinationConfig.fromJson(new ObjectMapper().readTree(config)), CATALOG).build();
    }

    @Test
    void appendStreamsGetAWriterPerFourOpenShardsAndOverwriteStreamsCountTheShardsTheyWillBeCreatedWith()
            throws Exception {
        Map<String, Integer> writers = WriteCommand.writerBuckets(plan("{\"region\":\"us-east-1\",\"shardCount\":12}"),
                Map.of("_big", 16, "_small", 2), 8, 128).bucketsByStream();

        assertEquals(Map.of("_big", 4, "_small", 1, "_fresh", 3), writers);
    }

    @Test
    void theParallelismCapsItAndOnDemandStreamsStartAsFourShards() throws Exception {
        assertEquals(Map.of("_big", 2, "_small", 1, "_fresh", 2), WriteCommand.writerBuckets(
                plan("{\"region\":\"us-east-1\",\"shardCount\":12}"), Map.of("_big", 64, "_small", 1), 2, 128).bucketsByStream());
        assertEquals(1, (int) WriteCommand.writerBuckets(plan("{\"region\":\"us-east-1\",\"streamMode\":\"on_demand\"}"),
                Map.of("_big", 4, "_small", 4), 8, 128).bucketsByStream().get("_fresh"));
    }

    @Test
    void writersPerStreamOverridesTheRuleForEveryStreamUpToTheParallelism() throws Exception {
        assertEquals(Map.of("_big", 3, "_small", 3, "_fresh", 3), WriteCommand.writerBuckets(
                plan("{\"region\":\"us-east-1\",\"writersPerStream\":3}"), Map.of("_big", 1, "_small", 1), 8, 128)
                .bucketsByStream());
        assertEquals(Map.of("_big", 2, "_small", 2, "_fresh", 2), WriteCommand.writerBuckets(
                plan("{\"region\":\"us-east-1\",\"writersPerStream\":3}"), Map.of("_big", 1, "_small", 1), 2, 128)
                .bucketsByStream());
    }
}
