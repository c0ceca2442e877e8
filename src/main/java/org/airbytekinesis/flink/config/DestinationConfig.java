package org.airbytekinesis.flink.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.airbytekinesis.flink.SetupException;

/**
 * The destination's configuration: the Airbyte Kinesis destination's own JSON keys, parsed and
 * validated once. Validation messages name the key and never repeat a secret's value.
 */
public final class DestinationConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String ENDPOINT = "endpoint";
    public static final String REGION = "region";
    public static final String SHARD_COUNT = "shardCount";
    public static final String ACCESS_KEY = "accessKey";
    public static final String PRIVATE_KEY = "privateKey";
    public static final String BUFFER_SIZE = "bufferSize";
    public static final String DATA_FORMAT = "dataFormat";

    public static final int DEFAULT_SHARD_COUNT = 5;
    public static final int DEFAULT_BUFFER_SIZE = 100;
    /** PutRecords accepts at most 500 records per call. */
    public static final int MAX_BUFFER_SIZE = 500;

    private static final Set<String> KNOWN_KEYS =
            Set.of(ENDPOINT, REGION, SHARD_COUNT, ACCESS_KEY, PRIVATE_KEY, BUFFER_SIZE, DATA_FORMAT);

    private final URI endpoint;
    private final String region;
    private final int shardCount;
    private final String accessKey;
    private final String privateKey;
    private final int bufferSize;
    private final DataFormat dataFormat;
    private final List<String> unknownKeys;

    private DestinationConfig(
            URI endpoint,
            String region,
            int shardCount,
            String accessKey,
            String privateKey,
            int bufferSize,
            DataFormat dataFormat,
            List<String> unknownKeys) {
        this.endpoint = endpoint;
        this.region = region;
        this.shardCount = shardCount;
        this.accessKey = accessKey;
        this.privateKey = privateKey;
        this.bufferSize = bufferSize;
        this.dataFormat = dataFormat;
        this.unknownKeys = unknownKeys;
    }

    public static DestinationConfig fromFile(Path path) {
        // The config holds credentials: errors say where, never what.
        return fromJson(JsonFiles.read(path, "config", false));
    }

    public static DestinationConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new SetupException("config: must be a JSON object");
        }
        URI endpoint = optionalString(root, ENDPOINT).map(DestinationConfig::parseEndpoint).orElse(null);
        String region = optionalString(root, REGION).orElse(null);
        int shardCount = optionalInt(root, SHARD_COUNT, 1, Integer.MAX_VALUE).orElse(DEFAULT_SHARD_COUNT);
        String accessKey = optionalSecret(root, ACCESS_KEY);
        String privateKey = optionalSecret(root, PRIVATE_KEY);
        if ((accessKey == null) != (privateKey == null)) {
            String missing = accessKey == null ? ACCESS_KEY : PRIVATE_KEY;
            String present = accessKey == null ? PRIVATE_KEY : ACCESS_KEY;
            throw new SetupException(
                    "config: " + missing + " is required when " + present
                            + " is set (give both, or neither to use the default AWS credentials chain)");
        }
        int bufferSize = optionalInt(root, BUFFER_SIZE, 1, MAX_BUFFER_SIZE).orElse(DEFAULT_BUFFER_SIZE);
        DataFormat dataFormat = optionalString(root, DATA_FORMAT)
                .map(value -> {
                    DataFormat format = DataFormat.fromConfigValue(value);
                    if (format == null) {
                        throw new SetupException(
                                "config: " + DATA_FORMAT + " must be \"string\" or \"object\", got \"" + value + "\"");
                    }
                    return format;
                })
                .orElse(DataFormat.STRING);

        Set<String> unknown = new TreeSet<>();
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KNOWN_KEYS.contains(name)) {
                unknown.add(name);
            }
        }
        return new DestinationConfig(
                endpoint,
                region,
                shardCount,
                accessKey,
                privateKey,
                bufferSize,
                dataFormat,
                Collections.unmodifiableList(new ArrayList<>(unknown)));
    }

    /** A bare host gets {@code https://}; a URL with a scheme is used as it is. */
    static URI parseEndpoint(String value) {
        String text = value.trim();
        if (text.isEmpty()) {
            throw new SetupException("config: " + ENDPOINT + " must not be empty (leave it out for AWS's own endpoint)");
        }
        String withScheme = text.contains("://") ? text : "https://" + text;
        if (withScheme.substring(withScheme.indexOf("://") + 3).split("[/?#]", 2)[0].contains("@")) {
            // Never echo it: the part before '@' would be a password.
            throw new SetupException("config: " + ENDPOINT + " must not contain user information (user:password@)");
        }
        URI uri;
        try {
            uri = new URI(withScheme);
        } catch (URISyntaxException e) {
            throw new SetupException("config: " + ENDPOINT + " \"" + value + "\" is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new SetupException(
                    "config: " + ENDPOINT + " \"" + value + "\" must use http or https, not " + scheme);
        }
        if (uri.getHost() == null) {
            throw new SetupException("config: " + ENDPOINT + " \"" + value + "\" has no host");
        }
        return uri;
    }

    private static Optional<String> optionalString(JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new SetupException("config: " + key + " must be a string, got " + describe(node));
        }
        return Optional.of(node.textValue());
    }

    private static String optionalSecret(JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        // Never echo the value: it is a credential.
        if (!node.isTextual()) {
            throw new SetupException("config: " + key + " must be a string");
        }
        if (node.textValue().isEmpty()) {
            throw new SetupException("config: " + key + " must not be empty");
        }
        return node.textValue();
    }

    private static Optional<Integer> optionalInt(JsonNode root, String key, int min, int max) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new SetupException("config: " + key + " must be a whole number, got " + describe(node));
        }
        int value = node.intValue();
        if (value < min || value > max) {
            String range = max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max;
            throw new SetupException("config: " + key + " must be " + range + ", got " + value);
        }
        return Optional.of(value);
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        return text.length() > 60 ? text.substring(0, 60) + "..." : text;
    }

    /** Empty when the config has no endpoint: AWS's own endpoint for the region. */
    public Optional<URI> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /** Empty when the config has no region: the SDK's default region chain decides. */
    public Optional<String> region() {
        return Optional.ofNullable(region);
    }

    public int shardCount() {
        return shardCount;
    }

    public boolean hasStaticCredentials() {
        return accessKey != null;
    }

    public String accessKey() {
        return accessKey;
    }

    public String privateKey() {
        return privateKey;
    }

    public int bufferSize() {
        return bufferSize;
    }

    public DataFormat dataFormat() {
        return dataFormat;
    }

    /** Keys the config holds that this destination does not know, sorted. */
    public List<String> unknownKeys() {
        return unknownKeys;
    }

    @Override
    public String toString() {
        return "DestinationConfig{endpoint=" + endpoint
                + ", region=" + region
                + ", shardCount=" + shardCount
                + ", credentials=" + (hasStaticCredentials() ? "static (redacted)" : "default chain")
                + ", bufferSize=" + bufferSize
                + ", dataFormat=" + dataFormat.configValue()
                + "}";
    }
}
