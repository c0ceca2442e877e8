package org.airbytekinesis.flink.msf;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.WritePlan;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.Locations;
import org.airbytekinesis.flink.source.AfterRead;
import org.airbytekinesis.flink.state.StateOutTarget;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * The job's settings as the property groups of Amazon Managed Service for Apache Flink, turned
 * into the {@link WritePlan} the {@code write} command runs, directly (no files in between).
 *
 * <table>
 *   <caption>Property groups</caption>
 *   <tr><th>group</th><th>keys</th></tr>
 *   <tr><td>{@value #DESTINATION_CONFIG}</td><td>the keys of the destination config JSON
 *       ({@link DestinationConfig#knownKeys()}); values are strings and are converted to the
 *       types the connection specification gives them (numbers for {@code shardCount}, ...).
 *       Unknown keys are kept, so the config warns about them as it does for a file.</td></tr>
 *   <tr><td>{@value #CATALOG}</td><td>{@value #CATALOG_JSON}: the ConfiguredAirbyteCatalog as
 *       JSON, or {@value #CATALOG_S3}: the URI of a file holding it (s3://, or any file system
 *       Flink has)</td></tr>
 *   <tr><td>{@value #INPUT}</td><td>{@value #INPUT_PATHS} (comma-separated paths or URIs),
 *       {@value #WATCH} (true/false), {@value #WATCH_INTERVAL}, {@value #AFTER_READ},
 *       {@value #DEAD_LETTER}, {@value #STATE_OUT}: as the {@code write} options of the same
 *       names</td></tr>
 * </table>
 *
 * <p>Every validation error names the group and the key. Values of secret keys (those the
 * connection specification marks {@code airbyte_secret}: {@code accessKey}, {@code privateKey},
 * ...) never appear in a message.
 */
public final class MsfApplicationProperties {
    public static final String DESTINATION_CONFIG = "DestinationConfig";
    public static final String CATALOG = "Catalog";
    public static final String INPUT = "Input";

    public static final String CATALOG_JSON = "catalog.json";
    public static final String CATALOG_S3 = "catalog.s3";
    public static final String INPUT_PATHS = "input";
    public static final String WATCH = "watch";
    public static final String WATCH_INTERVAL = "watch.interval";
    public static final String DEAD_LETTER = "dead-letter";
    public static final String STATE_OUT = "state-out";
    public static final String AFTER_READ = "after-read";

    /** The local file format of the service's property groups (and of this job's local mode). */
    static final String PROPERTY_GROUP_ID = "PropertyGroupId";
    static final String PROPERTY_MAP = "PropertyMap";

    private static final String CONNECTION_SPECIFICATION = "/connection-specification.json";
    private static final Pattern URI_WITH_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|min|m)?");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads the catalog file that {@value #CATALOG_S3} names. */
    @FunctionalInterface
    public interface FileReader {
        byte[] read(String uri) throws IOException;
    }

    private final ObjectNode destinationConfig;
    private final JsonNode catalog;
    private final List<String> inputs;
    private final boolean watch;
    private final Duration watchInterval;
    private final AfterRead afterRead;
    private final String deadLetter;
    private final String stateOut;
    private final List<String> warnings;

    private MsfApplicationProperties(ObjectNode destinationConfig, JsonNode catalog, List<String> inputs, boolean watch,
            Duration watchInterval, AfterRead afterRead, String deadLetter, String stateOut, List<String> warnings) {
        this.destinationConfig = destinationConfig;
        this.catalog = catalog;
        this.inputs = Collections.unmodifiableList(inputs);
        this.watch = watch;
        this.watchInterval = watchInterval;
        this.afterRead = afterRead;
        this.deadLetter = deadLetter;
        this.stateOut = stateOut;
        this.warnings = Collections.unmodifiableList(warnings);
    }

    /** The groups and keys this job reads. */
    public static Map<String, Set<String>> knownKeys() {
        Map<String, Set<String>> keys = new LinkedHashMap<>();
        keys.put(DESTINATION_CONFIG, Collections.unmodifiableSet(new TreeSet<>(DestinationConfig.knownKeys())));
        keys.put(CATALOG, Set.of(CATALOG_JSON, CATALOG_S3));
        keys.put(INPUT, Set.of(INPUT_PATHS, WATCH, WATCH_INTERVAL, DEAD_LETTER, STATE_OUT, AFTER_READ));
        return Collections.unmodifiableMap(keys);
    }

    /** Reads {@value #CATALOG_S3} with Flink's file systems (s3:// needs Flink's S3 file system). */
    public static MsfApplicationProperties fromGroups(Map<String, Properties> groups) {
        return fromGroups(groups, MsfApplicationProperties::readWithFlinkFileSystem);
    }

    public static MsfApplicationProperties fromGroups(Map<String, Properties> groups, FileReader catalogReader) {
        List<String> warnings = new ArrayList<>();
        Set<String> unknownGroups = new TreeSet<>(groups.keySet());
        unknownGroups.removeAll(knownKeys().keySet());
        if (!unknownGroups.isEmpty()) {
            warnings.add("ignoring property groups " + unknownGroups + "; this job reads " + knownKeys().keySet());
        }
        ObjectNode config = destinationConfig(require(groups, DESTINATION_CONFIG,
                "give at least the region (or an empty group for the defaults)"));
        JsonNode catalog = catalog(require(groups, CATALOG,
                "give " + CATALOG_JSON + " (the ConfiguredAirbyteCatalog as JSON) or " + CATALOG_S3 + " (its s3:// URI)"),
                catalogReader);
        Properties input = require(groups, INPUT, "give at least " + INPUT_PATHS + " (comma-separated paths or s3:// URIs)");
        warnAboutUnknownKeys(CATALOG, groups.get(CATALOG), warnings);
        warnAboutUnknownKeys(INPUT, input, warnings);

        List<String> inputs = inputs(input);
        boolean watch = parseBoolean(input, WATCH);
        String watchIntervalText = value(input, WATCH_INTERVAL);
        Duration watchInterval = null;
        if (watchIntervalText != null) {
            watchInterval = duration(watchIntervalText);
            if (!watch) {
                throw new SetupException(INPUT + ": " + WATCH_INTERVAL + " needs " + WATCH + "=true");
            }
        }
        String deadLetter = value(input, DEAD_LETTER);
        if (deadLetter != null) {
            checkDeadLetterDirectory(deadLetter);
            if (config.hasNonNull(DestinationConfig.DEAD_LETTER_STREAM)) {
                throw new SetupException(INPUT + ": " + DEAD_LETTER + " and " + DESTINATION_CONFIG + ": "
                        + DestinationConfig.DEAD_LETTER_STREAM + " are both set; dead letters go to one of them");
            }
        }
        String stateOut = value(input, STATE_OUT);
        String afterRead = value(input, AFTER_READ);
        return new MsfApplicationProperties(config, catalog, inputs, watch, watchInterval,
                afterRead == null ? AfterRead.leave() : AfterRead.parse(afterRead, INPUT + ": " + AFTER_READ, resolved(inputs)),
                deadLetter,
                stateOut == null ? null : StateOutTarget.resolve(stateOut, INPUT + ": " + STATE_OUT),
                warnings);
    }

    // ---------------------------------------------------------------------------------------------
    // DestinationConfig

    private static ObjectNode destinationConfig(Properties group) {
        JsonNode properties = connectionSpecification().path("properties");
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        for (String key : sortedKeys(group)) {
            String value = String.valueOf(group.get(key));
            JsonNode schema = properties.path(key);
            boolean secret = schema.path("airbyte_secret").asBoolean(false);
            switch (schema.path("type").asText("string")) {
                case "integer":
                    config.set(key, integer(key, value, secret));
                    break;
                case "number":
                    config.set(key, number(key, value, secret));
                    break;
                case "boolean":
                    config.put(key, bool(DESTINATION_CONFIG, key, value, secret));
                    break;
                default:
                    // Strings, and unknown keys: kept as given, so the config warns about them.
                    config.put(key, value);
            }
        }
        try {
            DestinationConfig.fromJson(config);
        } catch (SetupException e) {
            // DestinationConfig's messages name the key and never a secret's value.
            String message = e.getMessage();
            throw new SetupException(DESTINATION_CONFIG + ": "
                    + (message.startsWith("config: ") ? message.substring("config: ".length()) : message));
        }
        return config;
    }

    private static JsonNode integer(String key, String value, boolean secret) {
        try {
            return JsonNodeFactory.instance.numberNode(new BigInteger(value.trim()));
        } catch (NumberFormatException e) {
            throw new SetupException(DESTINATION_CONFIG + ": " + key + " must be a whole number"
                    + (secret ? "" : ", got \"" + value + "\""));
        }
    }

    private static JsonNode number(String key, String value, boolean secret) {
        try {
            return JsonNodeFactory.instance.numberNode(new BigDecimal(value.trim()));
        } catch (NumberFormatException e) {
            throw new SetupException(DESTINATION_CONFIG + ": " + key + " must be a number"
                    + (secret ? "" : ", got \"" + value + "\""));
        }
    }

    private static JsonNode connectionSpecification() {
        try (InputStream in = MsfApplicationProperties.class.getResourceAsStream(CONNECTION_SPECIFICATION)) {
            if (in == null) {
                throw new IllegalStateException(CONNECTION_SPECIFICATION + " is missing from the job jar");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Catalog

    private static JsonNode catalog(Properties group, FileReader reader) {
        String inline = value(group, CATALOG_JSON);
        String uri = value(group, CATALOG_S3);
        if (inline != null && uri != null) {
            throw new SetupException(CATALOG + ": give either " + CATALOG_JSON + " or " + CATALOG_S3 + ", not both");
        }
        String key;
        byte[] json;
        if (inline != null) {
            key = CATALOG_JSON;
            json = inline.getBytes(StandardCharsets.UTF_8);
        } else if (uri != null) {
            key = CATALOG_S3;
            if (!URI_WITH_SCHEME.matcher(uri).matches()) {
                throw new SetupException(CATALOG + ": " + CATALOG_S3 + " must be a URI such as s3://bucket/catalog.json, got \""
                        + uri + "\"");
            }
            try {
                json = reader.read(uri);
            } catch (IOException e) {
                throw new SetupException(CATALOG + ": " + CATALOG_S3 + " " + uri + ": cannot read it: " + e, e);
            }
        } else {
            throw new SetupException(CATALOG + ": give " + CATALOG_JSON + " (the ConfiguredAirbyteCatalog as JSON) or "
                    + CATALOG_S3 + " (the s3:// URI of a file holding it)");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SetupException(CATALOG + ": " + key + " is not valid JSON" + where(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            ConfiguredCatalog.fromJson(root);
        } catch (SetupException e) {
            throw new SetupException(CATALOG + ": " + key + ": " + e.getMessage());
        }
        return root;
    }

    private static byte[] readWithFlinkFileSystem(String uri) throws IOException {
        org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(uri);
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            return in.readAllBytes();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Input

    private static List<String> inputs(Properties group) {
        String text = value(group, INPUT_PATHS);
        List<String> inputs = new ArrayList<>();
        if (text != null) {
            for (String part : text.split(",")) {
                if (!part.isBlank()) {
                    inputs.add(part.trim());
                }
            }
        }
        if (inputs.isEmpty()) {
            throw new SetupException(INPUT + ": " + INPUT_PATHS + " is required: comma-separated paths or URIs"
                    + " (s3://bucket/prefix/); the service has no standard input");
        }
        for (String input : inputs) {
            Path local = Locations.localPath(input);
            if (local != null && !Files.exists(local)) {
                throw new SetupException(INPUT + ": " + INPUT_PATHS + " " + input + ": no such file or directory");
            }
        }
        return inputs;
    }

    private static void checkDeadLetterDirectory(String directory) {
        Path local = Locations.localPath(directory);
        if (local != null && Files.exists(local) && !Files.isDirectory(local)) {
            throw new SetupException(INPUT + ": " + DEAD_LETTER + " " + directory + ": not a directory");
        }
    }

    private static List<String> resolved(List<String> inputs) {
        List<String> resolved = new ArrayList<>();
        for (String input : inputs) {
            resolved.add(Locations.resolve(input));
        }
        return resolved;
    }

    /** The forms {@code write --watch-interval} takes: 500ms, 10s, 2min (or 2m), plain milliseconds. */
    private static Duration duration(String text) {
        Matcher matcher = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (matcher.matches()) {
            try {
                long amount = Long.parseLong(matcher.group(1));
                String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
                long millis = unit.equals("ms") ? amount : unit.equals("s") ? amount * 1000 : amount * 60_000;
                if (millis >= 10) {
                    return Duration.ofMillis(millis);
                }
            } catch (NumberFormatException e) {
                // not a duration: said below
            }
        }
        throw new SetupException(INPUT + ": " + WATCH_INTERVAL
                + " must be a duration of at least 10ms such as 500ms, 10s or 2min, got \"" + text + "\"");
    }

    private static boolean parseBoolean(Properties group, String key) {
        String value = value(group, key);
        return value != null && bool(INPUT, key, value, false);
    }

    private static boolean bool(String groupName, String key, String value, boolean secret) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new SetupException(groupName + ": " + key + " must be true or false"
                + (secret ? "" : ", got \"" + value + "\""));
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static Properties require(Map<String, Properties> groups, String group, String hint) {
        Properties properties = groups.get(group);
        if (properties == null) {
            throw new SetupException("property group " + group + " is missing: " + hint);
        }
        return properties;
    }

    /** The trimmed value, or null when the key is absent or blank. */
    private static String value(Properties group, String key) {
        Object value = group.get(key);
        if (value == null || String.valueOf(value).isBlank()) {
            return null;
        }
        return String.valueOf(value).trim();
    }

    private static void warnAboutUnknownKeys(String group, Properties properties, List<String> warnings) {
        Set<String> unknown = new TreeSet<>(sortedKeys(properties));
        unknown.removeAll(knownKeys().get(group));
        if (!unknown.isEmpty()) {
            warnings.add(group + ": ignoring unknown keys " + unknown);
        }
    }

    private static List<String> sortedKeys(Properties properties) {
        List<String> keys = new ArrayList<>();
        for (Object key : properties.keySet()) {
            keys.add(String.valueOf(key));
        }
        Collections.sort(keys);
        return keys;
    }

    private static String where(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    // ---------------------------------------------------------------------------------------------
    // The local file of property groups

    /**
     * Reads property groups from a local JSON file in the format the service's runtime reads:
     * {@code [{"PropertyGroupId": "...", "PropertyMap": {"key": "value", ...}}, ...]}. Numbers and
     * booleans in a PropertyMap are taken as their text, as the runtime takes them.
     */
    public static Map<String, Properties> readLocalFile(Path file) {
        String source = "--properties " + file;
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            // No content in the message: the file can hold credentials.
            throw new SetupException(source + ": not valid JSON" + where(e));
        } catch (IOException e) {
            throw new SetupException(source + ": cannot read it: " + e);
        }
        if (root == null || !root.isArray()) {
            throw new SetupException(source + ": must be a JSON array of {\"" + PROPERTY_GROUP_ID + "\": ..., \""
                    + PROPERTY_MAP + "\": {...}} objects");
        }
        Map<String, Properties> groups = new LinkedHashMap<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode entry = root.get(i);
            String at = source + ": [" + i + "]";
            if (!entry.isObject()) {
                throw new SetupException(at + " must be an object with " + PROPERTY_GROUP_ID + " and " + PROPERTY_MAP);
            }
            JsonNode id = entry.get(PROPERTY_GROUP_ID);
            if (id == null || !id.isTextual() || id.textValue().isBlank()) {
                throw new SetupException(at + "." + PROPERTY_GROUP_ID + " must be a non-empty string");
            }
            String group = id.textValue();
            if (groups.containsKey(group)) {
                throw new SetupException(at + ": property group " + group + " is given twice");
            }
            JsonNode map = entry.get(PROPERTY_MAP);
            if (map == null || !map.isObject()) {
                throw new SetupException(at + "." + PROPERTY_MAP + " (group " + group + ") must be an object");
            }
            Properties properties = new Properties();
            for (Map.Entry<String, JsonNode> field : map.properties()) {
                JsonNode value = field.getValue();
                if (!value.isValueNode() || value.isNull()) {
                    throw new SetupException(source + ": " + group + ": " + field.getKey() + " must be a string");
                }
                properties.setProperty(field.getKey(), value.asText());
            }
            groups.put(group, properties);
        }
        return groups;
    }

    // ---------------------------------------------------------------------------------------------
    // What the write command takes

    /** The run these properties describe, as {@code write} would build it from the same options. */
    public WritePlan plan() {
        return WritePlan.builder(DestinationConfig.fromJson(destinationConfig), ConfiguredCatalog.fromJson(catalog))
                .inputs(resolved(inputs))
                .watchInterval(watch ? (watchInterval == null ? WritePlan.DEFAULT_WATCH_INTERVAL : watchInterval) : null)
                .afterRead(afterRead)
                .deadLetterDirectory(deadLetter == null ? null : Locations.resolve(deadLetter))
                .stateOut(stateOut)
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors

    /** The destination config JSON; it can hold credentials: never log it. */
    ObjectNode destinationConfig() {
        return destinationConfig;
    }

    public JsonNode catalog() {
        return catalog;
    }

    public List<String> inputs() {
        return inputs;
    }

    public boolean watch() {
        return watch;
    }

    /** Null when not given. */
    public Duration watchInterval() {
        return watchInterval;
    }

    /** Null when not given. */
    public String deadLetter() {
        return deadLetter;
    }

    /** Unknown groups and keys, ready to log (names only, never values). */
    public List<String> warnings() {
        return warnings;
    }

    /** Group names with their key names, never the values: safe to log. */
    public static Map<String, Set<String>> describe(Map<String, Properties> groups) {
        Map<String, Set<String>> keys = new TreeMap<>();
        for (Map.Entry<String, Properties> group : groups.entrySet()) {
            keys.put(group.getKey(), new TreeSet<>(sortedKeys(group.getValue())));
        }
        return keys;
    }
}
