package org.airbytekinesis.flink.tools;

import java.nio.file.Path;
import java.util.Map;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Prints how many records each catalog stream's Kinesis stream holds, read back with the SDK:
 * {@code StreamCounts CONFIG.json CATALOG.json}. Used by the demo.
 */
public final class StreamCounts {
    private StreamCounts() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: StreamCounts CONFIG.json CATALOG.json");
            System.exit(2);
        }
        DestinationConfig config = DestinationConfig.fromFile(Path.of(args[0]));
        StreamRoutes routes = StreamRoutes.forCatalog(ConfiguredCatalog.fromFile(Path.of(args[1])));
        long total = 0;
        try (KinesisClient client = KinesisClients.create(KinesisConnection.fromConfig(config))) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            System.out.printf("%-40s %-44s %8s%n", "Airbyte stream", "Kinesis stream", "records");
            for (Map.Entry<StreamDescriptor, String> route : routes.kinesisStreams().entrySet()) {
                int count = reader.readAll(route.getValue()).size();
                total += count;
                System.out.printf("%-40s %-44s %8d%n", route.getKey(), route.getValue(), count);
            }
        }
        System.out.printf("%-85s %8d%n", "total", total);
    }
}
