package org.airbytekinesis.flink.airbyte;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.JsonFiles;

/**
 * A ConfiguredAirbyteCatalog, read leniently: real catalogs often hold only {@code stream.name}
 * and {@code destination_sync_mode}, so everything but the name is optional and unknown fields
 * are ignored.
 */
public final class ConfiguredCatalog implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<CatalogStream> streams;

    public ConfiguredCatalog(List<CatalogStream> streams) {
        this.streams = Collections.unmodifiableList(new ArrayList<>(streams));
    }

    public static ConfiguredCatalog fromFile(Path path) {
        JsonNode root = JsonFiles.read(path, "catalog", true);
        try {
            return fromJson(root);
        } catch (SetupException e) {
            throw new SetupException("catalog " + path + ": " + e.getMessage());
        }
    }

    /** Parses a catalog; error messages name the JSON path of the bad field. */
    public static ConfiguredCatalog fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new SetupException("must be a JSON object with a \"streams\" array");
        }
        JsonNode streamsNode = root.get("streams");
        if (streamsNode == null || !streamsNode.isArray()) {
            throw new SetupException("\"streams\" must be an array");
        }
        List<CatalogStream> streams = new ArrayList<>();
        for (int i = 0; i < streamsNode.size(); i++) {
            streams.add(parseStream(streamsNode.get(i), "streams[" + i + "]"));
        }
        return new ConfiguredCatalog(streams);
    }

    private static CatalogStream parseStream(JsonNode node, String path) {
        if (!node.isObject()) {
            throw new SetupException(path + " must be an object");
        }
        JsonNode stream = node.get("stream");
        if (stream == null || !stream.isObject()) {
            throw new SetupException(path + ".stream must be an object");
        }
        JsonNode name = stream.get("name");
        if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
            throw new SetupException(path + ".stream.name must be a non-empty string");
        }
        JsonNode namespace = stream.get("namespace");
        if (namespace != null && !namespace.isNull() && !namespace.isTextual()) {
            throw new SetupException(path + ".stream.namespace must be a string or null");
        }
        JsonNode mode = node.get("destination_sync_mode");
        DestinationSyncMode syncMode = DestinationSyncMode.APPEND;
        if (mode != null && !mode.isNull()) {
            syncMode = mode.isTextual() ? DestinationSyncMode.fromProtocolValue(mode.textValue()) : null;
            if (syncMode == null) {
                throw new SetupException(path + ".destination_sync_mode must be one of append, overwrite,"
                        + " append_dedup, update, soft_delete; got " + mode);
            }
        }
        String namespaceValue = namespace == null || namespace.isNull() ? null : namespace.textValue();
        List<FieldPath> primaryKey = primaryKey(node.get("primary_key"), path + ".primary_key");
        if (primaryKey.isEmpty()) {
            primaryKey = primaryKey(stream.get("source_defined_primary_key"), path + ".stream.source_defined_primary_key");
        }
        return new CatalogStream(new StreamDescriptor(namespaceValue, name.textValue()), syncMode, primaryKey);
    }

    /** A primary key as the protocol writes it: a list of field paths, each a list of keys. */
    private static List<FieldPath> primaryKey(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new SetupException(path + " must be an array of field paths (arrays of strings)");
        }
        List<FieldPath> fields = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode field = node.get(i);
            if (!field.isArray() || field.isEmpty()) {
                throw new SetupException(path + "[" + i + "] must be a non-empty array of strings");
            }
            List<String> keys = new ArrayList<>();
            for (int k = 0; k < field.size(); k++) {
                if (!field.get(k).isTextual()) {
                    throw new SetupException(path + "[" + i + "][" + k + "] must be a string");
                }
                keys.add(field.get(k).textValue());
            }
            fields.add(FieldPath.of(keys));
        }
        return fields;
    }

    public List<CatalogStream> streams() {
        return streams;
    }
}
