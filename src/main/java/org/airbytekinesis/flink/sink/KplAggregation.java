package org.airbytekinesis.flink.sink;

import java.io.Serializable;

/**
 * How a stream's sink aggregates ({@code aggregation: kpl}): the largest aggregate, how long one
 * stays open, and where the writer learns the stream's shards.
 */
final class KplAggregation implements Serializable {
    private static final long serialVersionUID = 1L;

    final int maxBytes;
    final long maxAgeMillis;
    final ShardMapLoader shards;

    KplAggregation(int maxBytes, long maxAgeMillis, ShardMapLoader shards) {
        this.maxBytes = maxBytes;
        this.maxAgeMillis = maxAgeMillis;
        this.shards = shards;
    }
}
