package org.airbytekinesis.flink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.airbytekinesis.flink.SetupException;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DestinationConfigTest {
    private static final String SECRET = "SECRET-SENTINEL-123";
    private static final String OTHER_SECRET = "OTHER-SECRET-SENTINEL-456";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;

    private static DestinationConfig parse(String json) throws IOException {
        return DestinationConfig.fromJson(MAPPER.readTree(json));
    }

    private static SetupException refused(String json) {
        return assertThrows(SetupException.class, () -> parse(json));
    }

    private static void assertMentions(SetupException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "\"" + part + "\" not in: " + e.getMessage());
        }
    }

    private static void assertNoSecret(String text) {
        assertFalse(text.contains(SECRET), () -> "secret leaked: " + text);
        assertFalse(text.contains(OTHER_SECRET), () -> "secret leaked: " + text);
    }

    @Test
    void emptyConfigGetsDefaults() throws IOException {
        DestinationConfig config = parse("{}");
        assertEquals(5, config.shardCount());
        assertEquals(100, config.bufferSize());
        assertEquals(DataFormat.STRING, config.dataFormat());
        assertEquals(Optional.empty(), config.endpoint());
        assertEquals(Optional.empty(), config.region());
        assertFalse(config.hasStaticCredentials());
        assertNull(config.accessKey());
        assertNull(config.privateKey());
        assertEquals(List.of(), config.unknownKeys());
    }

    @Test
    void nullValuesMeanNotSet() throws IOException {
        DestinationConfig config = parse("{\"endpoint\":null,\"region\":null,\"shardCount\":null,\"accessKey\":null,"
                + "\"privateKey\":null,\"bufferSize\":null,\"dataFormat\":null}");
        assertEquals(5, config.shardCount());
        assertEquals(100, config.bufferSize());
        assertEquals(DataFormat.STRING, config.dataFormat());
        assertFalse(config.hasStaticCredentials());
        assertEquals(List.of(), config.unknownKeys());
    }

    @Test
    void allKeysAreRead() throws IOException {
        DestinationConfig config = parse("{\"endpoint\":\"http://localhost:4567\",\"region\":\"eu-west-1\","
                + "\"shardCount\":2,\"accessKey\":\"AK\",\"privateKey\":\"PK\",\"bufferSize\":500,"
                + "\"dataFormat\":\"object\"}");
        assertEquals(Optional.of(URI.create("http://localhost:4567")), config.endpoint());
        assertEquals(Optional.of("eu-west-1"), config.region());
        assertEquals(2, config.shardCount());
        assertTrue(config.hasStaticCredentials());
        assertEquals("AK", config.accessKey());
        assertEquals("PK", config.privateKey());
        assertEquals(500, config.bufferSize());
        assertEquals(DataFormat.OBJECT, config.dataFormat());
    }

    @Test
    void bareHostGetsHttpsScheme() throws IOException {
        DestinationConfig config = parse("{\"endpoint\":\"kinesis.us-east-1.amazonaws.com\"}");
        assertEquals(Optional.of(URI.create("https://kinesis.us-east-1.amazonaws.com")), config.endpoint());
    }

    @Test
    void bareHostWithPortGetsHttpsScheme() throws IOException {
        DestinationConfig config = parse("{\"endpoint\":\" localhost:4567 \"}");
        URI endpoint = config.endpoint().orElseThrow();
        assertEquals("https", endpoint.getScheme());
        assertEquals("localhost", endpoint.getHost());
        assertEquals(4567, endpoint.getPort());
    }

    @Test
    void urlWithSchemeIsKept() throws IOException {
        assertEquals(Optional.of(URI.create("http://localhost:4567")),
                parse("{\"endpoint\":\"http://localhost:4567\"}").endpoint());
        assertEquals(Optional.of(URI.create("https://kinesis.eu-west-1.amazonaws.com:443/")),
                parse("{\"endpoint\":\"https://kinesis.eu-west-1.amazonaws.com:443/\"}").endpoint());
    }

    @Test
    void schemeOtherThanHttpIsRefused() {
        SetupException e = refused("{\"endpoint\":\"ftp://example.com\"}");
        assertMentions(e, "endpoint", "ftp");
    }

    @Test
    void emptyEndpointIsRefused() {
        assertMentions(refused("{\"endpoint\":\"  \"}"), "endpoint");
    }

    @Test
    void endpointWithoutHostIsRefused() {
        assertMentions(refused("{\"endpoint\":\"http://\"}"), "endpoint");
    }

    @Test
    void endpointThatIsNotAUrlIsRefused() {
        assertMentions(refused("{\"endpoint\":\"http://exa mple.com\"}"), "endpoint", "not a valid URL");
    }

    @Test
    void endpointThatIsNotAStringIsRefused() {
        assertMentions(refused("{\"endpoint\":4567}"), "endpoint", "must be a string");
    }

    @Test
    void bufferSizeZeroIsRefused() {
        assertMentions(refused("{\"bufferSize\":0}"), "bufferSize", "between 1 and 500");
    }

    @Test
    void bufferSizeAbovePutRecordsLimitIsRefused() {
        assertMentions(refused("{\"bufferSize\":501}"), "bufferSize", "501");
    }

    @Test
    void bufferSizeBoundsAreAccepted() throws IOException {
        assertEquals(1, parse("{\"bufferSize\":1}").bufferSize());
        assertEquals(500, parse("{\"bufferSize\":500}").bufferSize());
    }

    @Test
    void shardCountZeroIsRefused() {
        assertMentions(refused("{\"shardCount\":0}"), "shardCount", "at least 1");
    }

    @Test
    void negativeShardCountIsRefused() {
        assertMentions(refused("{\"shardCount\":-3}"), "shardCount");
    }

    @Test
    void nonIntegerNumbersAreRefused() {
        assertMentions(refused("{\"shardCount\":2.5}"), "shardCount", "whole number");
        assertMentions(refused("{\"bufferSize\":\"100\"}"), "bufferSize", "whole number");
        assertMentions(refused("{\"shardCount\":true}"), "shardCount", "whole number");
        assertMentions(refused("{\"shardCount\":99999999999}"), "shardCount", "whole number");
    }

    @Test
    void accessKeyWithoutPrivateKeyIsRefusedNamingPrivateKey() {
        SetupException e = refused("{\"accessKey\":\"" + SECRET + "\"}");
        assertMentions(e, "privateKey is required when accessKey is set");
        assertNoSecret(e.getMessage());
    }

    @Test
    void privateKeyWithoutAccessKeyIsRefusedNamingAccessKey() {
        SetupException e = refused("{\"privateKey\":\"" + SECRET + "\"}");
        assertMentions(e, "accessKey is required when privateKey is set");
        assertNoSecret(e.getMessage());
    }

    @Test
    void emptySecretIsRefused() {
        assertMentions(refused("{\"accessKey\":\"\",\"privateKey\":\"x\"}"), "accessKey", "empty");
    }

    @Test
    void secretThatIsNotAStringIsRefusedWithoutItsValue() {
        SetupException e = refused("{\"accessKey\":\"AK\",\"privateKey\":987654321987654321}");
        assertMentions(e, "privateKey");
        assertFalse(e.getMessage().contains("987654321987654321"), e.getMessage());

        e = refused("{\"accessKey\":{\"k\":\"" + SECRET + "\"},\"privateKey\":\"" + OTHER_SECRET + "\"}");
        assertMentions(e, "accessKey");
        assertNoSecret(e.getMessage());

        e = refused("{\"accessKey\":\"" + OTHER_SECRET + "\",\"privateKey\":[\"" + SECRET + "\"]}");
        assertMentions(e, "privateKey");
        assertNoSecret(e.getMessage());
    }

    @Test
    void secretsDoNotLeakIntoOtherErrors() {
        String secrets = "\"accessKey\":\"" + SECRET + "\",\"privateKey\":\"" + OTHER_SECRET + "\"";
        for (String bad : List.of("\"bufferSize\":0", "\"shardCount\":\"x\"", "\"dataFormat\":\"xml\"",
                "\"endpoint\":\"ftp://h\"", "\"region\":1")) {
            SetupException e = refused("{" + secrets + "," + bad + "}");
            assertNoSecret(e.getMessage());
        }
    }

    @Test
    void toStringHidesSecrets() throws IOException {
        DestinationConfig config = parse("{\"accessKey\":\"" + OTHER_SECRET + "\",\"privateKey\":\"" + SECRET + "\","
                + "\"endpoint\":\"localhost:4567\",\"region\":\"us-east-1\"}");
        String text = config.toString();
        assertNoSecret(text);
        assertTrue(text.contains("redacted"), text);
        assertTrue(text.contains("https://localhost:4567"), text);
        assertTrue(text.contains("us-east-1"), text);
        String defaults = parse("{}").toString();
        assertTrue(defaults.contains("default chain"), defaults);
    }

    @Test
    void endpointWithUserInformationIsRefusedWithoutEchoingIt() {
        SetupException e = refused("{\"endpoint\":\"https://user:" + SECRET + "@kinesis.example.com/\"}");
        assertMentions(e, "endpoint", "user information");
        assertNoSecret(e.getMessage());
    }

    @Test
    void unknownKeysAreListedSorted() throws IOException {
        DestinationConfig config = parse("{\"zeta\":1,\"shardCount\":1,\"Alpha\":null,\"beta\":{},\"privatekey\":\"x\"}");
        assertEquals(List.of("Alpha", "beta", "privatekey", "zeta"), config.unknownKeys());
    }

    @Test
    void objectDataFormatIsRead() throws IOException {
        assertEquals(DataFormat.OBJECT, parse("{\"dataFormat\":\"object\"}").dataFormat());
        assertEquals(DataFormat.STRING, parse("{\"dataFormat\":\"string\"}").dataFormat());
    }

    @Test
    void unknownDataFormatIsRefused() {
        assertMentions(refused("{\"dataFormat\":\"Object\"}"), "dataFormat", "\"string\" or \"object\"", "Object");
        assertMentions(refused("{\"dataFormat\":1}"), "dataFormat", "must be a string");
    }

    @Test
    void configThatIsNotAnObjectIsRefused() {
        assertMentions(refused("[1]"), "JSON object");
        assertMentions(refused("\"text\""), "JSON object");
    }

    @Test
    void configFileIsRead() throws IOException {
        Path file = tempDir.resolve("config.json");
        Files.write(file, "{\"region\":\"us-east-1\",\"shardCount\":3}".getBytes(StandardCharsets.UTF_8));
        DestinationConfig config = DestinationConfig.fromFile(file);
        assertEquals(Optional.of("us-east-1"), config.region());
        assertEquals(3, config.shardCount());
    }

    @Test
    void brokenConfigFileIsRefusedWithoutItsContent() throws IOException {
        Path file = tempDir.resolve("config.json");
        // Broken right after the secret: Jackson's own message would quote it.
        String content = "{\"accessKey\":\"AK\",\"privateKey\":" + SECRET + "\"}";
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        SetupException e = assertThrows(SetupException.class, () -> DestinationConfig.fromFile(file));
        assertMentions(e, file.toString(), "not valid JSON", "line 1");
        assertNoSecret(e.getMessage());
        assertNull(e.getCause());
    }

    @Test
    void unterminatedConfigFileIsRefusedWithoutItsContent() throws IOException {
        Path file = tempDir.resolve("config.json");
        String content = "{\n  \"accessKey\": \"AK\",\n  \"privateKey\": \"" + SECRET + "\n";
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        SetupException e = assertThrows(SetupException.class, () -> DestinationConfig.fromFile(file));
        assertMentions(e, file.toString(), "not valid JSON");
        assertNoSecret(e.getMessage());
    }

    @Test
    void missingConfigFileIsRefusedNamingTheFile() {
        Path file = tempDir.resolve("missing.json");
        SetupException e = assertThrows(SetupException.class, () -> DestinationConfig.fromFile(file));
        assertMentions(e, file.toString());
    }

    @Test
    void configSurvivesJavaSerialization() throws Exception {
        DestinationConfig config = parse("{\"endpoint\":\"localhost:4567\",\"accessKey\":\"AK\",\"privateKey\":\"PK\","
                + "\"bufferSize\":7,\"dataFormat\":\"object\",\"extra\":1}");
        DestinationConfig copy = InstantiationUtil.clone(config);
        assertEquals(config.toString(), copy.toString());
        assertEquals("PK", copy.privateKey());
        assertEquals(List.of("extra"), copy.unknownKeys());
    }

    @Test
    void partitionKeyIsTheIdByDefaultThePrimaryKeyOrAFieldPointer() throws Exception {
        assertTrue(parse("{}").partitionKey().isAbId());
        assertTrue(parse("{\"partitionKey\":\"ab_id\"}").partitionKey().isAbId());
        assertTrue(parse("{\"partitionKey\":\"primary_key\"}").partitionKey().isPrimaryKey());
        PartitionKeyChoice field = parse("{\"partitionKey\":\"/customer/id\"}").partitionKey();
        assertEquals(List.of("customer", "id"), field.field().keys());
        assertFalse(field.isAbId() || field.isPrimaryKey());
        assertEquals("/customer/id", InstantiationUtil.clone(parse("{\"partitionKey\":\"/customer/id\"}")).partitionKey().toString());
    }

    @Test
    void aPartitionKeyThatIsNoneOfThoseIsRefusedNamingTheKeyAndTheChoices() {
        assertMentions(refused("{\"partitionKey\":\"id\"}"), "partitionKey", "\"ab_id\"", "\"primary_key\"", "/customer/id", "got \"id\"");
        assertMentions(refused("{\"partitionKey\":\"PRIMARY_KEY\"}"), "partitionKey");
        assertMentions(refused("{\"partitionKey\":\"/\"}"), "partitionKey", "whole record");
        assertMentions(refused("{\"partitionKey\":\"/a~2\"}"), "partitionKey", "~1");
        assertMentions(refused("{\"partitionKey\":7}"), "partitionKey");
    }

    @Test
    void aggregationIsOffByDefaultAndKplTakesTheKplsDefaultSizeOrTheOneGiven() throws Exception {
        assertEquals(Aggregation.NONE, parse("{}").aggregation());
        DestinationConfig kpl = parse("{\"aggregation\":\"kpl\"}");
        assertEquals(Aggregation.KPL, kpl.aggregation());
        assertEquals(51_200, kpl.aggregationMaxBytes());
        assertEquals(1_024, parse("{\"aggregation\":\"kpl\",\"aggregationMaxBytes\":1024}").aggregationMaxBytes());
        assertEquals(1_047_552, parse("{\"aggregation\":\"kpl\",\"aggregationMaxBytes\":1047552}").aggregationMaxBytes());
        assertTrue(kpl.toString().contains("aggregation=kpl, aggregationMaxBytes=51200"), kpl.toString());
    }

    @Test
    void anAggregateSizeOfOneMibOrMoreIsRefusedNamingTheKeyButOneWithoutAggregationIsKept() throws Exception {
        assertMentions(refused("{\"aggregation\":\"kpl\",\"aggregationMaxBytes\":1048576}"), "aggregationMaxBytes", "1047552");
        assertMentions(refused("{\"aggregation\":\"kpl\",\"aggregationMaxBytes\":1023}"), "aggregationMaxBytes", "1024");
        // What Airbyte's UI sends when the user leaves aggregation off: every default.
        assertEquals(Aggregation.NONE, parse("{\"aggregation\":\"none\",\"aggregationMaxBytes\":51200}").aggregation());
        assertMentions(refused("{\"aggregation\":\"KPL\"}"), "aggregation", "\"none\"", "\"kpl\"", "got \"KPL\"");
    }

    @Test
    void writersPerStreamIsLeftToTheShardRuleUnlessGivenFromOneOn() throws Exception {
        assertEquals(0, parse("{}").writersPerStream());
        assertTrue(parse("{}").toString().contains("writersPerStream=by shards"), parse("{}").toString());
        assertEquals(4, parse("{\"writersPerStream\":4}").writersPerStream());
        assertMentions(refused("{\"writersPerStream\":0}"), "writersPerStream", "1");
        assertMentions(refused("{\"writersPerStream\":\"many\"}"), "writersPerStream");
    }

    @Test
    void everySettingIsReadAndShownInTheSummaryWithItsConfigValue() throws IOException {
        DestinationConfig config = parse("{\"endpoint\":\"localhost:4567\",\"region\":\"eu-west-1\",\"shardCount\":3,"
                + "\"kmsKeyId\":\"alias/k\",\"bufferSize\":50,\"dataFormat\":\"object\",\"maxRecordSizeBytes\":2048,"
                + "\"deadLetterStream\":\"dlq\",\"onBadInput\":\"fail\",\"abIdMode\":\"random\","
                + "\"partitionKey\":\"/customer/id\",\"ordering\":\"per_key\",\"retryDeadlineSeconds\":60,"
                + "\"bufferMemoryMb\":64,\"writersPerStream\":2,\"aggregation\":\"kpl\",\"aggregationMaxBytes\":4096,"
                + "\"profile\":\"dev\",\"roleArn\":\"arn:aws:iam::1:role/r\"}");
        assertEquals(Optional.of("dlq"), config.deadLetterStream());
        assertEquals(BadInputPolicy.FAIL, config.badInputPolicy());
        assertEquals(IdMode.RANDOM, config.idMode());
        assertEquals(Ordering.PER_KEY, config.ordering());
        assertEquals(60, config.retryDeadlineSeconds());
        assertEquals(64, config.bufferMemoryMb());
        assertEquals(2048, config.maxRecordSizeBytes());
        assertEquals("alias/k", config.streamCreation().kmsKeyId());
        assertEquals(StreamCreationConfig.Mode.PROVISIONED, config.streamCreation().mode());
        assertEquals("/customer/id", config.partitionKey().configValue());
        assertEquals("DestinationConfig{endpoint=https://localhost:4567, region=eu-west-1,"
                + " streams=provisioned with 3 shards, encrypted with KMS key alias/k,"
                + " credentials=profile dev, assuming arn:aws:iam::1:role/r, bufferSize=50, dataFormat=object,"
                + " maxRecordSizeBytes=2048, deadLetterStream=dlq, onBadInput=fail, abIdMode=random,"
                + " partitionKey=/customer/id, ordering=per_key, retryDeadlineSeconds=60, bufferMemoryMb=64,"
                + " writersPerStream=2, aggregation=kpl, aggregationMaxBytes=4096}", config.toString());
    }

    @Test
    void theSummaryOfDefaultsShowsEachDefaultAndAnOnDemandStreamHasNoShardCount() throws IOException {
        DestinationConfig config = parse("{\"streamMode\":\"on_demand\"}");
        assertEquals(StreamCreationConfig.Mode.ON_DEMAND, config.streamCreation().mode());
        assertEquals(Optional.empty(), config.deadLetterStream());
        assertEquals(BadInputPolicy.DEAD_LETTER, config.badInputPolicy());
        assertEquals(Ordering.NONE, config.ordering());
        assertEquals(DestinationConfig.DEFAULT_RETRY_DEADLINE_SECONDS, config.retryDeadlineSeconds());
        assertEquals(DestinationConfig.DEFAULT_BUFFER_MEMORY_MB, config.bufferMemoryMb());
        assertNull(config.streamCreation().kmsKeyId());
        assertEquals("DestinationConfig{endpoint=null, region=null, streams=on_demand, credentials=default chain,"
                + " bufferSize=100, dataFormat=string, maxRecordSizeBytes=1048576, onBadInput=dead-letter,"
                + " abIdMode=position, partitionKey=ab_id, ordering=none, retryDeadlineSeconds=300, bufferMemoryMb=256,"
                + " writersPerStream=by shards, aggregation=none}", config.toString());
    }

    @Test
    void aRoleAssumedWithATokenFileIsShownAsAWebIdentity() throws IOException {
        DestinationConfig config = parse("{\"roleArn\":\"arn:aws:iam::1:role/r\",\"webIdentityTokenFile\":\"/var/run/token\"}");
        assertEquals("web identity /var/run/token for arn:aws:iam::1:role/r", config.credentials().toString());
        assertEquals("/var/run/token", config.credentials().webIdentityTokenFile());
    }

    @Test
    void aBlankKmsKeyIsRefusedNamingTheKey() {
        assertMentions(refused("{\"kmsKeyId\":\"  \"}"), "kmsKeyId", "must not be empty");
        assertMentions(refused("{\"kmsKeyId\":\"\"}"), "kmsKeyId", "must not be empty");
    }

    @Test
    void aWrongValueIsQuotedInTheRefusalUpToSixtyCharacters() {
        String sixty = "[" + "1,".repeat(28) + "11]"; // 60 characters of JSON
        assertEquals(60, sixty.length());
        SetupException whole = refused("{\"region\":" + sixty + "}");
        assertMentions(whole, "region must be a string, got " + sixty);
        assertFalse(whole.getMessage().contains("..."), whole.getMessage());

        String sixtyOne = "[" + "1,".repeat(28) + "112]";
        SetupException cut = refused("{\"region\":" + sixtyOne + "}");
        assertTrue(cut.getMessage().endsWith("region must be a string, got " + sixtyOne.substring(0, 60) + "..."), cut.getMessage());
    }
}
