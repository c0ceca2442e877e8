package org.airbytekinesis.flink.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory and CPU of a process, from Linux's {@code /proc}: peak resident set size
 * ({@code VmHWM}, the high-water mark since the process started) and CPU time (user + system, all
 * threads). Values are -1 where {@code /proc} is not available.
 */
final class ProcessStats {
    /** Clock ticks per second of {@code /proc/PID/stat}; 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessStats() {}

    static long selfPid() {
        return ProcessHandle.current().pid();
    }

    /** Peak RSS in MiB, or -1. */
    static double peakRssMb(long pid) {
        long kb = statusKb(pid, "VmHWM:");
        return kb < 0 ? -1 : kb / 1024.0;
    }

    private static long statusKb(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** CPU seconds (user + system) the process has used so far, or -1. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // The command name (field 2) may hold spaces; the fields after it are plain.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // After the name: state is field 3, utime field 14, stime field 15.
            long utime = Long.parseLong(fields[14 - 3]);
            long stime = Long.parseLong(fields[15 - 3]);
            return (utime + stime) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The machine's load averages, for the report: the figures are only as quiet as the machine. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
