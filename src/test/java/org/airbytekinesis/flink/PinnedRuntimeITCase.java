package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster's config (or {@code $FLINK_CONF_DIR/config.yaml} locally) cannot switch off what the
 * STATE guarantee rests on (kinesalite): {@code write}, run as the launcher runs it, releases
 * every STATE whatever those settings say, and warns naming each one it overrode.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PinnedRuntimeITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static KinesisEmulator emulator;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEmulator() throws Exception {
        emulator = KinesisEmulator.kinesalite();
    }

    @AfterAll
    static void stopEmulator() {
        emulator.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "execution.runtime-mode=BATCH",
        "execution.runtime-mode=AUTOMATIC",
        "execution.checkpointing.checkpoints-after-tasks-finish=false",
        "execution.checkpointing.mode=AT_LEAST_ONCE",
        "execution.checkpointing.unaligned.enabled=true"
    })
    void aClusterSettingThatWouldWithholdStatesIsOverriddenWithAWarningNamingIt(String setting) throws Exception {
        String key = setting.substring(0, setting.indexOf('='));
        Configuration cluster = new Configuration();
        cluster.setString(key, setting.substring(setting.indexOf('=') + 1));

        List<String> lines = new ArrayList<>();
        for (int seq = 0; seq < 30; seq++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"pinned\",\"emitted_at\":1,\"data\":{\"seq\":" + seq + "}}}");
            if (seq % 10 == 9) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + (seq + 1) + "}}}");
            }
        }
        Path input = Files.write(dir.resolve("input.jsonl"), lines, StandardCharsets.UTF_8);
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"pinned\"}}]}");
        Path stateOut = dir.resolve("states.jsonl");
        ByteArrayOutputStream console = new ByteArrayOutputStream();

        new WriteCommand(new PrintStream(console, true, StandardCharsets.UTF_8), cluster).run(WriteOptions.parse(List.of(
                "--config", emulator.writeConfig(dir, Map.of()).toString(), "--catalog", catalog.toString(),
                "--input", input.toString(), "--state-out", stateOut.toString(), "--checkpoint-interval", "200ms",
                "--dead-letter", dir.resolve("dead-letter").toString())));

        List<String> released = Files.exists(stateOut) ? Files.readAllLines(stateOut) : List.of();
        assertEquals(3, released.size(), "every STATE released: " + released);
        assertTrue(released.get(2).contains("\"upTo\":30"), released.get(2));
        String printed = console.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("warning: cluster setting " + key + ": "), printed);
    }
}
