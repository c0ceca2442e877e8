package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/** Each credential mode: the connector properties it produces and the SDK provider it builds. */
class KinesisConnectionTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ROLE = "arn:aws:iam::123456789012:role/writer";

    @TempDir
    Path dir;

    private static KinesisConnection connection(String json) throws Exception {
        return KinesisConnection.fromConfig(DestinationConfig.fromJson(MAPPER.readTree(json)));
    }

    private static Map<String, String> credentialProperties(KinesisConnection connection) {
        Properties properties = connection.clientProperties();
        Map<String, String> credentials = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("aws.credentials.")) {
                credentials.put(key, properties.getProperty(key));
            }
        }
        return credentials;
    }

    @Test
    void staticKeysBecomeTheBasicProvider() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"accessKey\":\"AK\",\"privateKey\":\"SK\"}");
        assertEquals(Map.of("aws.credentials.provider", "BASIC",
                "aws.credentials.provider.basic.accesskeyid", "AK",
                "aws.credentials.provider.basic.secretkey", "SK"), credentialProperties(connection));
        assertInstanceOf(StaticCredentialsProvider.class, connection.credentialsProvider());
        AwsCredentials resolved = connection.credentialsProvider().resolveCredentials();
        assertEquals("AK", resolved.accessKeyId());
        assertEquals("SK", resolved.secretAccessKey());
    }

    @Test
    void noCredentialsMeanTheDefaultChain() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\"}");
        assertEquals(Map.of("aws.credentials.provider", "AUTO"), credentialProperties(connection));
        assertInstanceOf(DefaultCredentialsProvider.class, connection.credentialsProvider());
    }

    @Test
    void aNamedProfileIsReadFromItsFile() throws Exception {
        Path file = dir.resolve("credentials");
        Files.writeString(file, "[writer]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PROFILESECRET\n");
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"profile\":\"writer\",\"profilePath\":"
                + MAPPER.writeValueAsString(file.toString()) + "}");
        assertEquals(Map.of("aws.credentials.provider", "PROFILE",
                "aws.credentials.provider.profile.name", "writer",
                "aws.credentials.provider.profile.path", file.toString()), credentialProperties(connection));
        assertInstanceOf(ProfileCredentialsProvider.class, connection.credentialsProvider());
        assertEquals("PROFILEKEY", connection.credentialsProvider().resolveCredentials().accessKeyId());
    }

    @Test
    void assumeRoleUsesTheBaseCredentialsOneLevelDown() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"accessKey\":\"AK\",\"privateKey\":\"SK\","
                + "\"roleArn\":\"" + ROLE + "\",\"externalId\":\"EXT\",\"sessionName\":\"sync-42\"}");
        assertEquals(Map.of("aws.credentials.provider", "ASSUME_ROLE",
                "aws.credentials.provider.role.arn", ROLE,
                "aws.credentials.provider.role.sessionName", "sync-42",
                "aws.credentials.provider.role.externalId", "EXT",
                "aws.credentials.provider.role.provider", "BASIC",
                "aws.credentials.provider.role.provider.basic.accesskeyid", "AK",
                "aws.credentials.provider.role.provider.basic.secretkey", "SK"), credentialProperties(connection));
        assertInstanceOf(StsAssumeRoleCredentialsProvider.class, connection.credentialsProvider());
    }

    @Test
    void assumeRoleFromTheDefaultChainGetsTheDefaultSessionName() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"roleArn\":\"" + ROLE + "\"}");
        assertEquals(Map.of("aws.credentials.provider", "ASSUME_ROLE",
                "aws.credentials.provider.role.arn", ROLE,
                "aws.credentials.provider.role.sessionName", "airbyte-kinesis-flink",
                "aws.credentials.provider.role.provider", "AUTO"), credentialProperties(connection));
    }

    @Test
    void aWebIdentityTokenFileAssumesTheRoleWithIt() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"roleArn\":\"" + ROLE + "\","
                + "\"webIdentityTokenFile\":\"/var/run/secrets/token\"}");
        assertEquals(Map.of("aws.credentials.provider", "WEB_IDENTITY_TOKEN",
                "aws.credentials.provider.webIdentityToken.file", "/var/run/secrets/token",
                "aws.credentials.provider.role.arn", ROLE,
                "aws.credentials.provider.role.sessionName", "airbyte-kinesis-flink"), credentialProperties(connection));
        assertInstanceOf(WebIdentityTokenFileCredentialsProvider.class, connection.credentialsProvider());
    }

    @Test
    void contradictoryOrIncompleteCredentialsAreRefusedNamingTheKeys() {
        assertRefused("{\"accessKey\":\"AK\",\"privateKey\":\"SK\",\"profile\":\"p\"}", "profile");
        assertRefused("{\"profilePath\":\"/x\"}", "profilePath needs profile");
        assertRefused("{\"externalId\":\"e\"}", "externalId needs roleArn");
        assertRefused("{\"webIdentityTokenFile\":\"/t\"}", "webIdentityTokenFile needs roleArn");
        assertRefused("{\"roleArn\":\"writer\"}", "roleArn must be a role ARN");
        assertRefused("{\"roleArn\":\"" + ROLE + "\",\"sessionName\":\"a b\"}", "sessionName");
        assertRefused("{\"roleArn\":\"" + ROLE + "\",\"webIdentityTokenFile\":\"/t\",\"profile\":\"p\"}", "webIdentityTokenFile");
    }

    @Test
    void redactionHidesKeysAndTheExternalIdAndToStringShowsNone() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"accessKey\":\"AKSECRET1\","
                + "\"privateKey\":\"SKSECRET2\",\"roleArn\":\"" + ROLE + "\",\"externalId\":\"EXTSECRET3\"}");
        assertEquals("key <redacted> secret <redacted> id <redacted>",
                connection.redact("key AKSECRET1 secret SKSECRET2 id EXTSECRET3"));
        for (String secret : new String[] {"AKSECRET1", "SKSECRET2", "EXTSECRET3"}) {
            assertFalse(connection.toString().contains(secret), connection.toString());
        }
        assertTrue(connection.toString().contains(ROLE), connection.toString());
    }

    private static void assertRefused(String json, String expected) {
        SetupException e = assertThrows(SetupException.class, () -> DestinationConfig.fromJson(MAPPER.readTree(json)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aCleartextEndpointIsUsedWithHttp11AndNamedInMessages() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\",\"endpoint\":\"http://localhost:4567\"}");
        assertEquals("eu-west-1", connection.region());
        assertEquals(URI.create("http://localhost:4567"), connection.endpoint());
        Properties properties = connection.clientProperties();
        assertEquals("eu-west-1", properties.getProperty("aws.region"));
        assertEquals("http://localhost:4567", properties.getProperty("aws.endpoint"));
        assertEquals("HTTP1_1", properties.getProperty("aws.http.protocol.version"), "emulators and proxies may speak no HTTP/2");
        assertEquals("http://localhost:4567", connection.where());
        assertTrue(connection.toString().startsWith("Kinesis{region=eu-west-1, endpoint=http://localhost:4567, credentials="),
                connection.toString());
    }

    @Test
    void aTlsEndpointKeepsTheConnectorsHttpVersion() throws Exception {
        Properties properties = connection("{\"region\":\"eu-west-1\",\"endpoint\":\"https://kinesis.example\"}")
                .clientProperties();
        assertEquals("https://kinesis.example", properties.getProperty("aws.endpoint"));
        assertNull(properties.getProperty("aws.http.protocol.version"));
    }

    @Test
    void withoutAnEndpointAwsOwnOneOfTheRegionIsUsed() throws Exception {
        KinesisConnection connection = connection("{\"region\":\"eu-west-1\"}");
        assertNull(connection.endpoint());
        assertNull(connection.clientProperties().getProperty("aws.endpoint"));
        assertEquals("AWS's endpoint for region eu-west-1", connection.where());
        assertTrue(connection.toString().startsWith("Kinesis{region=eu-west-1, credentials="), connection.toString());
        assertEquals("eu-west-1", connection.sdkRegion().id());
    }

    @Test
    void withoutARegionTheDefaultChainGivesIt() throws Exception {
        String before = System.getProperty("aws.region");
        System.setProperty("aws.region", "ap-southeast-2");
        try {
            assertEquals("ap-southeast-2", connection("{}").region());
        } finally {
            if (before == null) {
                System.clearProperty("aws.region");
            } else {
                System.setProperty("aws.region", before);
            }
        }
    }
}
