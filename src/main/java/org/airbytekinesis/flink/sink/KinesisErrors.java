package org.airbytekinesis.flink.sink;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import javax.net.ssl.SSLException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Says in a user's words why a Kinesis call failed: the endpoint cannot be reached, the
 * credentials are not accepted, or they lack a permission; always with the AWS error code and
 * message when Kinesis answered. The text may still hold what the server echoed (an emulator
 * echoes the access key id), so callers redact it before showing it.
 */
public final class KinesisErrors {
    /** Error codes meaning the request's credentials or signature were refused. */
    public static final Set<String> CREDENTIAL_ERRORS = Set.of(
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "IncompleteSignatureException",
            "MissingAuthenticationTokenException",
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidClientTokenId",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AuthFailure");

    /** Error codes meaning the credentials are valid but not allowed to do this. */
    public static final Set<String> PERMISSION_ERRORS = Set.of(
            "AccessDeniedException",
            "AccessDenied",
            "UnauthorizedOperation");

    /**
     * Error codes of a PutRecords request, or of one of its entries, that retrying cannot cure:
     * credentials and permissions (a policy changed mid-run), the stream's KMS key, a stream
     * gone, and requests or records the stream will not take. {@code KMSThrottlingException} is
     * not among them: it passes.
     */
    public static final Set<String> PERMANENT_WRITE_ERRORS;

    /** 4xx error codes that are worth retrying: throttling of every kind. */
    private static final Set<String> RETRYABLE_CLIENT_ERRORS = Set.of(
            "ProvisionedThroughputExceededException",
            "LimitExceededException",
            "ThrottlingException",
            "Throttling",
            "ThrottledException",
            "RequestLimitExceeded",
            "TooManyRequestsException",
            "KMSThrottlingException",
            "ResourceInUseException",
            "RequestTimeout",
            "RequestTimeoutException");

    static {
        Set<String> permanent = new java.util.HashSet<>(CREDENTIAL_ERRORS);
        permanent.addAll(PERMISSION_ERRORS);
        permanent.addAll(Set.of(
                "KMSDisabledException",
                "KMSAccessDeniedException",
                "KMSNotFoundException",
                "KMSInvalidStateException",
                "KMSOptInRequired",
                "ResourceNotFoundException",
                "ValidationException",
                "InvalidArgumentException",
                "SerializationException"));
        PERMANENT_WRITE_ERRORS = Set.copyOf(permanent);
    }

    private KinesisErrors() {}

    /**
     * Whether a failed PutRecords (or entry) should be given up on at once.
     *
     * @param code the AWS error code, or null when none came back
     * @param httpStatus the HTTP status of a request-level error, or 0 for an entry's error
     */
    public static boolean isPermanentWriteError(String code, int httpStatus) {
        if (code != null && PERMANENT_WRITE_ERRORS.contains(code)) {
            return true;
        }
        // Other client errors would come back the same; throttling, timeouts and 5xx pass with time.
        return httpStatus >= 400 && httpStatus < 500 && httpStatus != 408 && httpStatus != 429
                && (code == null || !RETRYABLE_CLIENT_ERRORS.contains(code));
    }

    /**
     * @param action the Kinesis API action that failed, e.g. {@code CreateStream}
     * @param where the endpoint as the user knows it
     */
    public static String explain(String action, String where, SdkException e) {
        if (e instanceof AwsServiceException && ((AwsServiceException) e).awsErrorDetails() != null) {
            return explainServiceError(action, where, ((AwsServiceException) e).awsErrorDetails());
        }
        return explainClientError(action, where, e);
    }

    /** Kinesis (or something posing as it) answered with an error. */
    static String explainServiceError(String action, String where, AwsErrorDetails details) {
        String code = details.errorCode() != null ? details.errorCode()
                : details.sdkHttpResponse() != null ? "HTTP " + details.sdkHttpResponse().statusCode()
                : "unknown error";
        String aws = " (" + code + (details.errorMessage() == null ? "" : ": " + details.errorMessage()) + ")";
        if (CREDENTIAL_ERRORS.contains(code)) {
            return where + " did not accept the credentials: check accessKey and privateKey"
                    + " (without them: the default AWS credentials)" + aws;
        }
        if (PERMISSION_ERRORS.contains(code)) {
            return "the credentials are not allowed to call kinesis:" + action
                    + "; grant it in the IAM policy of the user or role" + aws;
        }
        if ("KMSAccessDeniedException".equals(code)) {
            return "the credentials may not use the KMS key that encrypts the stream (" + action + ")" + aws;
        }
        return "Kinesis at " + where + " refused " + action + aws;
    }

    /** No answer from Kinesis: the request never got there, or no reply came back. */
    static String explainClientError(String action, String where, SdkException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("Unable to load credentials")) {
            return "no AWS credentials: set accessKey and privateKey, or provide credentials through the"
                    + " default AWS chain (environment, profile, instance role)";
        }
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException
                || cause(e, SocketTimeoutException.class) != null) {
            return "no answer from " + where + " in time (" + action + " timed out): check the endpoint,"
                    + " the network and firewalls";
        }
        UnknownHostException unknownHost = cause(e, UnknownHostException.class);
        if (unknownHost != null) {
            return "cannot connect to " + where + ": unknown host " + unknownHost.getMessage()
                    + " (check endpoint and region)";
        }
        ConnectException refused = cause(e, ConnectException.class);
        if (refused != null) {
            return "cannot connect to " + where + ": " + lowerFirst(refused.getMessage())
                    + " (is the endpoint right, and is Kinesis listening there?)";
        }
        NoRouteToHostException noRoute = cause(e, NoRouteToHostException.class);
        if (noRoute != null) {
            return "cannot connect to " + where + ": no route to host";
        }
        SSLException tls = cause(e, SSLException.class);
        if (tls != null) {
            return "TLS with " + where + " failed: " + tls.getMessage()
                    + " (for a cleartext endpoint, write http:// in endpoint)";
        }
        return action + " at " + where + " failed: " + rootMessage(e);
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e || root.getMessage() == null
                ? String.valueOf(e.getMessage())
                : e.getMessage() + " (" + root + ")";
    }

    private static String lowerFirst(String text) {
        if (text == null || text.isEmpty()) {
            return "connection failed";
        }
        return Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
