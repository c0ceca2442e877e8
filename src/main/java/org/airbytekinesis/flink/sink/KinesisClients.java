package org.airbytekinesis.flink.sink;

import java.time.Duration;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/** Synchronous SDK clients for control-plane work (provisioning, reading back), with bounded waits. */
public final class KinesisClients {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
    /** Bounds one call including the SDK's retries, so a wrong endpoint fails instead of hanging. */
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(60);

    private KinesisClients() {}

    public static KinesisClient create(KinesisConnection connection) {
        KinesisClientBuilder builder = KinesisClient.builder()
                .region(connection.sdkRegion())
                .credentialsProvider(connection.credentialsProvider())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallTimeout(API_CALL_TIMEOUT)
                        .build());
        if (connection.endpoint() != null) {
            builder.endpointOverride(connection.endpoint());
        }
        return builder.build();
    }
}
