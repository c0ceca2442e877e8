package org.airbytekinesis.flink.routing;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;

/**
 * Which Kinesis stream each catalog stream is written to, and which catalog stream a record
 * belongs to.
 *
 * <p>A record matches the catalog stream with the same namespace and name. Real syncs are not
 * always that tidy (a source that sets namespace {@code public} paired with a catalog without
 * namespaces), so when there is no exact match, a record also matches the only catalog stream of
 * its name when one of the two has no namespace. Two different namespaces never match.
 */
public final class StreamRoutes implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<StreamDescriptor, String> kinesisStreamByDescriptor;
    private final Map<String, List<StreamDescriptor>> descriptorsByName;

    private StreamRoutes(Map<StreamDescriptor, String> kinesisStreamByDescriptor) {
        this.kinesisStreamByDescriptor = kinesisStreamByDescriptor;
        Map<String, List<StreamDescriptor>> byName = new HashMap<>();
        for (StreamDescriptor descriptor : kinesisStreamByDescriptor.keySet()) {
            byName.computeIfAbsent(descriptor.name(), n -> new ArrayList<>()).add(descriptor);
        }
        this.descriptorsByName = byName;
    }

    /** Refuses a catalog in which two streams would share one Kinesis stream. */
    public static StreamRoutes forCatalog(ConfiguredCatalog catalog) {
        Map<StreamDescriptor, String> byDescriptor = new LinkedHashMap<>();
        Map<String, StreamDescriptor> byKinesisName = new HashMap<>();
        for (CatalogStream stream : catalog.streams()) {
            StreamDescriptor descriptor = stream.descriptor();
            String kinesisName = KinesisStreamNames.of(descriptor.namespace(), descriptor.name());
            StreamDescriptor earlier = byKinesisName.putIfAbsent(kinesisName, descriptor);
            if (earlier != null) {
                throw new SetupException("catalog streams \"" + earlier + "\" and \"" + descriptor
                        + "\" would both be written to Kinesis stream \"" + kinesisName
                        + "\"; rename one or give them different namespaces");
            }
            byDescriptor.put(descriptor, kinesisName);
        }
        return new StreamRoutes(byDescriptor);
    }

    /** The Kinesis stream for a record's stream, or null when the catalog does not have it. */
    public String kinesisStreamFor(String namespace, String name) {
        List<StreamDescriptor> candidates = descriptorsByName.get(name);
        if (candidates == null) {
            return null;
        }
        for (StreamDescriptor candidate : candidates) {
            if (Objects.equals(candidate.namespace(), namespace)) {
                return kinesisStreamByDescriptor.get(candidate);
            }
        }
        if (candidates.size() == 1) {
            StreamDescriptor only = candidates.get(0);
            if (namespace == null || only.namespace() == null) {
                return kinesisStreamByDescriptor.get(only);
            }
        }
        return null;
    }

    /** A sentence for an error about a record stream the catalog lacks, with near misses. */
    public String describeMissing(String namespace, String name) {
        StreamDescriptor wanted = new StreamDescriptor(namespace, name);
        List<StreamDescriptor> sameName = descriptorsByName.getOrDefault(name, List.of());
        String hint = sameName.isEmpty() ? "" : " (the catalog has " + sameName + ")";
        return "stream \"" + wanted + "\" is not in the catalog" + hint;
    }

    /** Catalog streams and their Kinesis stream names, in catalog order. */
    public Map<StreamDescriptor, String> kinesisStreams() {
        return Collections.unmodifiableMap(kinesisStreamByDescriptor);
    }
}
