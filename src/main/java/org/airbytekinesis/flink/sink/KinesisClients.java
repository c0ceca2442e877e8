package org.airbytekinesis.flink.sink;

import java.time.Duration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/** Synchronous SDK clients for control-plane work (provisioning, reading back), with bounded waits. */
public final class KinesisClients {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(15);
    /** Bounds one call including the SDK's retries, so a wrong endpoint fails in seconds, not hangs. */
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(20);

    private static final int CONTROL_PLANE_ATTEMPTS = 3;

    private KinesisClients() {}

    public static KinesisClient create(KinesisConnection connection) {
        return create(connection, CONNECT_TIMEOUT, SOCKET_TIMEOUT, API_CALL_TIMEOUT);
    }

    /**
     * A client with its own time limits, e.g. short ones for {@code check}, which must answer
     * quickly even when the endpoint swallows packets.
     *
     * @param apiCallTimeout bounds one call including the SDK's retries
     */
    public static KinesisClient create(
            KinesisConnection connection, Duration connectTimeout, Duration socketTimeout, Duration apiCallTimeout) {
        KinesisClientBuilder builder = KinesisClient.builder()
                .region(connection.sdkRegion())
                .credentialsProvider(connection.credentialsProvider())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(connectTimeout)
                        .socketTimeout(socketTimeout))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallTimeout(apiCallTimeout)
                        // Its own limit: -Daws.maxAttempts (raised for the sink) must not slow setup errors.
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(CONTROL_PLANE_ATTEMPTS)
                                .build())
                        .build());
        if (connection.endpoint() != null) {
            builder.endpointOverride(connection.endpoint());
        }
        return builder.build();
    }
}
