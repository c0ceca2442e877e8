package org.airbytekinesis.flink.airbyte;

import java.io.Serializable;
import java.util.List;

/** One stream of a configured catalog: what the destination needs of it. */
public final class CatalogStream implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StreamDescriptor descriptor;
    private final DestinationSyncMode syncMode;
    private final List<FieldPath> primaryKey;

    public CatalogStream(StreamDescriptor descriptor, DestinationSyncMode syncMode) {
        this(descriptor, syncMode, List.of());
    }

    public CatalogStream(StreamDescriptor descriptor, DestinationSyncMode syncMode, List<FieldPath> primaryKey) {
        this.descriptor = descriptor;
        this.syncMode = syncMode;
        this.primaryKey = List.copyOf(primaryKey);
    }

    public StreamDescriptor descriptor() {
        return descriptor;
    }

    public DestinationSyncMode syncMode() {
        return syncMode;
    }

    /** The fields of the stream's primary key, in order; empty when it has none. */
    public List<FieldPath> primaryKey() {
        return primaryKey;
    }

    @Override
    public String toString() {
        return descriptor + " (" + syncMode.protocolValue() + ")";
    }
}
