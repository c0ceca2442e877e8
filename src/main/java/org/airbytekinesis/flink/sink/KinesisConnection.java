package org.airbytekinesis.flink.sink;

import java.io.Serializable;
import java.net.URI;
import java.util.Properties;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.DestinationConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * Where and how to reach Kinesis, resolved once from the config: the region (from the config or
 * the SDK's default chain), the endpoint and the credentials. Builds both the connector's client
 * properties and the SDK credentials for the provisioning client, so both talk to the same place.
 * Its {@code toString} never shows the credentials.
 */
public final class KinesisConnection implements Serializable {
    private static final long serialVersionUID = 1L;

    // Property keys of the connector's AWSConfigConstants (relocated in its jar; strings are stable).
    static final String AWS_REGION = "aws.region";
    static final String AWS_ENDPOINT = "aws.endpoint";
    static final String AWS_CREDENTIALS_PROVIDER = "aws.credentials.provider";
    static final String AWS_ACCESS_KEY_ID = "aws.credentials.provider.basic.accesskeyid";
    static final String AWS_SECRET_ACCESS_KEY = "aws.credentials.provider.basic.secretkey";
    static final String HTTP_PROTOCOL_VERSION = "aws.http.protocol.version";

    private final String region;
    private final URI endpoint;
    private final String accessKey;
    private final String secretKey;

    private KinesisConnection(String region, URI endpoint, String accessKey, String secretKey) {
        this.region = region;
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static KinesisConnection fromConfig(DestinationConfig config) {
        String region = config.region().orElseGet(KinesisConnection::defaultRegion);
        return new KinesisConnection(
                region, config.endpoint().orElse(null), config.accessKey(), config.privateKey());
    }

    private static String defaultRegion() {
        try {
            return new DefaultAwsRegionProviderChain().getRegion().id();
        } catch (SdkClientException e) {
            throw new SetupException("config: region is not set and the default AWS region chain found none"
                    + " (set region, AWS_REGION, or a region in the AWS profile)");
        }
    }

    public String region() {
        return region;
    }

    /** Null for AWS's own endpoint of the region. */
    public URI endpoint() {
        return endpoint;
    }

    /** Properties for the Flink Kinesis connector's client. */
    public Properties clientProperties() {
        Properties properties = new Properties();
        properties.setProperty(AWS_REGION, region);
        if (endpoint != null) {
            properties.setProperty(AWS_ENDPOINT, endpoint.toString());
            // Cleartext endpoints are emulators or proxies; several of them speak only HTTP/1.1.
            if ("http".equalsIgnoreCase(endpoint.getScheme())) {
                properties.setProperty(HTTP_PROTOCOL_VERSION, "HTTP1_1");
            }
        }
        if (accessKey != null) {
            properties.setProperty(AWS_CREDENTIALS_PROVIDER, "BASIC");
            properties.setProperty(AWS_ACCESS_KEY_ID, accessKey);
            properties.setProperty(AWS_SECRET_ACCESS_KEY, secretKey);
        } else {
            properties.setProperty(AWS_CREDENTIALS_PROVIDER, "AUTO");
        }
        return properties;
    }

    /** Credentials for an unshaded SDK client. */
    public AwsCredentialsProvider credentialsProvider() {
        if (accessKey != null) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** The endpoint as the user knows it, for messages. */
    public String where() {
        return endpoint != null ? endpoint.toString() : "AWS's endpoint for region " + region;
    }

    /** Servers may echo what they got (an emulator echoes the access key id): never show a secret. */
    public String redact(String message) {
        String text = message;
        if (accessKey != null) {
            text = text.replace(secretKey, "<redacted>").replace(accessKey, "<redacted>");
        }
        return text;
    }

    public Region sdkRegion() {
        return Region.of(region);
    }

    @Override
    public String toString() {
        return "Kinesis{region=" + region
                + (endpoint == null ? "" : ", endpoint=" + endpoint)
                + ", credentials=" + (accessKey == null ? "default chain" : "static (redacted)") + "}";
    }
}
