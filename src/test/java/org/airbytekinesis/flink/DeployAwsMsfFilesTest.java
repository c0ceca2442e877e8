package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.airbytekinesis.flink.msf.MsfApplicationProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CloudFormation template of the MSF deployment, read as plain YAML: the runtime follows the
 * pom's Flink version, the role is limited to what the job does, and the property groups it sets,
 * the README's table and the code agree.
 */
class DeployAwsMsfFilesTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DIR = ROOT.resolve("deploy/aws-msf");
    private static final String STREAMS =
            "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${StreamNamePrefix}*";

    private static String flinkVersion;
    private static String text;
    private static JsonNode template;

    /** An IAM statement and the conditions (Fn::If) it sits under. */
    private static final class Statement {
        final JsonNode node;
        final List<String> conditions;

        Statement(JsonNode node, List<String> conditions) {
            this.node = node;
            this.conditions = conditions;
        }

        List<String> actions() {
            return strings(node.path("Action"));
        }

        List<JsonNode> resources() {
            List<JsonNode> resources = new ArrayList<>();
            JsonNode resource = node.path("Resource");
            if (resource.isArray()) {
                resource.forEach(resources::add);
            } else {
                resources.add(resource);
            }
            return resources;
        }
    }

    @BeforeAll
    static void read() throws Exception {
        flinkVersion = XPathFactory.newInstance().newXPath().evaluate("/project/properties/flink.version",
                DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile())).trim();
        text = Files.readString(DIR.resolve("cloudformation.yaml"));
        template = new ObjectMapper(new YAMLFactory()).readTree(text);
    }

    @Test
    void theTemplateUsesOnlyLongFormIntrinsicsSoPlainYamlReadsIt() {
        Matcher shortForm = Pattern.compile("(?m)^[^#\\n]*[:\\-\\[,]\\s*!(Ref|Sub|GetAtt|If|Equals|Not|And|Or|Join|Select|Split"
                + "|FindInMap|Base64|Cidr|ImportValue|GetAZs|Condition|Transform)\\b").matcher(text);
        assertFalse(shortForm.find(), () -> "short-form tag: " + shortForm.group());
        assertEquals("2010-09-09", template.path("AWSTemplateFormatVersion").asText());
        for (Map.Entry<String, JsonNode> resource : template.path("Resources").properties()) {
            assertTrue(resource.getValue().path("Type").asText().startsWith("AWS::"), resource.getKey());
        }
    }

    @Test
    void theRuntimeIsTheFlinkMinorVersionOfThePom() {
        String[] parts = flinkVersion.split("\\.");
        JsonNode application = application();
        assertEquals("FLINK-" + parts[0] + "_" + parts[1], application.path("Properties").path("RuntimeEnvironment").asText());
        assertEquals("FLINK-1_20", application.path("Properties").path("RuntimeEnvironment").asText());
        JsonNode code = application.path("Properties").path("ApplicationConfiguration").path("ApplicationCodeConfiguration");
        assertEquals("ZIPFILE", code.path("CodeContentType").asText());
        assertEquals("CodeKey", code.path("CodeContent").path("S3ContentLocation").path("FileKey").path("Ref").asText());
        JsonNode flink = application.path("Properties").path("ApplicationConfiguration").path("FlinkApplicationConfiguration");
        for (String part : List.of("CheckpointConfiguration", "MonitoringConfiguration", "ParallelismConfiguration")) {
            assertEquals("CUSTOM", flink.path(part).path("ConfigurationType").asText(), part);
        }
        assertTrue(flink.path("CheckpointConfiguration").path("CheckpointingEnabled").asBoolean());
    }

    @Test
    void theRoleHasNoWildcardKinesisActionsAndOnlyThePrefixedStreams() {
        List<Statement> statements = statements();
        assertFalse(statements.isEmpty());
        boolean anyKinesis = false;
        for (Statement statement : statements) {
            assertEquals("Allow", statement.node.path("Effect").asText());
            for (String action : statement.actions()) {
                assertFalse(action.equals("*") || action.endsWith(":*"), "wildcard action " + action);
                assertFalse(action.startsWith("kinesis:") && action.contains("*"), "wildcard kinesis action " + action);
            }
            if (statement.actions().stream().anyMatch(a -> a.startsWith("kinesis:"))) {
                anyKinesis = true;
                for (JsonNode resource : statement.resources()) {
                    assertEquals(STREAMS, resource.path("Fn::Sub").asText(), "kinesis statements are for the prefixed streams");
                }
            }
            for (JsonNode resource : statement.resources()) {
                assertFalse(resource.isTextual() && resource.asText().equals("*"), "Resource \"*\" for " + statement.actions());
            }
        }
        assertTrue(anyKinesis);
    }

    @Test
    void theKinesisActionsAreThoseTheJobCallsAndDeleteStreamOnlyForOverwrite() throws Exception {
        // The write path's Kinesis calls (StreamProvisioner, the aggregating writers' ShardMapLoader;
        // the sinks themselves only PutRecords).
        Set<String> called = new TreeSet<>();
        for (String source : List.of("StreamProvisioner.java", "ShardMapLoader.java")) {
            Matcher calls = Pattern.compile("client\\.(\\w+)\\(")
                    .matcher(Files.readString(ROOT.resolve("src/main/java/org/airbytekinesis/flink/sink/" + source)));
            while (calls.find()) {
                called.add("kinesis:" + Character.toUpperCase(calls.group(1).charAt(0)) + calls.group(1).substring(1));
            }
        }
        called.add("kinesis:PutRecords");

        Set<String> granted = new TreeSet<>();
        for (Statement statement : statements()) {
            for (String action : statement.actions()) {
                if (action.startsWith("kinesis:")) {
                    granted.add(action);
                }
                if (action.equals("kinesis:DeleteStream")) {
                    assertEquals(List.of("OverwriteAllowed"), statement.conditions, "DeleteStream only with AllowOverwrite");
                }
                if (action.equals("kinesis:StartStreamEncryption") || action.startsWith("kms:")) {
                    assertEquals(List.of("EncryptStreams"), statement.conditions, action + " only with a KMS key");
                }
            }
        }
        assertEquals(called, granted);
        assertTrue(granted.contains("kinesis:ListShards"), "aggregation reads the shards");
        assertTrue(template.path("Conditions").path("OverwriteAllowed").path("Fn::Equals").toString().contains("AllowOverwrite"));
    }

    @Test
    void theRoleReadsTheJarAndInputsWritesDeadLettersAndLogs() {
        Set<String> actions = new TreeSet<>();
        statements().forEach(s -> actions.addAll(s.actions()));
        assertTrue(actions.containsAll(List.of("s3:GetObject", "s3:ListBucket", "s3:PutObject", "logs:PutLogEvents")), actions.toString());
        JsonNode trust = template.path("Resources").path("ServiceRole").path("Properties").path("AssumeRolePolicyDocument");
        assertEquals("kinesisanalytics.amazonaws.com", trust.path("Statement").path(0).path("Principal").path("Service").asText());
    }

    @Test
    void thePropertyGroupsOfTheTemplateAreReadByTheCodeAndHoldNoCredentials() {
        Map<String, Set<String>> known = MsfApplicationProperties.knownKeys();
        Map<String, Set<String>> set = templateGroups();
        assertEquals(known.keySet(), set.keySet());
        for (Map.Entry<String, Set<String>> group : set.entrySet()) {
            assertTrue(known.get(group.getKey()).containsAll(group.getValue()), group.toString());
        }
        assertFalse(set.get("DestinationConfig").contains("accessKey"));
        assertFalse(set.get("DestinationConfig").contains("privateKey"));
        assertTrue(set.get("Input").contains("input"));
    }

    @Test
    void theReadmeTableListsExactlyTheGroupsAndKeysTheCodeReads() throws Exception {
        Map<String, Set<String>> listed = new TreeMap<>();
        boolean inTable = false;
        Pattern row = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|\\s*`([^`]+)`\\s*\\|.*\\|\\s*$");
        for (String line : Files.readAllLines(DIR.resolve("README.md"))) {
            if (line.replace(" ", "").equals("|group|key|meaning|")) {
                inTable = true;
                continue;
            }
            if (inTable && !line.startsWith("|")) {
                break;
            }
            if (inTable && !line.startsWith("|---")) {
                Matcher matcher = row.matcher(line);
                assertTrue(matcher.matches(), "table row: " + line);
                assertTrue(listed.computeIfAbsent(matcher.group(1), g -> new TreeSet<>()).add(matcher.group(2)), line);
            }
        }
        Map<String, Set<String>> read = new TreeMap<>();
        MsfApplicationProperties.knownKeys().forEach((group, keys) -> read.put(group, new TreeSet<>(keys)));
        assertEquals(read, listed);
    }

    @Test
    void theReadmeGivesVersionsDeploymentAndLocalRun() throws Exception {
        String readme = Files.readString(DIR.resolve("README.md"));
        assertTrue(readme.contains("Flink " + flinkVersion));
        assertTrue(readme.contains("FLINK-1_20"));
        assertTrue(readme.contains("aws cloudformation deploy"));
        assertTrue(readme.contains("--template-file deploy/aws-msf/cloudformation.yaml"));
        assertTrue(readme.contains("msf --properties deploy/aws-msf/application-properties-local.json"));
        assertNotNull(template.path("Parameters").get("StreamNamePrefix"));
    }

    private static JsonNode application() {
        for (JsonNode resource : template.path("Resources")) {
            if (resource.path("Type").asText().equals("AWS::KinesisAnalyticsV2::Application")) {
                return resource;
            }
        }
        throw new AssertionError("no AWS::KinesisAnalyticsV2::Application");
    }

    private static Map<String, Set<String>> templateGroups() {
        Map<String, Set<String>> groups = new TreeMap<>();
        JsonNode list = application().path("Properties").path("ApplicationConfiguration").path("EnvironmentProperties")
                .path("PropertyGroups");
        for (JsonNode group : list) {
            Set<String> keys = new TreeSet<>();
            group.path("PropertyMap").fieldNames().forEachRemaining(keys::add);
            groups.put(group.path("PropertyGroupId").asText(), keys);
        }
        return groups;
    }

    /** Every statement of the service role's policies, with the Fn::If conditions around it. */
    private static List<Statement> statements() {
        List<Statement> statements = new ArrayList<>();
        collect(template.path("Resources").path("ServiceRole").path("Properties").path("Policies"), new ArrayList<>(), statements);
        return statements;
    }

    private static void collect(JsonNode node, List<String> conditions, List<Statement> into) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, conditions, into));
        } else if (node.isObject()) {
            if (node.has("Effect") && node.has("Action")) {
                into.add(new Statement(node, List.copyOf(conditions)));
                return;
            }
            JsonNode condition = node.get("Fn::If");
            if (condition != null) {
                List<String> inner = new ArrayList<>(conditions);
                inner.add(condition.path(0).asText());
                collect(condition.path(1), inner, into);
                collect(condition.path(2), conditions, into);
                return;
            }
            node.forEach(child -> collect(child, conditions, into));
        }
    }

    private static List<String> strings(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> values.add(n.asText()));
        } else if (!node.isMissingNode()) {
            values.add(node.asText());
        }
        return values;
    }
}
