package org.airbytekinesis.flink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void secretsOfAParsedConfigAreRedactedFromAnyTextButShortValuesAreLeftAlone() throws Exception {
        DestinationConfig.fromJson(new ObjectMapper().readTree("{\"accessKey\":\"AKIA-REDACT-ME\",\"privateKey\":\"xyz\","
                + "\"roleArn\":\"arn:aws:iam::1:role/r\",\"externalId\":\"ext-redact-me\"}"));
        assertEquals("Credential=<redacted>/us-east-1 id <redacted>; xyz stays",
                Secrets.redact("Credential=AKIA-REDACT-ME/us-east-1 id ext-redact-me; xyz stays"));
    }
}
