package org.airbytekinesis.flink.msf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.WritePlan;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MsfApplicationPropertiesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String CATALOG =
            "{\"streams\":[{\"stream\":{\"name\":\"users\"}},{\"stream\":{\"name\":\"orders\",\"namespace\":\"shop\"},"
                    + "\"destination_sync_mode\":\"overwrite\"}]}";
    private static final String ACCESS_KEY = "AKIAEXAMPLEEXAMPLE12";
    private static final String PRIVATE_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    @TempDir
    Path temp;

    private static Properties props(String... keysAndValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }

    private static Map<String, Properties> groups(Properties config, Properties catalog, Properties input) {
        Map<String, Properties> groups = new LinkedHashMap<>();
        if (config != null) {
            groups.put(MsfApplicationProperties.DESTINATION_CONFIG, config);
        }
        if (catalog != null) {
            groups.put(MsfApplicationProperties.CATALOG, catalog);
        }
        if (input != null) {
            groups.put(MsfApplicationProperties.INPUT, input);
        }
        return groups;
    }

    private static Map<String, Properties> valid() {
        return groups(props("region", "eu-west-1"), props("catalog.json", CATALOG), props("input", "s3://bucket/inbox/"));
    }

    private static SetupException fails(Map<String, Properties> groups) {
        return assertThrows(SetupException.class, () -> MsfApplicationProperties.fromGroups(groups));
    }

    @Test
    void stringValuesBecomeTheTypesOfTheConnectionSpecification() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.DESTINATION_CONFIG, props(
                "region", "eu-west-1",
                "endpoint", "http://localhost:4567",
                "shardCount", "3",
                "bufferSize", " 250 ",
                "maxRecordSizeBytes", "2097152",
                "dataFormat", "object",
                "accessKey", ACCESS_KEY,
                "privateKey", PRIVATE_KEY));

        ObjectNode json = MsfApplicationProperties.fromGroups(groups).destinationConfig();

        assertTrue(json.get("shardCount").isIntegralNumber(), json.get("shardCount").getNodeType().toString());
        assertEquals(3, json.get("shardCount").intValue());
        assertEquals(250, json.get("bufferSize").intValue());
        assertEquals(2097152, json.get("maxRecordSizeBytes").intValue());
        assertTrue(json.get("region").isTextual());
        assertEquals(ACCESS_KEY, json.get("accessKey").textValue());
        DestinationConfig config = DestinationConfig.fromJson(json);
        assertEquals(3, config.shardCount());
        assertEquals(250, config.bufferSize());
        assertEquals(2097152, config.maxRecordSizeBytes());
        assertEquals("eu-west-1", config.region().orElseThrow());
        assertEquals("http://localhost:4567", config.endpoint().orElseThrow().toString());
        assertTrue(config.unknownKeys().isEmpty());
    }

    @Test
    void anEmptyDestinationConfigGroupMeansTheDefaults() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.DESTINATION_CONFIG, new Properties());

        assertEquals(0, MsfApplicationProperties.fromGroups(groups).destinationConfig().size());
    }

    @Test
    void unknownConfigKeysAreKeptSoTheConfigWarnsAboutThem() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("shardcount", "7");

        ObjectNode json = MsfApplicationProperties.fromGroups(groups).destinationConfig();

        assertEquals("7", json.get("shardcount").textValue());
        assertEquals(List.of("shardcount"), DestinationConfig.fromJson(json).unknownKeys());
    }

    @Test
    void aNumberThatIsNotANumberNamesTheGroupAndTheKey() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("shardCount", "five");

        assertEquals("DestinationConfig: shardCount must be a whole number, got \"five\"", fails(groups).getMessage());
    }

    @Test
    void theConfigsOwnValidationNamesTheGroupAndTheKey() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("bufferSize", "1000");

        assertEquals("DestinationConfig: bufferSize must be between 1 and 500, got 1000", fails(groups).getMessage());
    }

    @Test
    void secretValuesNeverAppearInErrors() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("accessKey", ACCESS_KEY);

        String message = fails(groups).getMessage();

        assertTrue(message.startsWith("DestinationConfig: privateKey is required when accessKey is set"), message);
        assertFalse(message.contains(ACCESS_KEY), message);
    }

    @Test
    void aMissingDestinationConfigGroupIsNamed() {
        Map<String, Properties> groups = valid();
        groups.remove(MsfApplicationProperties.DESTINATION_CONFIG);

        assertTrue(fails(groups).getMessage().startsWith("property group DestinationConfig is missing"));
    }

    @Test
    void theCatalogCanBeGivenInline() {
        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(valid());

        ConfiguredCatalog catalog = ConfiguredCatalog.fromJson(properties.catalog());
        assertEquals(2, catalog.streams().size());
        assertEquals("orders", catalog.streams().get(1).descriptor().name());
    }

    @Test
    void aMissingCatalogIsAClearError() {
        Map<String, Properties> groups = valid();
        groups.remove(MsfApplicationProperties.CATALOG);
        assertEquals("property group Catalog is missing: give catalog.json (the ConfiguredAirbyteCatalog as JSON)"
                + " or catalog.s3 (its s3:// URI)", fails(groups).getMessage());

        groups.put(MsfApplicationProperties.CATALOG, props("catalog.json", "  "));
        assertEquals("Catalog: give catalog.json (the ConfiguredAirbyteCatalog as JSON) or catalog.s3"
                + " (the s3:// URI of a file holding it)", fails(groups).getMessage());
    }

    @Test
    void aCatalogThatIsNotJsonOrNotACatalogNamesTheKey() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.CATALOG, props("catalog.json", "{\"streams\": [}"));
        assertTrue(fails(groups).getMessage().startsWith("Catalog: catalog.json is not valid JSON at line 1, column"));

        groups.put(MsfApplicationProperties.CATALOG, props("catalog.json", "{\"streams\": [{\"stream\": {}}]}"));
        assertEquals("Catalog: catalog.json: streams[0].stream.name must be a non-empty string", fails(groups).getMessage());
    }

    @Test
    void catalogJsonAndCatalogS3AreExclusive() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.CATALOG).setProperty("catalog.s3", "s3://bucket/catalog.json");

        assertEquals("Catalog: give either catalog.json or catalog.s3, not both", fails(groups).getMessage());
    }

    @Test
    void catalogS3IsReadThroughTheGivenReader() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.CATALOG, props("catalog.s3", "s3://bucket/airbyte/catalog.json"));
        List<String> read = new java.util.ArrayList<>();

        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(groups, uri -> {
            read.add(uri);
            return CATALOG.getBytes(StandardCharsets.UTF_8);
        });

        assertEquals(List.of("s3://bucket/airbyte/catalog.json"), read);
        assertEquals(2, ConfiguredCatalog.fromJson(properties.catalog()).streams().size());
    }

    @Test
    void catalogS3IsReadWithFlinksFileSystems() throws IOException {
        Path file = Files.writeString(temp.resolve("catalog.json"), CATALOG);
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.CATALOG, props("catalog.s3", file.toUri().toString()));

        assertEquals(2, ConfiguredCatalog.fromJson(MsfApplicationProperties.fromGroups(groups).catalog()).streams().size());

        groups.put(MsfApplicationProperties.CATALOG, props("catalog.s3", temp.resolve("missing.json").toUri().toString()));
        assertTrue(fails(groups).getMessage().startsWith("Catalog: catalog.s3 " + temp.resolve("missing.json").toUri()
                + ": cannot read it: "));

        groups.put(MsfApplicationProperties.CATALOG, props("catalog.s3", "bucket/catalog.json"));
        assertEquals("Catalog: catalog.s3 must be a URI such as s3://bucket/catalog.json, got \"bucket/catalog.json\"",
                fails(groups).getMessage());
    }

    @Test
    void inputIsACommaSeparatedList() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.INPUT, props("input", " s3://bucket/a/ ,s3://bucket/b/sync.jsonl.gz,, "));

        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(groups);

        assertEquals(List.of("s3://bucket/a/", "s3://bucket/b/sync.jsonl.gz"), properties.inputs());
        assertFalse(properties.watch());
        assertNull(properties.watchInterval());
        assertNull(properties.deadLetter());
    }

    @Test
    void inputIsRequiredAndLocalPathsMustExist() {
        Map<String, Properties> groups = valid();
        groups.put(MsfApplicationProperties.INPUT, props("watch", "true"));
        assertTrue(fails(groups).getMessage().startsWith("Input: input is required: comma-separated paths or URIs"));

        groups.remove(MsfApplicationProperties.INPUT);
        assertTrue(fails(groups).getMessage().startsWith("property group Input is missing"));

        String missing = temp.resolve("nothing-here").toString();
        groups.put(MsfApplicationProperties.INPUT, props("input", missing));
        assertEquals("Input: input " + missing + ": no such file or directory", fails(groups).getMessage());
    }

    @Test
    void watchAndItsIntervalAreChecked() {
        Map<String, Properties> groups = valid();
        Properties input = groups.get(MsfApplicationProperties.INPUT);
        input.setProperty("watch", "TRUE");
        input.setProperty("watch.interval", "30s");
        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(groups);
        assertTrue(properties.watch());
        assertEquals(java.time.Duration.ofSeconds(30), properties.watchInterval());

        input.setProperty("watch", "yes");
        assertEquals("Input: watch must be true or false, got \"yes\"", fails(groups).getMessage());

        input.setProperty("watch", "false");
        assertEquals("Input: watch.interval needs watch=true", fails(groups).getMessage());

        input.setProperty("watch", "true");
        input.setProperty("watch.interval", "soon");
        assertEquals("Input: watch.interval must be a duration of at least 10ms such as 500ms, 10s or 2min, got \"soon\"",
                fails(groups).getMessage());
        input.setProperty("watch.interval", "5ms");
        assertTrue(fails(groups).getMessage().startsWith("Input: watch.interval must be a duration"));
    }

    @Test
    void deadLetterDirectoryAndDeadLetterStreamAreExclusive() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.INPUT).setProperty("dead-letter", "s3://bucket/dead-letter/");
        assertEquals("s3://bucket/dead-letter/", MsfApplicationProperties.fromGroups(groups).deadLetter());

        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("deadLetterStream", "dead_letters");
        assertEquals("Input: dead-letter and DestinationConfig: deadLetterStream are both set; dead letters go to one of them",
                fails(groups).getMessage());
    }

    @Test
    void unknownGroupsAndKeysAreWarningsThatNameThem() {
        Map<String, Properties> groups = valid();
        groups.put("FlinkApplicationProperties", props("x", "y"));
        groups.get(MsfApplicationProperties.INPUT).setProperty("watch.intervall", "10s");

        List<String> warnings = MsfApplicationProperties.fromGroups(groups).warnings();

        assertEquals(List.of(
                "ignoring property groups [FlinkApplicationProperties]; this job reads [DestinationConfig, Catalog, Input]",
                "Input: ignoring unknown keys [watch.intervall]"), warnings);
    }

    @Test
    void theKnownKeysOfTheConfigGroupAreTheConfigsKeys() {
        assertEquals(DestinationConfig.knownKeys(), MsfApplicationProperties.knownKeys().get("DestinationConfig"));
        assertEquals(Set.of("catalog.json", "catalog.s3"), MsfApplicationProperties.knownKeys().get("Catalog"));
        assertEquals(Set.of("input", "watch", "watch.interval", "dead-letter", "state-out", "after-read"),
                MsfApplicationProperties.knownKeys().get("Input"));
    }

    @Test
    void thePropertiesMakeTheSamePlanAsTheWriteOptionsOfTheSameValues() throws IOException {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("accessKey", ACCESS_KEY);
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("privateKey", PRIVATE_KEY);
        Properties input = groups.get(MsfApplicationProperties.INPUT);
        Path inbox = Files.createDirectories(temp.resolve("inbox"));
        input.setProperty("input", "s3://bucket/a/," + inbox);
        input.setProperty("watch", "true");
        input.setProperty("watch.interval", "2min");
        input.setProperty("dead-letter", "s3://bucket/dead-letter/");
        input.setProperty("state-out", "s3://bucket/states");

        WritePlan plan = MsfApplicationProperties.fromGroups(groups).plan();

        assertEquals(PRIVATE_KEY, plan.config().credentials().privateKey());
        assertEquals(2, plan.catalog().streams().size());
        assertEquals(List.of("s3://bucket/a/", inbox.toUri().toString()), plan.inputs());
        assertEquals(120, plan.watchInterval().toSeconds());
        assertEquals("s3://bucket/dead-letter/", plan.deadLetterDirectory());
        assertEquals("s3://bucket/states/", plan.stateOut());
        assertEquals("leave", plan.afterRead().toString());

        Path config = Files.writeString(temp.resolve("config.json"), MAPPER.writeValueAsString(
                MAPPER.createObjectNode().put("region", "eu-west-1").put("accessKey", ACCESS_KEY).put("privateKey", PRIVATE_KEY)));
        Path catalog = Files.writeString(temp.resolve("catalog.json"), CATALOG);
        WritePlan fromCommandLine = WriteOptions.parse(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                "--input", "s3://bucket/a/", "--input", inbox.toString(), "--watch", "--watch-interval", "2min",
                "--dead-letter", "s3://bucket/dead-letter/", "--state-out", "s3://bucket/states")).plan();
        assertEquals(fromCommandLine.inputs(), plan.inputs());
        assertEquals(fromCommandLine.watchInterval(), plan.watchInterval());
        assertEquals(fromCommandLine.deadLetterDirectory(), plan.deadLetterDirectory());
        assertEquals(fromCommandLine.stateOut(), plan.stateOut());
        assertEquals(fromCommandLine.syncModes(), plan.syncModes());
    }

    @Test
    void afterReadIsCheckedAgainstTheInputs() throws IOException {
        Map<String, Properties> groups = valid();
        Path inbox = Files.createDirectories(temp.resolve("inbox"));
        groups.get(MsfApplicationProperties.INPUT).setProperty("input", inbox.toString());
        groups.get(MsfApplicationProperties.INPUT).setProperty("after-read", "move:" + inbox.resolve("done"));
        assertTrue(fails(groups).getMessage().startsWith("Input: after-read move:" + inbox.resolve("done")
                + ": the archive must be outside the input"), fails(groups).getMessage());
        groups.get(MsfApplicationProperties.INPUT).setProperty("after-read", "delete");
        assertEquals("delete", MsfApplicationProperties.fromGroups(groups).plan().afterRead().toString());
    }

    @Test
    void theLocalFileHasTheFormatTheServiceRuntimeReads() throws IOException {
        Path file = Files.writeString(temp.resolve("application-properties.json"), "[\n"
                + "  {\"PropertyGroupId\": \"DestinationConfig\", \"PropertyMap\": {\"region\": \"us-east-1\", \"shardCount\": 2}},\n"
                + "  {\"PropertyGroupId\": \"Catalog\", \"PropertyMap\": {\"catalog.s3\": \"s3://bucket/catalog.json\"}},\n"
                + "  {\"PropertyGroupId\": \"Input\", \"PropertyMap\": {\"input\": \"s3://bucket/in/\", \"watch\": true}}\n"
                + "]\n");

        Map<String, Properties> groups = MsfApplicationProperties.readLocalFile(file);

        assertEquals(List.of("DestinationConfig", "Catalog", "Input"), List.copyOf(groups.keySet()));
        assertEquals("2", groups.get("DestinationConfig").getProperty("shardCount"));
        assertEquals("true", groups.get("Input").getProperty("watch"));
        assertEquals(KinesisAnalyticsRuntime.getApplicationProperties(file.toString()), groups,
                "the same groups as the service's own runtime reads from that file");
    }

    @Test
    void theExampleLocalFileIsValid() {
        Map<String, Properties> groups =
                MsfApplicationProperties.readLocalFile(Path.of("deploy/aws-msf/application-properties-local.json"));

        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(groups);

        assertEquals(List.of("examples/messages.jsonl"), properties.inputs());
        assertEquals(3, ConfiguredCatalog.fromJson(properties.catalog()).streams().size());
        assertTrue(properties.warnings().isEmpty(), properties.warnings().toString());
    }

    @Test
    void aBrokenLocalFileIsNamedWithoutQuotingIt() throws IOException {
        Path notJson = Files.writeString(temp.resolve("a.json"), "[{\"PropertyGroupId\": \"DestinationConfig\", "
                + "\"PropertyMap\": {\"privateKey\": \"" + PRIVATE_KEY + "\" oops}}]");
        String message = assertThrows(SetupException.class, () -> MsfApplicationProperties.readLocalFile(notJson)).getMessage();
        assertTrue(message.startsWith("--properties " + notJson + ": not valid JSON at line 1, column"), message);
        assertFalse(message.contains(PRIVATE_KEY), message);

        Path object = Files.writeString(temp.resolve("b.json"), "{\"DestinationConfig\": {}}");
        assertTrue(assertThrows(SetupException.class, () -> MsfApplicationProperties.readLocalFile(object))
                .getMessage().contains("must be a JSON array"));

        Path noId = Files.writeString(temp.resolve("c.json"), "[{\"PropertyMap\": {}}]");
        assertEquals("--properties " + noId + ": [0].PropertyGroupId must be a non-empty string",
                assertThrows(SetupException.class, () -> MsfApplicationProperties.readLocalFile(noId)).getMessage());

        Path nested = Files.writeString(temp.resolve("d.json"),
                "[{\"PropertyGroupId\": \"Catalog\", \"PropertyMap\": {\"catalog.json\": {\"streams\": []}}}]");
        assertEquals("--properties " + nested + ": Catalog: catalog.json must be a string",
                assertThrows(SetupException.class, () -> MsfApplicationProperties.readLocalFile(nested)).getMessage());

        Path twice = Files.writeString(temp.resolve("e.json"), "[{\"PropertyGroupId\": \"Input\", \"PropertyMap\": {}},"
                + "{\"PropertyGroupId\": \"Input\", \"PropertyMap\": {}}]");
        assertEquals("--properties " + twice + ": [1]: property group Input is given twice",
                assertThrows(SetupException.class, () -> MsfApplicationProperties.readLocalFile(twice)).getMessage());
    }

    @Test
    void outsideTheServiceThereAreNoServiceProperties() {
        assertFalse(MsfCommand.hasServiceProperties());
        SetupException error = assertThrows(SetupException.class, () -> new MsfCommand(System.err).run(List.of()));
        assertTrue(error.getMessage().startsWith("msf: no application properties"), error.getMessage());
    }

    @Test
    void describeShowsGroupAndKeyNamesButNoValues() {
        Map<String, Properties> groups = valid();
        groups.get(MsfApplicationProperties.DESTINATION_CONFIG).setProperty("privateKey", PRIVATE_KEY);

        String described = MsfApplicationProperties.describe(groups).toString();

        assertEquals("{Catalog=[catalog.json], DestinationConfig=[privateKey, region], Input=[input]}", described);
    }
}
