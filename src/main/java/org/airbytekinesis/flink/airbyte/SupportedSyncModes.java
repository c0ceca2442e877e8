package org.airbytekinesis.flink.airbyte;

import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.SetupException;

/** Kinesis is an append-only log: only {@code append} and {@code overwrite} can be honoured. */
public final class SupportedSyncModes {
    private SupportedSyncModes() {}

    /** Refuses a catalog with a sync mode this destination cannot honour, naming the streams. */
    public static void check(ConfiguredCatalog catalog) {
        List<String> refused = new ArrayList<>();
        for (CatalogStream stream : catalog.streams()) {
            DestinationSyncMode mode = stream.syncMode();
            if (mode != DestinationSyncMode.APPEND && mode != DestinationSyncMode.OVERWRITE) {
                refused.add("\"" + stream.descriptor() + "\" (" + mode.protocolValue() + ")");
            }
        }
        if (!refused.isEmpty()) {
            throw new SetupException("catalog: destination_sync_mode of " + String.join(", ", refused)
                    + " is not supported: Kinesis is an append-only log, records can be neither updated nor"
                    + " deleted in place; use append or overwrite");
        }
    }
}
