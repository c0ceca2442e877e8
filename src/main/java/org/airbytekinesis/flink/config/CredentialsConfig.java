package org.airbytekinesis.flink.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import org.airbytekinesis.flink.SetupException;

/**
 * How the job authenticates to AWS, from the destination config:
 * static keys ({@code accessKey} + {@code privateKey}, as in Airbyte), a named {@code profile},
 * or the default AWS credentials chain (environment, profile, instance or container role, and
 * web identity, so IRSA on EKS works without settings); optionally with a role to assume
 * ({@code roleArn}, {@code externalId}, {@code sessionName}) on top, or a role assumed with a
 * web identity token file ({@code roleArn} + {@code webIdentityTokenFile}).
 */
public final class CredentialsConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String ACCESS_KEY = "accessKey";
    public static final String PRIVATE_KEY = "privateKey";
    public static final String PROFILE = "profile";
    public static final String PROFILE_PATH = "profilePath";
    public static final String ROLE_ARN = "roleArn";
    public static final String EXTERNAL_ID = "externalId";
    public static final String SESSION_NAME = "sessionName";
    public static final String WEB_IDENTITY_TOKEN_FILE = "webIdentityTokenFile";

    public static final String DEFAULT_SESSION_NAME = "airbyte-kinesis-flink";

    /** Where the base credentials come from. */
    public enum Source { STATIC_KEYS, PROFILE, DEFAULT_CHAIN }

    private final String accessKey;
    private final String privateKey;
    private final String profile;
    private final String profilePath;
    private final String roleArn;
    private final String externalId;
    private final String sessionName;
    private final String webIdentityTokenFile;

    private CredentialsConfig(String accessKey, String privateKey, String profile, String profilePath,
            String roleArn, String externalId, String sessionName, String webIdentityTokenFile) {
        this.accessKey = accessKey;
        this.privateKey = privateKey;
        this.profile = profile;
        this.profilePath = profilePath;
        this.roleArn = roleArn;
        this.externalId = externalId;
        this.sessionName = sessionName;
        this.webIdentityTokenFile = webIdentityTokenFile;
    }

    static CredentialsConfig fromJson(JsonNode root) {
        String accessKey = secret(root, ACCESS_KEY);
        String privateKey = secret(root, PRIVATE_KEY);
        if ((accessKey == null) != (privateKey == null)) {
            String missing = accessKey == null ? ACCESS_KEY : PRIVATE_KEY;
            String present = accessKey == null ? PRIVATE_KEY : ACCESS_KEY;
            throw new SetupException(
                    "config: " + missing + " is required when " + present
                            + " is set (give both, or neither to use the default AWS credentials chain)");
        }
        String profile = text(root, PROFILE);
        String profilePath = text(root, PROFILE_PATH);
        if (profile != null && accessKey != null) {
            throw new SetupException("config: give either accessKey and privateKey or profile, not both");
        }
        if (profilePath != null && profile == null) {
            throw new SetupException("config: " + PROFILE_PATH + " needs " + PROFILE);
        }
        String roleArn = text(root, ROLE_ARN);
        if (roleArn != null && !roleArn.startsWith("arn:")) {
            throw new SetupException("config: " + ROLE_ARN + " must be a role ARN (arn:aws:iam::ACCOUNT:role/NAME), got \""
                    + roleArn + "\"");
        }
        String externalId = secret(root, EXTERNAL_ID);
        String sessionName = text(root, SESSION_NAME);
        if (sessionName != null && !sessionName.matches("[\\w+=,.@-]{2,64}")) {
            throw new SetupException("config: " + SESSION_NAME
                    + " must be 2 to 64 of letters, digits and _+=,.@-, got \"" + sessionName + "\"");
        }
        String webIdentityTokenFile = text(root, WEB_IDENTITY_TOKEN_FILE);
        if (roleArn == null) {
            for (String needsRole : new String[] {EXTERNAL_ID, SESSION_NAME, WEB_IDENTITY_TOKEN_FILE}) {
                if (root.hasNonNull(needsRole)) {
                    throw new SetupException("config: " + needsRole + " needs " + ROLE_ARN);
                }
            }
        }
        if (webIdentityTokenFile != null && (accessKey != null || profile != null)) {
            throw new SetupException("config: " + WEB_IDENTITY_TOKEN_FILE
                    + " is a credential of its own: leave out accessKey, privateKey and profile");
        }
        Secrets.register(accessKey);
        Secrets.register(privateKey);
        Secrets.register(externalId);
        return new CredentialsConfig(accessKey, privateKey, profile, profilePath, roleArn, externalId,
                sessionName == null ? DEFAULT_SESSION_NAME : sessionName, webIdentityTokenFile);
    }

    private static String text(JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw new SetupException("config: " + key + " must be a non-empty string");
        }
        return node.textValue();
    }

    /** Like {@link #text}, but never repeats the value. */
    private static String secret(JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new SetupException("config: " + key + " must be a string");
        }
        if (node.textValue().isEmpty()) {
            throw new SetupException("config: " + key + " must not be empty");
        }
        return node.textValue();
    }

    public Source source() {
        return accessKey != null ? Source.STATIC_KEYS : profile != null ? Source.PROFILE : Source.DEFAULT_CHAIN;
    }

    public String accessKey() {
        return accessKey;
    }

    public String privateKey() {
        return privateKey;
    }

    public String profile() {
        return profile;
    }

    /** A credentials/config file other than the SDK's default, or null. */
    public String profilePath() {
        return profilePath;
    }

    /** A role to assume, or null. */
    public String roleArn() {
        return roleArn;
    }

    public String externalId() {
        return externalId;
    }

    public String sessionName() {
        return sessionName;
    }

    /** With {@link #roleArn()}: the role is assumed with this token file (web identity), or null. */
    public String webIdentityTokenFile() {
        return webIdentityTokenFile;
    }

    /** Servers may echo what they got (an emulator echoes the access key id): never show a secret. */
    public String redact(String message) {
        String text = message;
        for (String secret : new String[] {privateKey, accessKey, externalId}) {
            if (secret != null) {
                text = text.replace(secret, "<redacted>");
            }
        }
        return text;
    }

    @Override
    public String toString() {
        String base = source() == Source.STATIC_KEYS ? "static keys (redacted)"
                : source() == Source.PROFILE ? "profile " + profile : "default chain";
        if (webIdentityTokenFile != null) {
            return "web identity " + webIdentityTokenFile + " for " + roleArn;
        }
        return roleArn == null ? base : base + ", assuming " + roleArn;
    }
}
