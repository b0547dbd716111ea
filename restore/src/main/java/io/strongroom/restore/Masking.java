package io.strongroom.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.avro.ChangeEvent;
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
 * are kept. Row images and keys are masked alike.
 */
public final class Masking {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        return ChangeEvent.newBuilder(e).setKey(mask(e.getTable(), e.getKey())).setBefore(mask(e.getTable(), e.getBefore()))
                .setAfter(mask(e.getTable(), e.getAfter())).build();
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
            for (String column : columns) {
                JsonNode v = row.get(column);
                if (v == null || v.isNull()) {
                    continue;
                }
                byte[] mac = hmac(table + "\u0000" + column + "\u0000" + v.asText());
                if (v.isIntegralNumber()) {
                    long n = Math.floorMod(ByteBuffer.wrap(mac).getLong(), 1_000_000_000L);
                    row.put(column, v.asLong() < 0 ? -n : n);
                } else if (v.isNumber()) {
                    double n = Math.floorMod(ByteBuffer.wrap(mac).getLong(), 100_000_000L) / 100.0;
                    row.put(column, v.asDouble() < 0 ? -n : n);
                } else if (v.isTextual()) {
                    row.put(column, "masked-" + HexFormat.of().formatHex(mac, 0, 8));
                }
            }
            return JSON.writeValueAsString(row);
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
