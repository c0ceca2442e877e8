package org.airbytekinesis.flink.airbyte;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import org.airbytekinesis.flink.deadletter.DeadLetterReason;

/**
 * Reads one AirbyteMessage line with Jackson's streaming parser, without building a tree: it
 * finds the message type and, for a RECORD, the stream, namespace, emitted_at and the byte range
 * of {@code data}. Numbers and strings are never converted, so they survive exactly. The whole
 * line is still tokenised, so any JSON syntax error is found. Keys may come in any order and
 * unknown keys are allowed, as the protocol says.
 *
 * <p>Not thread-safe: one instance per operator.
 */
public final class AirbyteMessageScanner {
    private final JsonFactory jsonFactory;
    private final ScannedMessage message = new ScannedMessage();

    public AirbyteMessageScanner() {
        this.jsonFactory = newJsonFactory();
    }

    /** A JSON factory for reading records' text as this scanner does. */
    public static JsonFactory newJsonFactory() {
        // The text is copied, not converted, so Jackson's guards against huge numbers and deep
        // nesting (meant for code that builds values) would only refuse valid records.
        return JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(100_000)
                        .maxNumberLength(Integer.MAX_VALUE)
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNameLength(Integer.MAX_VALUE)
                        .build())
                // Jackson quotes up to 256 characters of an unrecognized token in its message,
                // which would put the line's content into the error: keep only its first ones.
                .errorReportConfiguration(ErrorReportConfiguration.builder()
                        .maxErrorTokenLength(0)
                        .build())
                .build();
    }

    /** Scans {@code line[0, length)}. The result is reused by the next call. */
    public ScannedMessage scan(byte[] line, int length) throws MalformedMessageException {
        message.reset();
        try (JsonParser parser = jsonFactory.createParser(line, 0, length)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return message; // blank line
            }
            if (token != JsonToken.START_OBJECT) {
                // Read the whole value first: a line that is not even valid JSON gets that reason.
                parser.skipChildren();
                if (token == JsonToken.VALUE_STRING) {
                    parser.finishToken();
                }
                if (parser.nextToken() != null) {
                    throw new MalformedMessageException(DeadLetterReason.NOT_JSON, "unexpected content after the JSON value");
                }
                if (!Utf8.isValid(line, length)) {
                    throw new MalformedMessageException(DeadLetterReason.INVALID_UTF8, "not valid UTF-8");
                }
                throw new MalformedMessageException(DeadLetterReason.NOT_AN_OBJECT, "not a JSON object (starts with " + describe(token) + ")");
            }
            boolean hasType = false;
            JsonToken recordToken = null;
            MalformedMessageException recordProblem = null;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                token = parser.nextToken();
                if ("type".equals(field)) {
                    if (token != JsonToken.VALUE_STRING) {
                        throw new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE, "\"type\" must be a string, got " + describe(token));
                    }
                    hasType = true;
                    message.type = parser.getText();
                } else if ("record".equals(field)) {
                    recordToken = token;
                    recordProblem = token == JsonToken.START_OBJECT ? scanRecord(parser) : null;
                    if (token != JsonToken.START_OBJECT) {
                        parser.skipChildren();
                    }
                } else if ("state".equals(field) && token == JsonToken.START_OBJECT) {
                    scanState(parser);
                } else if ("trace".equals(field) && token == JsonToken.START_OBJECT) {
                    scanTrace(parser);
                } else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw new MalformedMessageException(DeadLetterReason.NOT_JSON, "unexpected content after the JSON object");
            }
            if (!hasType) {
                throw new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE, "AirbyteMessage has no \"type\"");
            }
            if (message.isRecord()) {
                if (recordToken == null) {
                    throw new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE, "RECORD message has no \"record\"");
                }
                if (recordToken != JsonToken.START_OBJECT) {
                    throw new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE, "\"record\" must be an object, got " + describe(recordToken));
                }
                if (recordProblem != null) {
                    throw recordProblem;
                }
            }
            if (message.isState() && message.stateStart < 0) {
                throw new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE, "STATE message has no \"state\" object");
            }
            return message;
        } catch (StreamConstraintsException e) {
            throw new MalformedMessageException(DeadLetterReason.NOT_JSON, "too large to read: " + e.getOriginalMessage());
        } catch (JsonParseException e) {
            if (!Utf8.isValid(line, length)) {
                throw new MalformedMessageException(DeadLetterReason.INVALID_UTF8, "not valid UTF-8");
            }
            throw new MalformedMessageException(DeadLetterReason.NOT_JSON, "invalid JSON at column "
                    + (e.getLocation() == null ? "?" : String.valueOf(e.getLocation().getColumnNr()))
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedMessageException(DeadLetterReason.NOT_JSON, "cannot read line: " + e.getMessage());
        }
    }

    /** Reads the record object's fields; returns what is wrong with it, or null. */
    private MalformedMessageException scanRecord(JsonParser parser) throws IOException {
        // A message with two "record" objects is read as the last one alone.
        message.stream = null;
        message.namespace = null;
        message.emittedAt = null;
        message.dataStart = -1;
        message.dataEnd = -1;
        MalformedMessageException problem = null;
        boolean hasStream = false;
        JsonToken dataToken = null;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            token = parser.nextToken();
            switch (field) {
                case "stream":
                    hasStream = true;
                    if (token == JsonToken.VALUE_STRING && !parser.getText().isEmpty()) {
                        message.stream = parser.getText();
                    } else if (problem == null) {
                        problem = new MalformedMessageException(DeadLetterReason.RECORD_WITHOUT_STREAM,
                                "record.stream must be a non-empty string, got " + describe(token));
                    }
                    parser.skipChildren();
                    break;
                case "namespace":
                    if (token == JsonToken.VALUE_STRING) {
                        message.namespace = parser.getText();
                    } else if (token == JsonToken.VALUE_NULL) {
                        message.namespace = null;
                    } else if (problem == null) {
                        problem = new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE,
                                "record.namespace must be a string or null, got " + describe(token));
                    }
                    parser.skipChildren();
                    break;
                case "emitted_at":
                    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                        message.emittedAt = parser.getText();
                    } else if (token == JsonToken.VALUE_NULL) {
                        message.emittedAt = null;
                    } else if (problem == null) {
                        problem = new MalformedMessageException(DeadLetterReason.INVALID_MESSAGE,
                                "record.emitted_at must be a number, got " + describe(token));
                    }
                    parser.skipChildren();
                    break;
                case "data":
                    dataToken = token;
                    if (token == JsonToken.START_OBJECT) {
                        message.dataStart = (int) parser.currentTokenLocation().getByteOffset();
                        parser.skipChildren();
                        message.dataEnd = (int) parser.currentLocation().getByteOffset();
                    } else {
                        parser.skipChildren();
                    }
                    break;
                default:
                    parser.skipChildren();
            }
        }
        if (problem != null) {
            return problem;
        }
        if (!hasStream) {
            return new MalformedMessageException(DeadLetterReason.RECORD_WITHOUT_STREAM, "record has no \"stream\"");
        }
        if (dataToken == null) {
            return new MalformedMessageException(DeadLetterReason.RECORD_WITHOUT_OBJECT_DATA, "record has no \"data\"");
        }
        if (dataToken != JsonToken.START_OBJECT) {
            return new MalformedMessageException(DeadLetterReason.RECORD_WITHOUT_OBJECT_DATA,
                    "record.data must be an object, got " + describe(dataToken));
        }
        return null;
    }

    /** Finds the state object's byte range, its type and, for a STREAM state, its stream. */
    private void scanState(JsonParser parser) throws IOException {
        message.stateStart = (int) parser.currentTokenLocation().getByteOffset();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            if ("type".equals(field) && token == JsonToken.VALUE_STRING) {
                message.stateType = parser.getText();
            } else if ("stream".equals(field) && token == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String streamField = parser.currentName();
                    if (parser.nextToken() == JsonToken.START_OBJECT && "stream_descriptor".equals(streamField)) {
                        scanStreamDescriptor(parser);
                    } else {
                        parser.skipChildren();
                    }
                }
            } else if ("destinationStats".equals(field)) {
                message.stateHasDestinationStats = true;
                parser.skipChildren();
            } else {
                parser.skipChildren();
            }
        }
        message.stateEnd = (int) parser.currentLocation().getByteOffset();
    }

    private void scanStreamDescriptor(JsonParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            if (token == JsonToken.VALUE_STRING && "name".equals(field)) {
                message.stateStreamName = parser.getText();
            } else if (token == JsonToken.VALUE_STRING && "namespace".equals(field)) {
                message.stateStreamNamespace = parser.getText();
            } else {
                parser.skipChildren();
            }
        }
    }

    /** Reads a trace's type and, for an ERROR trace, its message. */
    private void scanTrace(JsonParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            if ("type".equals(field) && token == JsonToken.VALUE_STRING) {
                message.traceType = parser.getText();
            } else if ("error".equals(field) && token == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String errorField = parser.currentName();
                    if (parser.nextToken() == JsonToken.VALUE_STRING && "message".equals(errorField)) {
                        message.traceErrorMessage = parser.getText();
                    } else {
                        parser.skipChildren();
                    }
                }
            } else {
                parser.skipChildren();
            }
        }
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        switch (token) {
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "null";
            default:
                return token.toString();
        }
    }
}
