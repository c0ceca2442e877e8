package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpResponse;
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

    @Test
    void writeErrorsThatRetryingCannotCureArePermanentAndThrottlingAnd5xxAreNot() {
        for (String code : new String[] {"AccessDeniedException", "KMSDisabledException", "KMSAccessDeniedException",
                "KMSNotFoundException", "KMSInvalidStateException", "KMSOptInRequired", "ExpiredTokenException",
                "UnrecognizedClientException", "ValidationException", "InvalidArgumentException", "ResourceNotFoundException"}) {
            assertTrue(KinesisErrors.isPermanentWriteError(code, 400), code + " of a request");
            assertTrue(KinesisErrors.isPermanentWriteError(code, 0), code + " of an entry");
        }
        for (String code : new String[] {"ProvisionedThroughputExceededException", "KMSThrottlingException",
                "LimitExceededException", "ThrottlingException", "ResourceInUseException"}) {
            assertFalse(KinesisErrors.isPermanentWriteError(code, 400), code + " of a request");
            assertFalse(KinesisErrors.isPermanentWriteError(code, 0), code + " of an entry");
        }
        assertFalse(KinesisErrors.isPermanentWriteError("InternalFailure", 500));
        assertFalse(KinesisErrors.isPermanentWriteError("InternalFailure", 0), "an entry's internal failure");
        assertFalse(KinesisErrors.isPermanentWriteError("ServiceUnavailable", 503));
        assertFalse(KinesisErrors.isPermanentWriteError(null, 503));
        assertFalse(KinesisErrors.isPermanentWriteError(null, 429), "too many requests");
        assertFalse(KinesisErrors.isPermanentWriteError(null, 408), "request timeout");
        assertTrue(KinesisErrors.isPermanentWriteError("SomeNewClientError", 400), "another 4xx would come back the same");
        assertFalse(KinesisErrors.isPermanentWriteError("SomeNewEntryError", 0), "an entry's unknown code is retried");
    }

    @Test
    void anAnswerWithoutAnErrorCodeIsNamedByItsHttpStatusOrAsUnknown() {
        SdkException unavailable = KinesisException.builder().awsErrorDetails(AwsErrorDetails.builder()
                .sdkHttpResponse(SdkHttpResponse.builder().statusCode(503).build()).build()).build();
        assertEquals("Kinesis at " + WHERE + " refused ListStreams (HTTP 503)",
                KinesisErrors.explain("ListStreams", WHERE, unavailable));
        SdkException nothing = KinesisException.builder().awsErrorDetails(AwsErrorDetails.builder().errorMessage("odd").build())
                .build();
        assertEquals("Kinesis at " + WHERE + " refused ListStreams (unknown error: odd)",
                KinesisErrors.explain("ListStreams", WHERE, nothing));
    }

    @Test
    void aKmsKeyTheCredentialsMayNotUseIsNamedWithTheAction() {
        assertEquals("the credentials may not use the KMS key that encrypts the stream (PutRecords)"
                        + " (KMSAccessDeniedException: no kms:GenerateDataKey)",
                KinesisErrors.explain("PutRecords", WHERE, aws("KMSAccessDeniedException", "no kms:GenerateDataKey")));
    }

    @Test
    void aServiceExceptionWithoutDetailsIsExplainedByItsMessage() {
        assertEquals("CreateStream at " + WHERE + " failed: stream limit",
                KinesisErrors.explain("CreateStream", WHERE, KinesisException.builder().message("stream limit").build()));
    }

    @Test
    void anAttemptThatTimedOutAlsoSaysNoAnswerCameInTime() {
        assertEquals("no answer from " + WHERE + " in time (DescribeStreamSummary timed out): check the endpoint,"
                        + " the network and firewalls",
                KinesisErrors.explain("DescribeStreamSummary", WHERE, ApiCallAttemptTimeoutException.create(3_000)));
    }

    @Test
    void connectionFailuresSayWhatWentWrongOnTheWay() {
        assertEquals("cannot connect to " + WHERE + ": unknown host kinesis.nowhere.example (check endpoint and region)",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new UnknownHostException("kinesis.nowhere.example"))));
        assertEquals("cannot connect to " + WHERE + ": connection refused (is the endpoint right, and is Kinesis"
                        + " listening there?)",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new ConnectException("Connection refused"))));
        assertEquals("cannot connect to " + WHERE + ": connection failed (is the endpoint right, and is Kinesis"
                        + " listening there?)",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new ConnectException())));
        assertEquals("cannot connect to " + WHERE + ": connection failed (is the endpoint right, and is Kinesis"
                        + " listening there?)",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new ConnectException(""))));
        assertEquals("cannot connect to " + WHERE + ": no route to host",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new NoRouteToHostException("No route to host"))));
        assertEquals("TLS with " + WHERE + " failed: Unsupported or unrecognized SSL message (for a cleartext endpoint,"
                        + " write http:// in endpoint)",
                KinesisErrors.explain("ListStreams", WHERE, unreachable(new SSLException("Unsupported or unrecognized SSL message"))));
    }

    @Test
    void anyOtherFailureGivesItsMessageAndItsRootCause() {
        assertEquals("ListStreams at " + WHERE + " failed: Unable to execute HTTP request: Broken pipe"
                        + " (java.io.IOException: Broken pipe)",
                KinesisErrors.explain("ListStreams", WHERE, SdkClientException.create("Unable to execute HTTP request: Broken pipe",
                        new RuntimeException("wrapped", new IOException("Broken pipe")))));
        assertEquals("ListStreams at " + WHERE + " failed: Unable to execute HTTP request",
                KinesisErrors.explain("ListStreams", WHERE, SdkClientException.create("Unable to execute HTTP request",
                        new IOException())), "a root without a message adds nothing");
        assertEquals("ListStreams at " + WHERE + " failed: Unable to execute HTTP request",
                KinesisErrors.explain("ListStreams", WHERE, SdkClientException.create("Unable to execute HTTP request")));
    }

    private static SdkException unreachable(Exception cause) {
        return SdkClientException.create("Unable to execute HTTP request: " + cause.getMessage(), cause);
    }
}
