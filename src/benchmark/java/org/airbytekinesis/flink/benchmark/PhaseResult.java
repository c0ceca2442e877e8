package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** What one phase measured. Rates are records per second; NaN or -1 where not measured. */
final class PhaseResult {
    String phase;
    String variant;
    long latencyMillis = -1;
    /** Records the phase was to process. */
    long records;
    /** Records it counted as done (processed, or accepted by Kinesis). */
    long done;
    /** The phase's own time: the loop, or the job's net runtime. */
    double seconds = Double.NaN;
    double steadyRate = Double.NaN;
    double steadySeconds = Double.NaN;
    /** This JVM's and the emulator's CPU microseconds per record in the steady window. */
    double steadyCpuMicros = Double.NaN;
    double steadyEmulatorCpuMicros = Double.NaN;
    double avgEnvelopeBytes;
    /** CPU seconds this JVM used during the measurement (all threads). */
    double cpuSeconds = Double.NaN;
    /** This JVM's VmHWM at the end of the measurement, before any read-back. */
    double peakRssMb = -1;
    double emulatorPeakRssMb = -1;
    double emulatorCpuSeconds = Double.NaN;
    /** Records read back from the emulator after the measurement; -1 when not checked. */
    long verifiedRecords = -1;
    String proxyStats;
    String error;
    final List<String> notes = new ArrayList<>();
    ObjectNode extra;

    double rate() {
        return seconds > 0 ? done / seconds : Double.NaN;
    }

    ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode json = mapper.createObjectNode();
        json.put("phase", phase);
        json.put("variant", variant);
        json.put("latencyMs", latencyMillis);
        json.put("records", records);
        json.put("done", done);
        putNumber(json, "seconds", seconds);
        putNumber(json, "rate", rate());
        putNumber(json, "steadyRate", steadyRate);
        putNumber(json, "steadySeconds", steadySeconds);
        putNumber(json, "steadyCpuMicros", steadyCpuMicros);
        putNumber(json, "steadyEmulatorCpuMicros", steadyEmulatorCpuMicros);
        putNumber(json, "avgEnvelopeBytes", avgEnvelopeBytes);
        putNumber(json, "cpuSeconds", cpuSeconds);
        putNumber(json, "peakRssMb", peakRssMb);
        putNumber(json, "emulatorPeakRssMb", emulatorPeakRssMb);
        putNumber(json, "emulatorCpuSeconds", emulatorCpuSeconds);
        json.put("verifiedRecords", verifiedRecords);
        if (proxyStats != null) {
            json.put("proxyStats", proxyStats);
        }
        if (error != null) {
            json.put("error", error);
        }
        var notesJson = json.putArray("notes");
        notes.forEach(notesJson::add);
        if (extra != null) {
            json.set("extra", extra);
        }
        return json;
    }

    static PhaseResult fromJson(JsonNode json) {
        PhaseResult result = new PhaseResult();
        result.phase = json.path("phase").asText();
        result.variant = json.path("variant").asText();
        result.latencyMillis = json.path("latencyMs").asLong(-1);
        result.records = json.path("records").asLong();
        result.done = json.path("done").asLong();
        result.seconds = number(json, "seconds");
        result.steadyRate = number(json, "steadyRate");
        result.steadySeconds = number(json, "steadySeconds");
        result.steadyCpuMicros = number(json, "steadyCpuMicros");
        result.steadyEmulatorCpuMicros = number(json, "steadyEmulatorCpuMicros");
        result.avgEnvelopeBytes = number(json, "avgEnvelopeBytes");
        result.cpuSeconds = number(json, "cpuSeconds");
        result.peakRssMb = number(json, "peakRssMb");
        result.emulatorPeakRssMb = number(json, "emulatorPeakRssMb");
        result.emulatorCpuSeconds = number(json, "emulatorCpuSeconds");
        result.verifiedRecords = json.path("verifiedRecords").asLong(-1);
        result.proxyStats = json.hasNonNull("proxyStats") ? json.get("proxyStats").asText() : null;
        result.error = json.hasNonNull("error") ? json.get("error").asText() : null;
        json.path("notes").forEach(note -> result.notes.add(note.asText()));
        result.extra = json.get("extra") instanceof ObjectNode ? (ObjectNode) json.get("extra") : null;
        return result;
    }

    static void putNumber(ObjectNode json, String key, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            json.putNull(key);
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            json.put(key, (long) value);
        } else {
            json.put(key, Math.round(value * 1000) / 1000.0);
        }
    }

    private static double number(JsonNode json, String key) {
        JsonNode value = json.get(key);
        return value == null || value.isNull() ? Double.NaN : value.asDouble();
    }
}
