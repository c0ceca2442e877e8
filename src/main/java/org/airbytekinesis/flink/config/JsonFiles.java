package org.airbytekinesis.flink.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.airbytekinesis.flink.SetupException;

/** Reads the JSON files the job is set up with (config, catalog), with errors that say where. */
public final class JsonFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonFiles() {}

    /**
     * @param what names the file in messages ("config", "catalog")
     * @param mayQuoteContent whether a syntax error may quote the file's text; never for a file
     *     that can hold secrets
     */
    public static JsonNode read(Path path, String what, boolean mayQuoteContent) {
        try {
            return MAPPER.readTree(Files.readAllBytes(path));
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();
            throw new SetupException(what + " " + path + ": not valid JSON"
                    + (where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr())
                    + (mayQuoteContent ? ": " + e.getOriginalMessage() : ""));
        } catch (IOException e) {
            throw new SetupException(what + " " + path + ": cannot read it: " + e);
        }
    }
}
