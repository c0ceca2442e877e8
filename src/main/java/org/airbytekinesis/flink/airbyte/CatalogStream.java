package org.airbytekinesis.flink.airbyte;

import java.io.Serializable;

/** One stream of a configured catalog: what the destination needs of it. */
public final class CatalogStream implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StreamDescriptor descriptor;
    private final DestinationSyncMode syncMode;

    public CatalogStream(StreamDescriptor descriptor, DestinationSyncMode syncMode) {
        this.descriptor = descriptor;
        this.syncMode = syncMode;
    }

    public StreamDescriptor descriptor() {
        return descriptor;
    }

    public DestinationSyncMode syncMode() {
        return syncMode;
    }

    @Override
    public String toString() {
        return descriptor + " (" + syncMode.protocolValue() + ")";
    }
}
