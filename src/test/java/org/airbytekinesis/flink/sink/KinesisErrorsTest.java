package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

/** The words for failures no emulator produces: real IAM and credential errors, time-outs. */
class KinesisErrorsTest {
    private static final String WHERE = "https://kinesis.eu-west-1.amazonaws.com";

    private static SdkException aws(String code, String message) {
        return KinesisException.builder()
                .message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
                .build();
    }

    @Test
    void aMissingPermissionNamesTheActionAndKeepsAwsCodeAndMessage() {
        String denied = "User: arn:aws:iam::123456789012:user/sync is not authorized to perform: kinesis:CreateStream";
        assertEquals("the credentials are not allowed to call kinesis:CreateStream; grant it in the IAM policy of the"
                        + " user or role (AccessDeniedException: " + denied + ")",
                KinesisErrors.explain("CreateStream", WHERE, aws("AccessDeniedException", denied)));
    }

    @Test
    void unknownExpiredOrBadlySignedCredentialsAreReportedAsNotAccepted() {
        for (String code : new String[] {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}) {
            assertEquals(WHERE + " did not accept the credentials: check accessKey and privateKey"
                            + " (without them: the default AWS credentials) (" + code + ": nope)",
                    KinesisErrors.explain("ListStreams", WHERE, aws(code, "nope")));
        }
    }

    @Test
    void anyOtherRefusalNamesTheActionWithCodeAndMessage() {
        assertEquals("Kinesis at " + WHERE + " refused CreateStream (LimitExceededException: too many shards)",
                KinesisErrors.explain("CreateStream", WHERE, aws("LimitExceededException", "too many shards")));
    }

    @Test
    void timeOutsSayNoAnswerCameInTime() {
        String expected = "no answer from " + WHERE + " in time (ListStreams timed out): check the endpoint,"
                + " the network and firewalls";
        assertEquals(expected, KinesisErrors.explain("ListStreams", WHERE, ApiCallTimeoutException.create(10_000)));
        assertEquals(expected, KinesisErrors.explain("ListStreams", WHERE, SdkClientException.create(
                "Unable to execute HTTP request: Connect timed out", new SocketTimeoutException("Connect timed out"))));
    }

    @Test
    void noCredentialsAtAllPointToTheKeysAndTheDefaultChain() {
        assertEquals("no AWS credentials: set accessKey and privateKey, or provide credentials through the default"
                        + " AWS chain (environment, profile, instance role)",
                KinesisErrors.explain("ListStreams", WHERE, SdkClientException.create(
                        "Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain")));
    }
}
