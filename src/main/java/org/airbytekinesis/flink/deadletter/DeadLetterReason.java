package org.airbytekinesis.flink.deadletter;

/** Why a line could not be delivered; the code is what the dead-letter output and counters show. */
public enum DeadLetterReason {
    /** Not JSON at all, JSON with content after it, or a comment line ({@code #}, {@code //}). */
    NOT_JSON("not_json"),
    /** Valid JSON, but not an object. */
    NOT_AN_OBJECT("not_an_object"),
    /** Bytes that are not UTF-8. */
    INVALID_UTF8("invalid_utf8"),
    /** A JSON object that is not a usable AirbyteMessage (no or bad {@code type}, bad payload). */
    INVALID_MESSAGE("invalid_message"),
    RECORD_WITHOUT_STREAM("record_without_stream"),
    RECORD_WITHOUT_OBJECT_DATA("record_without_object_data"),
    STREAM_NOT_IN_CATALOG("stream_not_in_catalog"),
    /** The envelope is larger than {@code maxRecordSizeBytes}. */
    RECORD_TOO_LARGE("record_too_large"),
    /** The record's data lacks the field its partition key is read from ({@code partitionKey}), or it is null. */
    MISSING_PARTITION_KEY("missing_partition_key");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
