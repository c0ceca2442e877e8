package org.airbytekinesis.flink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void secretsOfAParsedConfigAreRedactedFromAnyTextButShortValuesAreLeftAlone() throws Exception {
        DestinationConfig.fromJson(new ObjectMapper().readTree("{\"accessKey\":\"AKIA-REDACT-ME\",\"privateKey\":\"xyz\","
                + "\"roleArn\":\"arn:aws:iam::1:role/r\",\"externalId\":\"ext-redact-me\"}"));
        assertEquals("Credential=<redacted>/us-east-1 id <redacted>; xyz stays",
                Secrets.redact("Credential=AKIA-REDACT-ME/us-east-1 id ext-redact-me; xyz stays"));
    }

    @Test
    void eachSecretOfAConfigIsRedactedOnItsOwn() throws Exception {
        // Secrets are kept for the whole JVM: values never seen before show that this config registered them.
        String unique = UUID.randomUUID().toString();
        String accessKey = "AK-" + unique;
        String privateKey = "PK-" + unique;
        String externalId = "EXT-" + unique;
        DestinationConfig.fromJson(new ObjectMapper().readTree("{\"accessKey\":\"" + accessKey + "\",\"privateKey\":\""
                + privateKey + "\",\"roleArn\":\"arn:aws:iam::1:role/r\",\"externalId\":\"" + externalId + "\"}"));
        assertEquals("a <redacted>, p <redacted>, e <redacted>",
                Secrets.redact("a " + accessKey + ", p " + privateKey + ", e " + externalId));
    }

    @Test
    void aSecretOfFourCharactersIsRedactedOneOfThreeIsNot() {
        // Characters no other test's text holds: the values stay registered for the whole JVM.
        String unique = UUID.randomUUID().toString().substring(0, 3);
        String four = "\u00a7" + unique;
        String three = "\u00b6" + unique.substring(0, 2);
        Secrets.register(four);
        Secrets.register(three);
        assertEquals("<redacted> " + three, Secrets.redact(four + " " + three));
    }
}
