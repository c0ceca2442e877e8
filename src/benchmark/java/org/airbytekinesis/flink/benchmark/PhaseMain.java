package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One phase of the benchmark, in a JVM of its own (so its peak RSS is its own):
 * {@code PhaseMain SPEC.json}. Writes a {@link PhaseResult} to the spec's result file and exits
 * (0, or 1 when the phase failed; the result then says why).
 */
public final class PhaseMain {
    private PhaseMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: PhaseMain SPEC.json (written by org.airbytekinesis.flink.benchmark.Benchmark)");
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        PhaseSpec spec = PhaseSpec.read(mapper, Path.of(args[0]));
        Files.createDirectories(spec.workDir);
        PhaseResult result = new PhaseResult();
        result.phase = spec.phase;
        result.variant = spec.variant;
        result.latencyMillis = "cdefg".contains(spec.phase) ? spec.latencyMillis : -1;
        result.records = spec.records;
        result.avgEnvelopeBytes = spec.avgEnvelopeBytes;
        int exitCode = 0;
        try {
            switch (spec.phase) {
                case "a":
                    CpuCeilingPhase.run(spec, result);
                    break;
                case "b":
                    CpuPathPhase.run(spec, result);
                    break;
                case "c":
                    EmulatorCeilingPhase.run(spec, result);
                    break;
                case "d":
                    OriginalConnectorPhase.run(spec, result);
                    break;
                case "e":
                case "f":
                case "g":
                    EndToEndPhase.run(spec, result);
                    break;
                case "h":
                case "i":
                    ShardLimitPhase.run(spec, result);
                    break;
                case "j":
                case "k":
                    ScaleOutPhase.run(spec, result);
                    break;
                default:
                    throw new IllegalArgumentException("unknown phase " + spec.phase);
            }
        } catch (Throwable t) {
            t.printStackTrace();
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            result.error = (t == root ? "" : t.getClass().getSimpleName() + " <- ") + root;
            exitCode = 1;
        }
        Files.writeString(spec.resultFile, mapper.writeValueAsString(result.toJson(mapper)));
        System.out.flush();
        // Flink, SDK and proxy threads may linger: leave now.
        System.exit(exitCode);
    }

    /** Marks the start of a measurement: this JVM's and the emulator's CPU so far. */
    static final class Clock {
        final long startNanos = System.nanoTime();
        final double cpuAtStart = ProcessStats.cpuSeconds(ProcessStats.selfPid());
        final double emulatorCpuAtStart;
        private final EmulatorSession emulator;

        Clock(EmulatorSession emulator) {
            this.emulator = emulator;
            this.emulatorCpuAtStart = emulator == null ? Double.NaN : emulator.emulatorCpuSeconds();
        }

        /** Fills in time, CPU and peak memory at the end of the measurement. */
        void stop(PhaseResult result, Progress progress) {
            long end = System.nanoTime();
            if (Double.isNaN(result.seconds)) {
                result.seconds = (end - startNanos) / 1e9;
            }
            result.cpuSeconds = ProcessStats.cpuSeconds(ProcessStats.selfPid()) - cpuAtStart;
            result.peakRssMb = ProcessStats.peakRssMb(ProcessStats.selfPid());
            if (emulator != null) {
                result.emulatorCpuSeconds = emulator.emulatorCpuSeconds() - emulatorCpuAtStart;
                result.emulatorPeakRssMb = emulator.emulatorPeakRssMb();
            }
            if (progress != null) {
                result.steadyRate = progress.steadyRate();
                result.steadySeconds = progress.steadySeconds();
                result.steadyCpuMicros = progress.steadyCpuMicrosPerRecord();
                result.steadyEmulatorCpuMicros = progress.steadyEmulatorCpuMicrosPerRecord();
            }
        }
    }
}
