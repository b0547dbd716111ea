package io.strongroom.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.Classification;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Retention and legal hold of the archive.
 *
 * <ul>
 *   <li>A <b>legal hold</b> is an object {@code {env}/{tenant}/_legal-holds/{id}.json} on every target;
 *       while a tenant has one, nothing of it is pruned.
 *   <li><b>Prune</b> deletes, on every target, the segments whose classification's retention has
 *       passed since they were sealed (a classification without retention, or a segment without a
 *       classification, is kept). It first writes a marker {@code {env}/{tenant}/_pruned/{time}-{id}.json}
 *       naming what it deletes, so a restore knows those segments are gone on purpose, then deletes,
 *       reporting each deletion.
 * </ul>
 */
public final class Retention {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Retention() {}

    /**
     * A legal hold.
     *
     * @param id its id
     * @param tenant the tenant held
     * @param reason why (case, matter)
     * @param by who placed it
     * @param placedAtMs when
     */
    public record Hold(String id, String tenant, String reason, String by, long placedAtMs) {}

    /**
     * A prune marker: segments deleted on purpose.
     *
     * @param formatVersion 1
     * @param tenant the tenant
     * @param by who pruned
     * @param prunedAtMs when
     * @param segments segment id → object key
     */
    public record Pruned(int formatVersion, String tenant, String by, long prunedAtMs, Map<String, String> segments) {}

    /**
     * What a prune did (or, dry, would do).
     *
     * @param examined segments the manifests list
     * @param expired segments past their retention, as object keys
     * @param heldTenants tenants skipped because of a legal hold
     */
    public record Result(int examined, List<String> expired, List<String> heldTenants) {}

    /** Places a hold on every target; returns it. */
    public static Hold hold(List<ArchiveTarget> targets, String environment, String tenant, String reason, String by) {
        return hold(targets, environment, tenant, reason, by, null);
    }

    /** Places a hold on every target, signed by {@code identity} (an operator's; null: unsigned); returns it. */
    public static Hold hold(List<ArchiveTarget> targets, String environment, String tenant, String reason, String by,
            SigningIdentity identity) {
        return hold(targets, environment, tenant, reason, by, identity, RetentionPolicy.none());
    }

    /**
     * Places a hold on every target, signed by {@code identity} (an operator's; null: unsigned), under {@code policy}'s
     * {@link RetentionPolicy#holdLock() lock}: with Object Lock, an S3 writer without {@code s3:PutObjectLegalHold}
     * cannot delete the hold to let a prune through. Returns it.
     */
    public static Hold hold(List<ArchiveTarget> targets, String environment, String tenant, String reason, String by,
            SigningIdentity identity, RetentionPolicy policy) {
        Hold hold = new Hold(UUID.randomUUID().toString(), tenant, reason, by, System.currentTimeMillis());
        String key = ArchiveLayout.holdKey(environment, tenant, hold.id());
        byte[] bytes = CatalogSignatures.seal(identity, key, json(hold));
        ArchiveTarget.Lock lock = policy.holdLock();
        for (ArchiveTarget t : targets) {
            t.putIfAbsent(key, bytes, "application/json", lock);
        }
        return hold;
    }

    /** Releases a hold placed without Object Lock on every target; false if no target had it. */
    public static boolean release(List<ArchiveTarget> targets, String environment, String tenant, String id) {
        return release(targets, environment, tenant, id, RetentionPolicy.none());
    }

    /**
     * Releases a hold on every target, lifting its S3 legal hold first under {@code policy}'s Object Lock; false if no
     * target had it.
     */
    public static boolean release(List<ArchiveTarget> targets, String environment, String tenant, String id,
            RetentionPolicy policy) {
        String key = ArchiveLayout.holdKey(environment, tenant, id);
        boolean found = false;
        for (ArchiveTarget t : targets) {
            boolean here = t.client().listObjectsV2(b -> b.bucket(t.bucket()).prefix(key)).keyCount() > 0;
            if (here && policy.holdLock() != null) {
                t.liftLegalHold(key);
            }
            found |= here;
            t.client().deleteObject(b -> b.bucket(t.bucket()).key(key));
        }
        return found;
    }

