package io.strongroom.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Deterministic masks for restore drills on realistic but harmless data: each listed column's value
 * is replaced by a keyed hash of (table, column, value) — the same value always gets the same mask
 * under one key, so joins and uniqueness survive, and without the key a mask reveals nothing. Text
 * becomes {@code masked-<16 hex>}, a number another number of the same sign and scale; other values
 * are kept. Row images and keys are masked alike; the columns not masked keep their values exactly
 * (numbers are read as big decimals), though a row with a masked column is written anew, so a
 * number's spelling may change ({@code 1e-30} becomes {@code 1E-30}); rows without one are kept as
 * they were. A masked event loses its original value (which holds every column unmasked), so a
 * restore to Kafka writes its envelope; a masked key replaces the original key. Records of raw topics
 * cannot be masked: masking one stops the restore.
 */
public final class Masking {
    /** Numbers as exact decimals: a column that is not masked keeps its value (the spelling may change: 1e-30 → 1E-30). */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();
    private final Set<String> columns;
    private final byte[] key;

    /**
     * @param columns column names to mask (in every table)
     * @param key the HMAC key: random per restore unless given, so masks from two restores do not match
     */
    public Masking(Set<String> columns, byte[] key) {
        this.columns = Set.copyOf(columns);
        this.key = key.clone();
    }

    public ChangeEvent apply(ChangeEvent e) {
        if (columns.isEmpty()) {
            return e;
        }
        if (e.getOp() == Op.RECORD) {
            throw new IllegalStateException("cannot mask record " + e.getEventId() + " of raw topic " + e.getTable()
                    + ": its value is opaque bytes; leave raw topics out of a masked restore (--table)");
        }
        String key = mask(e.getTable(), e.getKey());
        ChangeEvent.Builder masked = ChangeEvent.newBuilder(e).setKey(key).setBefore(mask(e.getTable(), e.getBefore()))
                .setAfter(mask(e.getTable(), e.getAfter()))
                .setOriginalValue(null); // the source's bytes hold every column unmasked: a restore writes the fields instead
        if (key != null && !key.equals(e.getKey())) { // the original key would give the masked columns away
            masked.setOriginalKey(ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)));
        }
        return masked.build();
    }

    private String mask(String table, String json) {
        if (json == null) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(json);
            if (!(node instanceof ObjectNode row)) {
                return json;
            }
            boolean changed = false;
            for (String column : columns) {
                JsonNode v = row.get(column);
                if (v == null || v.isNull() || !(v.isNumber() || v.isTextual())) {
                    continue;
                }
                changed = true;
                byte[] mac = hmac(table + "\u0000" + column + "\u0000" + v.asText());
                if (v.isIntegralNumber()) {
                    long n = Math.floorMod(ByteBuffer.wrap(mac).getLong(), 1_000_000_000L);
                    row.put(column, v.bigIntegerValue().signum() < 0 ? -n : n);
                } else if (v.isNumber()) {
                    double n = Math.floorMod(ByteBuffer.wrap(mac).getLong(), 100_000_000L) / 100.0;
                    row.put(column, v.decimalValue().signum() < 0 ? -n : n);
                } else if (v.isTextual()) {
                    row.put(column, "masked-" + HexFormat.of().formatHex(mac, 0, 8));
                }
            }
            return changed ? JSON.writeValueAsString(row) : json;
        } catch (IOException ex) {
            throw new IllegalStateException("cannot mask a row image: " + ex.getMessage(), ex);
        }
    }

    private byte[] hmac(String s) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
