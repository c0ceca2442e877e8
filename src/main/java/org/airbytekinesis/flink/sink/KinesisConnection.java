package org.airbytekinesis.flink.sink;

import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.CredentialsConfig;
import org.airbytekinesis.flink.config.DestinationConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;

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
    static final String AWS_PROFILE_NAME = "aws.credentials.provider.profile.name";
    static final String AWS_PROFILE_PATH = "aws.credentials.provider.profile.path";
    static final String AWS_ROLE_ARN = "aws.credentials.provider.role.arn";
    static final String AWS_ROLE_SESSION_NAME = "aws.credentials.provider.role.sessionName";
    static final String AWS_ROLE_EXTERNAL_ID = "aws.credentials.provider.role.externalId";
    static final String AWS_ROLE_PROVIDER = "aws.credentials.provider.role.provider";
    static final String AWS_WEB_IDENTITY_TOKEN_FILE = "aws.credentials.provider.webIdentityToken.file";

    private final String region;
    private final URI endpoint;
    private final CredentialsConfig credentials;

    private KinesisConnection(String region, URI endpoint, CredentialsConfig credentials) {
        this.region = region;
        this.endpoint = endpoint;
        this.credentials = credentials;
    }

    public static KinesisConnection fromConfig(DestinationConfig config) {
        String region = config.region().orElseGet(KinesisConnection::defaultRegion);
        return new KinesisConnection(region, config.endpoint().orElse(null), config.credentials());
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
        if (credentials.webIdentityTokenFile() != null) {
            properties.setProperty(AWS_CREDENTIALS_PROVIDER, "WEB_IDENTITY_TOKEN");
            properties.setProperty(AWS_WEB_IDENTITY_TOKEN_FILE, credentials.webIdentityTokenFile());
            properties.setProperty(AWS_ROLE_ARN, credentials.roleArn());
            properties.setProperty(AWS_ROLE_SESSION_NAME, credentials.sessionName());
        } else if (credentials.roleArn() != null) {
            properties.setProperty(AWS_CREDENTIALS_PROVIDER, "ASSUME_ROLE");
            properties.setProperty(AWS_ROLE_ARN, credentials.roleArn());
            properties.setProperty(AWS_ROLE_SESSION_NAME, credentials.sessionName());
            if (credentials.externalId() != null) {
                properties.setProperty(AWS_ROLE_EXTERNAL_ID, credentials.externalId());
            }
            // The credentials that assume the role use the same keys, one level down.
            setBaseCredentials(properties, AWS_ROLE_PROVIDER);
        } else {
            setBaseCredentials(properties, AWS_CREDENTIALS_PROVIDER);
        }
        return properties;
    }

    private void setBaseCredentials(Properties properties, String providerKey) {
        switch (credentials.source()) {
            case STATIC_KEYS:
                properties.setProperty(providerKey, "BASIC");
                properties.setProperty(providerKey + ".basic.accesskeyid", credentials.accessKey());
                properties.setProperty(providerKey + ".basic.secretkey", credentials.privateKey());
                break;
            case PROFILE:
                properties.setProperty(providerKey, "PROFILE");
                properties.setProperty(providerKey + ".profile.name", credentials.profile());
                if (credentials.profilePath() != null) {
                    properties.setProperty(providerKey + ".profile.path", credentials.profilePath());
                }
                break;
            default:
                properties.setProperty(providerKey, "AUTO");
        }
    }

    /** The same credentials for an unshaded SDK client (provisioning, check). */
    public AwsCredentialsProvider credentialsProvider() {
        if (credentials.webIdentityTokenFile() != null) {
            return WebIdentityTokenFileCredentialsProvider.builder()
                    .webIdentityTokenFile(Path.of(credentials.webIdentityTokenFile()))
                    .roleArn(credentials.roleArn())
                    .roleSessionName(credentials.sessionName())
                    .build();
        }
        AwsCredentialsProvider base = baseCredentialsProvider();
        if (credentials.roleArn() == null) {
            return base;
        }
        StsClient sts = StsClient.builder()
                .region(sdkRegion())
                .credentialsProvider(base)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts)
                .refreshRequest(AssumeRoleRequest.builder()
                        .roleArn(credentials.roleArn())
                        .roleSessionName(credentials.sessionName())
                        .externalId(credentials.externalId())
                        .build())
                .build();
    }

    private AwsCredentialsProvider baseCredentialsProvider() {
        switch (credentials.source()) {
            case STATIC_KEYS:
                return StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(credentials.accessKey(), credentials.privateKey()));
            case PROFILE:
                ProfileCredentialsProvider.Builder profile = ProfileCredentialsProvider.builder()
                        .profileName(credentials.profile());
                if (credentials.profilePath() != null) {
                    profile.profileFile(ProfileFile.builder()
                            .content(Path.of(credentials.profilePath()))
                            .type(ProfileFile.Type.CREDENTIALS)
                            .build());
                }
                return profile.build();
            default:
                return DefaultCredentialsProvider.builder().build();
        }
    }

    /** Servers may echo what they got (an emulator echoes the access key id): never show a secret. */
    public String redact(String message) {
        return credentials.redact(message);
    }

    /** The endpoint as the user knows it, for messages. */
    public String where() {
        return endpoint != null ? endpoint.toString() : "AWS's endpoint for region " + region;
    }

    public Region sdkRegion() {
        return Region.of(region);
    }

    @Override
    public String toString() {
        return "Kinesis{region=" + region
                + (endpoint == null ? "" : ", endpoint=" + endpoint)
                + ", credentials=" + credentials + "}";
    }
}
