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
import java.util.function.Function;
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
    public static final String ACCESS_KEY = CredentialsConfig.ACCESS_KEY;
    public static final String PRIVATE_KEY = CredentialsConfig.PRIVATE_KEY;
    public static final String BUFFER_SIZE = "bufferSize";
    public static final String DATA_FORMAT = "dataFormat";
    public static final String MAX_RECORD_SIZE_BYTES = "maxRecordSizeBytes";
    public static final String DEAD_LETTER_STREAM = "deadLetterStream";
    public static final String ON_BAD_INPUT = "onBadInput";
    public static final String AB_ID_MODE = "abIdMode";
    public static final String PARTITION_KEY = "partitionKey";
    public static final String ORDERING = "ordering";
    public static final String STREAM_MODE = "streamMode";
    public static final String KMS_KEY_ID = "kmsKeyId";
    public static final String RETRY_DEADLINE_SECONDS = "retryDeadlineSeconds";
    public static final String BUFFER_MEMORY_MB = "bufferMemoryMb";
    public static final String AGGREGATION = "aggregation";
    public static final String AGGREGATION_MAX_BYTES = "aggregationMaxBytes";
    public static final String WRITERS_PER_STREAM = "writersPerStream";

    public static final int DEFAULT_SHARD_COUNT = 5;
    public static final int DEFAULT_BUFFER_SIZE = 100;
    /** PutRecords accepts at most 500 records per call. */
    public static final int MAX_BUFFER_SIZE = 500;
    /** Kinesis's record limit (data plus partition key), unless raised for the account. */
    public static final int DEFAULT_MAX_RECORD_SIZE_BYTES = 1024 * 1024;
    /** The largest record Kinesis accepts when the limit is raised on request. */
    public static final int MAX_MAX_RECORD_SIZE_BYTES = 10 * 1024 * 1024;
    /** Half the checkpoint timeout's default: a stuck stream fails the run naming its error first. */
    public static final int DEFAULT_RETRY_DEADLINE_SECONDS = 300;
    public static final int DEFAULT_BUFFER_MEMORY_MB = 256;
    /** The KPL's default aggregate size. */
    public static final int DEFAULT_AGGREGATION_MAX_BYTES = 51_200;
    /** 1 MiB less room for the longest partition key (256 characters of up to 4 bytes). */
    public static final int MAX_AGGREGATION_MAX_BYTES = 1024 * 1024 - 1024;
    /** Flink's own bound on an operator's parallelism. */
    public static final int MAX_WRITERS_PER_STREAM = 32_768;

    private static final Set<String> KNOWN_KEYS =
            Set.of(ENDPOINT, REGION, SHARD_COUNT, ACCESS_KEY, PRIVATE_KEY, BUFFER_SIZE, DATA_FORMAT,
                    MAX_RECORD_SIZE_BYTES, DEAD_LETTER_STREAM, ON_BAD_INPUT, AB_ID_MODE, PARTITION_KEY, ORDERING,
                    STREAM_MODE, KMS_KEY_ID, RETRY_DEADLINE_SECONDS, BUFFER_MEMORY_MB, AGGREGATION, AGGREGATION_MAX_BYTES,
                    WRITERS_PER_STREAM, CredentialsConfig.PROFILE, CredentialsConfig.PROFILE_PATH, CredentialsConfig.ROLE_ARN,
                    CredentialsConfig.EXTERNAL_ID, CredentialsConfig.SESSION_NAME, CredentialsConfig.WEB_IDENTITY_TOKEN_FILE);

    private final URI endpoint;
    private final String region;
    private final StreamCreationConfig streamCreation;
    private final CredentialsConfig credentials;
    private final int bufferSize;
    private final DataFormat dataFormat;
    private final int maxRecordSizeBytes;
    private final String deadLetterStream;
    private final BadInputPolicy badInputPolicy;
    private final IdMode idMode;
    private final PartitionKeyChoice partitionKey;
    private final Ordering ordering;
    private final int retryDeadlineSeconds;
    private final int bufferMemoryMb;
    private final Aggregation aggregation;
    private final int aggregationMaxBytes;
    private final int writersPerStream;
    private final List<String> unknownKeys;

    private DestinationConfig(
            URI endpoint,
            String region,
            StreamCreationConfig streamCreation,
            CredentialsConfig credentials,
            int bufferSize,
            DataFormat dataFormat,
            int maxRecordSizeBytes,
            String deadLetterStream,
            BadInputPolicy badInputPolicy,
            IdMode idMode,
            PartitionKeyChoice partitionKey,
            Ordering ordering,
            int retryDeadlineSeconds,
            int bufferMemoryMb,
            Aggregation aggregation,
            int aggregationMaxBytes,
            int writersPerStream,
            List<String> unknownKeys) {
        this.endpoint = endpoint;
        this.region = region;
        this.streamCreation = streamCreation;
        this.credentials = credentials;
        this.bufferSize = bufferSize;
        this.dataFormat = dataFormat;
        this.maxRecordSizeBytes = maxRecordSizeBytes;
        this.deadLetterStream = deadLetterStream;
        this.badInputPolicy = badInputPolicy;
        this.idMode = idMode;
        this.partitionKey = partitionKey;
        this.ordering = ordering;
        this.retryDeadlineSeconds = retryDeadlineSeconds;
        this.bufferMemoryMb = bufferMemoryMb;
        this.aggregation = aggregation;
        this.aggregationMaxBytes = aggregationMaxBytes;
        this.writersPerStream = writersPerStream;
        this.unknownKeys = unknownKeys;
    }

    /** Every key this destination reads; the spec's connectionSpecification lists exactly these. */
    public static Set<String> knownKeys() {
        return KNOWN_KEYS;
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
        CredentialsConfig credentials = CredentialsConfig.fromJson(root);
        StreamCreationConfig.Mode streamMode = optionalChoice(root, STREAM_MODE, StreamCreationConfig.Mode::fromConfigValue,
                "\"provisioned\" or \"on_demand\"", StreamCreationConfig.Mode.PROVISIONED);
        if (streamMode == StreamCreationConfig.Mode.ON_DEMAND && root.hasNonNull(SHARD_COUNT)) {
            throw new SetupException("config: " + SHARD_COUNT + " does not apply with " + STREAM_MODE
                    + " on_demand (Kinesis manages the capacity); leave it out");
        }
        String kmsKeyId = optionalString(root, KMS_KEY_ID).orElse(null);
        if (kmsKeyId != null && kmsKeyId.isBlank()) {
            throw new SetupException("config: " + KMS_KEY_ID + " must not be empty");
        }
        StreamCreationConfig streamCreation = new StreamCreationConfig(streamMode, shardCount, kmsKeyId);
        int bufferSize = optionalInt(root, BUFFER_SIZE, 1, MAX_BUFFER_SIZE).orElse(DEFAULT_BUFFER_SIZE);
        DataFormat dataFormat = optionalChoice(root, DATA_FORMAT, DataFormat::fromConfigValue,
                "\"string\" or \"object\"", DataFormat.STRING);

        int maxRecordSizeBytes = optionalInt(root, MAX_RECORD_SIZE_BYTES, 1024, MAX_MAX_RECORD_SIZE_BYTES)
                .orElse(DEFAULT_MAX_RECORD_SIZE_BYTES);
        String deadLetterStream = optionalString(root, DEAD_LETTER_STREAM).orElse(null);
        if (deadLetterStream != null && !deadLetterStream.matches("[a-zA-Z0-9_.-]{1,128}")) {
            throw new SetupException("config: " + DEAD_LETTER_STREAM + " must be a Kinesis stream name"
                    + " (1 to 128 of a-z, A-Z, 0-9, _ . -), got \"" + deadLetterStream + "\"");
        }
        BadInputPolicy badInputPolicy = optionalChoice(root, ON_BAD_INPUT, BadInputPolicy::fromConfigValue,
                "\"dead-letter\" or \"fail\"", BadInputPolicy.DEAD_LETTER);
        IdMode idMode = optionalChoice(root, AB_ID_MODE, IdMode::fromConfigValue,
                "\"position\" or \"random\"", IdMode.POSITION);
        PartitionKeyChoice partitionKey = optionalString(root, PARTITION_KEY)
                .map(value -> {
                    try {
                        return PartitionKeyChoice.fromConfigValue(value);
                    } catch (IllegalArgumentException e) {
                        throw new SetupException("config: " + PARTITION_KEY + " " + e.getMessage() + ", got \"" + value + "\"");
                    }
                })
                .orElse(PartitionKeyChoice.BY_AB_ID);
        Ordering ordering = optionalChoice(root, ORDERING, Ordering::fromConfigValue,
                "\"none\" or \"per_key\"", Ordering.NONE);

        int retryDeadlineSeconds = optionalInt(root, RETRY_DEADLINE_SECONDS, 10, 86_400)
                .orElse(DEFAULT_RETRY_DEADLINE_SECONDS);
        int bufferMemoryMb = optionalInt(root, BUFFER_MEMORY_MB, 16, 1_048_576).orElse(DEFAULT_BUFFER_MEMORY_MB);
        Aggregation aggregation = optionalChoice(root, AGGREGATION, Aggregation::fromConfigValue,
                "\"none\" or \"kpl\"", Aggregation.NONE);
        // Read even without aggregation: Airbyte's UI sends every default, and a later switch to kpl uses it.
        int aggregationMaxBytes = optionalInt(root, AGGREGATION_MAX_BYTES, 1024, MAX_AGGREGATION_MAX_BYTES)
                .orElse(DEFAULT_AGGREGATION_MAX_BYTES);
        int writersPerStream = optionalInt(root, WRITERS_PER_STREAM, 1, MAX_WRITERS_PER_STREAM).orElse(0);

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
                streamCreation,
                credentials,
                bufferSize,
                dataFormat,
                maxRecordSizeBytes,
                deadLetterStream,
                badInputPolicy,
                idMode,
                partitionKey,
                ordering,
                retryDeadlineSeconds,
                bufferMemoryMb,
                aggregation,
                aggregationMaxBytes,
                writersPerStream,
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

    /** An enumerated key: one of {@code choices} (for the message), or {@code otherwise} when not set. */
    private static <T> T optionalChoice(JsonNode root, String key, Function<String, T> parse, String choices, T otherwise) {
        return optionalString(root, key)
                .map(value -> {
                    T choice = parse.apply(value);
                    if (choice == null) {
                        throw new SetupException("config: " + key + " must be " + choices + ", got \"" + value + "\"");
                    }
                    return choice;
                })
                .orElse(otherwise);
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
        return streamCreation.shardCount();
    }

    public StreamCreationConfig streamCreation() {
        return streamCreation;
    }

    public CredentialsConfig credentials() {
        return credentials;
    }

    public boolean hasStaticCredentials() {
        return credentials.source() == CredentialsConfig.Source.STATIC_KEYS;
    }

    public String accessKey() {
        return credentials.accessKey();
    }

    public String privateKey() {
        return credentials.privateKey();
    }

    public int bufferSize() {
        return bufferSize;
    }

    public DataFormat dataFormat() {
        return dataFormat;
    }

    /** The largest envelope (plus partition key) sent to Kinesis; larger ones are dead letters. */
    public int maxRecordSizeBytes() {
        return maxRecordSizeBytes;
    }

    /** A Kinesis stream for dead letters, or empty for the dead-letter directory. */
    public Optional<String> deadLetterStream() {
        return Optional.ofNullable(deadLetterStream);
    }

    public BadInputPolicy badInputPolicy() {
        return badInputPolicy;
    }

    public IdMode idMode() {
        return idMode;
    }

    public PartitionKeyChoice partitionKey() {
        return partitionKey;
    }

    public Ordering ordering() {
        return ordering;
    }

    /**
     * How long a stream's writes may fail retryably without writing anything before the run
     * fails naming the last error.
     */
    public int retryDeadlineSeconds() {
        return retryDeadlineSeconds;
    }

    /** MiB of records the Kinesis sinks of one TaskManager may hold, buffered and in flight. */
    public int bufferMemoryMb() {
        return bufferMemoryMb;
    }

    /** Sink writers per Kinesis stream as configured (at most the parallelism), or 0: by shard count. */
    public int writersPerStream() {
        return writersPerStream;
    }

    public Aggregation aggregation() {
        return aggregation;
    }

    /** The largest KPL aggregate, in bytes ({@code aggregationMaxBytes}). */
    public int aggregationMaxBytes() {
        return aggregationMaxBytes;
    }

    /** Keys the config holds that this destination does not know, sorted. */
    public List<String> unknownKeys() {
        return unknownKeys;
    }

    @Override
    public String toString() {
        return "DestinationConfig{endpoint=" + endpoint
                + ", region=" + region
                + ", streams=" + streamCreation
                + ", credentials=" + credentials
                + ", bufferSize=" + bufferSize
                + ", dataFormat=" + dataFormat.configValue()
                + ", maxRecordSizeBytes=" + maxRecordSizeBytes
                + (deadLetterStream == null ? "" : ", deadLetterStream=" + deadLetterStream)
                + ", onBadInput=" + badInputPolicy.configValue()
                + ", abIdMode=" + idMode.configValue()
                + ", partitionKey=" + partitionKey
                + ", ordering=" + ordering.configValue()
                + ", retryDeadlineSeconds=" + retryDeadlineSeconds
                + ", bufferMemoryMb=" + bufferMemoryMb
                + ", writersPerStream=" + (writersPerStream == 0 ? "by shards" : writersPerStream)
                + ", aggregation=" + aggregation.configValue()
                + (aggregation == Aggregation.NONE ? "" : ", aggregationMaxBytes=" + aggregationMaxBytes)
                + "}";
    }
}