    /** The holds on a tenant (from the first target). */
    public static List<Hold> holds(ArchiveTarget target, String environment, String tenant) {
        List<Hold> holds = new ArrayList<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(ArchiveLayout.holdsPrefix(environment, tenant))).contents()) {
            // read whether signed or not: a forged hold only keeps data longer
            holds.add(parse(target.where(o.key()), CatalogSignatures.open(target.where(o.key()), o.key(), target.get(o.key()),
                    null), Hold.class));
        }
        return holds;
    }

    /** Tenants with an archive in {@code environment} (from the first target). */
    public static List<String> tenants(ArchiveTarget target, String environment) {
        List<String> tenants = new ArrayList<>();
        for (var page : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket()).prefix(environment + "/").delimiter("/"))) {
            for (CommonPrefix p : page.commonPrefixes()) {
                String name = p.prefix().substring(environment.length() + 1, p.prefix().length() - 1);
                if (!ArchiveLayout.isReserved(name)) {
                    tenants.add(name);
                }
            }
        }
        return tenants;
    }

    /**
     * Prunes expired segments of {@code tenants} (null: every tenant). Only entries of the tenant's own catalog (see
     * {@link ArchiveCatalog}) are considered, so nothing outside the tenant's prefix is ever deleted.
     *
     * @param deleted called after each object is gone from every target, with its key (audit it)
     */
    public static Result prune(List<ArchiveTarget> targets, String environment, List<String> tenants, RetentionPolicy policy,
            Instant now, String by, boolean dryRun, Consumer<String> deleted) {
        return prune(targets, environment, tenants, policy, now, by, dryRun, deleted, null, null);
    }

    /**
     * Prunes expired segments of {@code tenants} (null: every tenant), from the catalog as {@code trust} authenticates
     * it (null: unauthenticated), writing prune markers signed by {@code identity} (an operator's; null: unsigned).
     *
     * @param deleted called after each object is gone from every target, with its key (audit it)
     */
    public static Result prune(List<ArchiveTarget> targets, String environment, List<String> tenants, RetentionPolicy policy,
            Instant now, String by, boolean dryRun, Consumer<String> deleted, SigningIdentity identity, TrustFile trust) {
        ArchiveTarget primary = targets.get(0);
        int examined = 0;
        List<String> expired = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (String tenant : tenants != null ? tenants : tenants(primary, environment)) {
            if (!holds(primary, environment, tenant).isEmpty()) {
                held.add(tenant);
                continue;
            }
            ArchiveCatalog catalog = ArchiveCatalog.read(primary, ArchiveLayout.tenantPrefix(environment, tenant), trust);
            Map<String, Manifests.Entry> entries = catalog.current();
            examined += entries.size();
            Map<String, String> due = new LinkedHashMap<>();
            for (Manifests.Entry e : entries.values()) {
                // a disputed entry, or one whose seal time is not the day its object is filed under, says nothing
                // about when the segment expires: kept
                if (catalog.disputed().contains(e.objectKey())
                        || !ArchiveLayout.day(e.sealedAtMs()).equals(ArchiveLayout.parse(e.objectKey()).day())) {
                    continue;
                }
                Instant expiry = policy.expiry(e.classification() == null ? null : Classification.valueOf(e.classification()),
                        e.sealedAtMs());
                if (expiry != null && !expiry.isAfter(now)) {
                    due.put(e.segmentId(), e.objectKey());
                }
            }
            expired.addAll(due.values());
            if (dryRun || due.isEmpty()) {
                continue;
            }
            String markerKey = ArchiveLayout.prunedKey(environment, tenant, now.toEpochMilli(), UUID.randomUUID().toString());
            byte[] marker = CatalogSignatures.seal(identity, markerKey, json(new Pruned(PRUNED_FORMAT_VERSION, tenant, by, now.toEpochMilli(), due)));
            ArchiveTarget.Lock lock = policy.catalogLock(now); // outlives the segments after the gap it excuses
            for (ArchiveTarget t : targets) { // first say what is going, then delete: a restore never mistakes it for loss
                t.putIfAbsent(markerKey, marker, "application/json", lock);
            }
            for (String key : due.values()) {
                for (ArchiveTarget t : targets) {
                    t.client().deleteObject(b -> b.bucket(t.bucket()).key(key));
                }
                deleted.accept(key);
            }
        }
        return new Result(examined, expired, held);
    }

    /** Format of a prune marker's payload. */
    public static final int PRUNED_FORMAT_VERSION = 1;

    /**
     * Reads a prune marker.
     *
     * @throws IllegalArgumentException naming {@code where} if it is not one, is of another format, or lists no segments
     */
    public static Pruned readPruned(String where, byte[] bytes) {
        Pruned p = parse(where, bytes, Pruned.class);
        if (p.formatVersion() != PRUNED_FORMAT_VERSION || p.segments() == null) {
            throw new IllegalArgumentException(where + ": prune marker format " + p.formatVersion() + (p.segments() == null
                    ? " without segments" : "") + " is not " + PRUNED_FORMAT_VERSION + " (written by a newer Strongroom?)");
        }
        return p;
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T parse(String where, byte[] bytes, Class<T> type) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
