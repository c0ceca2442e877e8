package org.airbytekinesis.flink.benchmark;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink that drops what it gets and counts it (and its bytes) under a name. The counts are
 * static: the MiniCluster runs in the benchmark's JVM, so the benchmark reads them while the job
 * runs and after it ended.
 */
final class CountingSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> BYTES = new ConcurrentHashMap<>();

    private final String name;
    private final SerializableSize<T> size;

    interface SerializableSize<T> extends ToLongFunction<T>, java.io.Serializable {}

    CountingSink(String name, SerializableSize<T> size) {
        this.name = name;
        this.size = size;
    }

    static AtomicLong count(String name) {
        return COUNTS.computeIfAbsent(name, n -> new AtomicLong());
    }

    static AtomicLong bytes(String name) {
        return BYTES.computeIfAbsent(name, n -> new AtomicLong());
    }

    @Override
    @Deprecated
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(count(name), bytes(name), size);
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(count(name), bytes(name), size);
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final AtomicLong count;
        private final AtomicLong bytes;
        private final ToLongFunction<T> size;

        Writer(AtomicLong count, AtomicLong bytes, ToLongFunction<T> size) {
            this.count = count;
            this.bytes = bytes;
            this.size = size;
        }

        @Override
        public void write(T element, Context context) {
            bytes.addAndGet(size.applyAsLong(element));
            count.incrementAndGet();
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {}

        @Override
        public void close() {}
    }
}
