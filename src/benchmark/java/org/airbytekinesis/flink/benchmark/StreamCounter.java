package org.airbytekinesis.flink.benchmark;

import java.util.Collection;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/** Counts the records in Kinesis streams, reading every shard from the start, keeping none. */
final class StreamCounter {
    private StreamCounter() {}

    static long count(KinesisClient client, Collection<String> streams) {
        KinesisStreamReader reader = new KinesisStreamReader(client);
        long total = 0;
        for (String stream : streams) {
            total += reader.count(stream);
        }
        return total;
    }
}
