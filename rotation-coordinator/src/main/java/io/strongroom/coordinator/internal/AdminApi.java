package io.strongroom.coordinator.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.Principals;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.coordinator.RotationPolicy;
import io.strongroom.coordinator.ServiceKeys;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.UnknownKeyException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's admin API (JSON over HTTP; put it behind TLS). Every call names its caller
 * ({@code Authorization: Bearer NAME:TOKEN}); each endpoint needs a role, least privilege:
 *
 * <pre>
 * GET  /v1/keys                                 auditor, operator, security-officer
 * POST /v1/keys/{tenant}/rotate                 operator
 * POST /v1/keys/{tenant}/versions/{v}/disable   operator   (refused while archived segments need it)
 * GET  /v1/requests                             auditor, operator, security-officer
 * POST /v1/requests  {action, tenant, version, reason}   operator, security-officer
 * POST /v1/requests/{id}/approve  {totp}        security-officer (two distinct ones, fresh TOTP codes)
 * POST /v1/principals/{name}/unlock  {totp}     security-officer other than {name} (lifts a TOTP lock)
 * </pre>
 *
 * Every call — done, refused or denied — is audited under the caller's name; a reply of 400 or more
 * names its status in the event. A security officer locked by too many failed TOTP codes is audited
 * ({@code ACCESS_DENIED}) when the lock falls.
 */
public final class AdminApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ROTATE = Pattern.compile("/v1/keys/([A-Za-z0-9_-]{1,64})/rotate");
    private static final Pattern DISABLE = Pattern.compile("/v1/keys/([A-Za-z0-9_-]{1,64})/versions/([A-Za-z0-9._-]{1,64})/disable");
    private static final Pattern APPROVE = Pattern.compile("/v1/requests/([0-9a-f-]{36})/approve");
    private static final Pattern UNLOCK = Pattern.compile("/v1/principals/([A-Za-z0-9._@-]{1,64})/unlock");

    private final HttpServer server;
    private final AuditingKms kms;
    private final KeyRotator rotator;
    private final KeyPublisher publisher;
    private final Principals principals;
    private final DualControl dualControl;
    private final Function<String, Map<String, Integer>> references;
    private final Function<String, RotationPolicy> policies;
    private final List<String> tenants;
    private final Duration kmsTimeout;
    private final Clock clock;

    /**
     * @param references segments still needing each {@code keyId/version} of a tenant
     */
    public AdminApi(InetSocketAddress address, AuditingKms kms, KeyRotator rotator, KeyPublisher publisher, Principals principals,
            DualControl dualControl, Function<String, Map<String, Integer>> references, Function<String, RotationPolicy> policies,
            List<String> tenants, Duration kmsTimeout, Clock clock) throws IOException {
        this.kms = kms;
        this.rotator = rotator;
        this.publisher = publisher;
        this.principals = principals;
        this.dualControl = dualControl;
        this.references = references;
        this.policies = policies;
        this.tenants = List.copyOf(tenants);
        this.kmsTimeout = kmsTimeout;
        this.clock = clock;
        this.server = HttpServer.create(address, 16);
        server.createContext("/v1/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> new Thread(r, "strongroom-admin-api")));
        server.start();
        LOG.atInfo().addKeyValue("address", server.getAddress()).log("admin API listening");
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    private record Reply(int status, Object body) {}

    private void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        String caller = null;
        try {
            caller = caller(exchange);
            if (caller == null) {
                kms.recordFor("unauthenticated", AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, null, null, null,
                        exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + ": no valid credentials (status 401)");
                reply = new Reply(401, Map.of("error", "missing or wrong credentials (Authorization: Bearer NAME:TOKEN)"));
            } else {
                reply = route(exchange, caller);
                if (reply.status() == 200 && "GET".equals(exchange.getRequestMethod())) { // writes record their own events
                    kms.recordFor(caller, AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null,
                            "read " + exchange.getRequestURI().getPath());
                } else if (reply.status() == 404) {
                    auditFailure(exchange, caller, reply);
                }
            }
        } catch (IllegalArgumentException | IOException e) {
            reply = new Reply(400, Map.of("error", String.valueOf(e.getMessage())));
            auditFailure(exchange, caller, reply);
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("admin API call failed");
            reply = new Reply(500, Map.of("error", String.valueOf(e.getMessage())));
            auditFailure(exchange, caller, reply);
        }
        byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(reply.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(reply.status(), body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    /** Audits a 4xx/5xx reply that no route audited (bad input, unknown endpoint, internal error). */
    private void auditFailure(HttpExchange exchange, String caller, Reply reply) {
        try {
            kms.recordFor(caller == null ? "unauthenticated" : caller, AuditAction.OTHER, AuditOutcome.FAILURE, null, null, null,
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + ": status " + reply.status() + ": "
                            + ((Map<?, ?>) reply.body()).get("error"));
        } catch (RuntimeException e) { // the trail itself failed (the reply is a 500 then): still answer the caller
            LOG.atError().log("cannot audit a {} reply of the admin API: {}", reply.status(), e.getMessage());
        }
    }

    /** Audits the lock of {@code caller} if {@code attempt} (a refused TOTP code) set it. */
    private void auditLock(String caller, boolean lockedBefore, String attempt) {
        if (!lockedBefore && principals.isLocked(caller)) {
            kms.recordFor(caller, AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, null, null, null, caller + " locked after "
                    + principals.maxFailures() + " failed TOTP codes (" + attempt + "); another security officer must unlock");
        }
    }

    private String caller(HttpExchange exchange) {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !auth.contains(":")) {
            return null;
        }
        String credentials = auth.substring("Bearer ".length());
        int colon = credentials.indexOf(':');
        String name = principals.authenticate(credentials.substring(0, colon), credentials.substring(colon + 1));
        if (name != null && principals.isRevoked(name)) {
            kms.recordFor(name, AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, null, null, null,
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + ": revoked by access review");
            return null;
        }
        return name;
    }

    private Reply denied(String caller, String what, Principals.Role... roles) {
        kms.recordFor(caller, AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, null, null, null, what + ": needs " + List.of(roles)
                + " (status 403)");
        return new Reply(403, Map.of("error", caller + " may not " + what + " (needs one of " + List.of(roles) + ")"));
    }

    private boolean allowed(String caller, Principals.Role... roles) {
        for (Principals.Role r : roles) {
            if (principals.has(caller, r)) {
                return true;
            }
        }
        return false;
    }

    private Reply route(HttpExchange exchange, String caller) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Matcher m;
        if (method.equals("GET") && path.equals("/v1/keys")) {
            if (!allowed(caller, Principals.Role.AUDITOR, Principals.Role.OPERATOR, Principals.Role.SECURITY_OFFICER)) {
                return denied(caller, "read key status", Principals.Role.AUDITOR);
            }
            List<Object> out = new ArrayList<>();
            for (String t : tenants) {
                KeyRotator.Status s;
                try {
                    s = rotator.statusOf(t, kms.keyIdFor(t));
                } catch (UnknownKeyException e) { // the coordinator's pass creates it
                    out.add(Map.of("tenant", t, "keyId", kms.keyIdFor(t), "primary", "none yet"));
                    continue;
                }
                Map<String, Integer> refs = references.apply(t);
                List<Object> versions = new ArrayList<>();
                for (KeyVersion v : s.versions()) {
                    versions.add(Map.of("version", v.version(), "state", v.state().name(),
                            "segments", refs.getOrDefault(s.keyId() + "/" + v.version(), 0)));
                }
                out.add(Map.of("tenant", t, "keyId", s.keyId(), "primary", s.primaryVersion(),
                        "primarySince", s.primarySince().toString(), "nextRotation", s.nextRotation().toString(),
                        "overdue", s.overdue(clock.instant()), "versions", versions));
            }
            return new Reply(200, out);
        }
        if (method.equals("POST") && (m = ROTATE.matcher(path)).matches()) {
            if (!allowed(caller, Principals.Role.OPERATOR)) {
                return denied(caller, "rotate keys", Principals.Role.OPERATOR);
            }
            KeyVersion v = rotator.rotateNow(m.group(1), "rotated by " + caller);
            kms.recordFor(caller, AuditAction.ROTATE_KEY, AuditOutcome.SUCCESS, m.group(1), v.keyId(), v.version(), "rotate requested");
            return new Reply(200, Map.of("tenant", m.group(1), "primary", v.version()));
        }
        if (method.equals("POST") && (m = DISABLE.matcher(path)).matches()) {
            if (!allowed(caller, Principals.Role.OPERATOR)) {
                return denied(caller, "disable key versions", Principals.Role.OPERATOR);
            }
            String tenant = m.group(1);
            String version = m.group(2);
            String keyId = kms.keyIdFor(tenant);
            String service = ServiceKeys.protectedBecause(tenant);
            if (service != null) {
                kms.recordFor(caller, AuditAction.DISABLE_KEY, AuditOutcome.DENIED, tenant, keyId, version,
                        "refused (status 409): " + service);
                return new Reply(409, Map.of("error", service));
            }
            int needed = Rewrap.needing(references.apply(tenant), keyId, version);
            if (needed > 0) {
                kms.recordFor(caller, AuditAction.DISABLE_KEY, AuditOutcome.DENIED, tenant, keyId, version,
                        "refused (status 409): " + needed + " archived segments still need it");
                return new Reply(409, Map.of("error", needed + " archived segments still need " + keyId + " version " + version
                        + "; rewrap them first"));
            }
            Kmses.await(kms.disable(keyId, version), kmsTimeout);
            publisher.publish(tenant, keyId, Kmses.await(kms.describe(keyId), kmsTimeout), "disabled by " + caller);
            return new Reply(200, Map.of("tenant", tenant, "version", version, "state", "DISABLED"));
        }
        if (method.equals("GET") && path.equals("/v1/requests")) {
            if (!allowed(caller, Principals.Role.AUDITOR, Principals.Role.OPERATOR, Principals.Role.SECURITY_OFFICER)) {
                return denied(caller, "read requests", Principals.Role.AUDITOR);
            }
            return new Reply(200, dualControl.all());
        }
        if (method.equals("POST") && path.equals("/v1/requests")) {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            String named = body.path("action").asText();
            DualControl.Action action = Arrays.stream(DualControl.Action.values()).filter(a -> a.name().equals(named))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("action must be one of "
                            + List.of(DualControl.Action.values()) + ", got '" + named + "'"));
            String tenant = body.path("tenant").asText();
            if (!tenants.contains(tenant)) {
                throw new IllegalArgumentException("unknown tenant '" + tenant + "' (not in coordinator.tenants)");
            }
            String version = body.hasNonNull("version") ? body.get("version").asText() : null;
            try {
                DualControl.Request r = dualControl.request(action, tenant, version, body.path("reason").asText(""), caller,
                        clock.instant());
                kms.recordFor(caller, AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, kms.keyIdFor(tenant), version,
                        "dual-control request " + r.id() + ": " + action + " (" + r.reason() + ")");
                return new Reply(201, r);
            } catch (SecurityException e) {
                return denied(caller, "request " + action, Principals.Role.OPERATOR, Principals.Role.SECURITY_OFFICER);
            }
        }
        if (method.equals("POST") && (m = APPROVE.matcher(path)).matches()) {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            boolean lockedBefore = principals.isLocked(caller);
            DualControl.Outcome outcome = dualControl.approve(m.group(1), caller, body.path("totp").asText(null), clock.instant());
            DualControl.Request r = outcome.request();
            String tenant = r == null ? null : r.tenant();
            kms.recordFor(caller, AuditAction.OTHER, outcome.accepted() ? AuditOutcome.SUCCESS : AuditOutcome.DENIED, tenant,
                    tenant == null ? null : kms.keyIdFor(tenant), r == null ? null : r.version(),
                    "approval of request " + m.group(1) + ": " + outcome.message() + (outcome.accepted() ? "" : " (status 403)"));
            auditLock(caller, lockedBefore, "approval of request " + m.group(1));
            if (!outcome.accepted()) {
                return new Reply(403, Map.of("error", outcome.message()));
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("request", r);
            result.put("message", outcome.message());
            if (outcome.complete()) {
                result.put("executed", execute(r, caller));
            }
            return new Reply(200, result);
        }
        if (method.equals("POST") && (m = UNLOCK.matcher(path)).matches()) {
            String name = m.group(1);
            if (!allowed(caller, Principals.Role.SECURITY_OFFICER)) {
                return denied(caller, "unlock " + name, Principals.Role.SECURITY_OFFICER);
            }
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            boolean lockedBefore = principals.isLocked(caller);
            try {
                String done = principals.unlock(name, caller, body.path("totp").asText(null), clock.instant());
                kms.recordFor(caller, AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null, "unlock " + name + ": " + done);
                return new Reply(200, Map.of("message", done));
            } catch (SecurityException e) {
                kms.recordFor(caller, AuditAction.OTHER, AuditOutcome.DENIED, null, null, null,
                        "unlock " + name + ": refused (status 403): " + e.getMessage());
                auditLock(caller, lockedBefore, "unlock of " + name);
                return new Reply(403, Map.of("error", e.getMessage()));
            }
        }
        return new Reply(404, Map.of("error", "no such endpoint: " + method + " " + path));
    }

    /** Carries out an approved request. */
    private String execute(DualControl.Request r, String lastApprover) {
        String keyId = kms.keyIdFor(r.tenant());
        Instant when = clock.instant().plus(policies.apply(r.tenant()).destroyWait());
        String service = r.action() == DualControl.Action.ENABLE_VERSION ? null : ServiceKeys.protectedBecause(r.tenant());
        String done = service != null ? "refused: " + service : switch (r.action()) {
            case ENABLE_VERSION -> {
                Kmses.await(kms.enable(keyId, r.version()), kmsTimeout);
                yield "version " + r.version() + " enabled";
            }
            case DESTROY_VERSION -> {
                int needed = Rewrap.needing(references.apply(r.tenant()), keyId, r.version());
                if (needed > 0) {
                    yield "refused: " + needed + " archived segments still need version " + r.version() + "; rewrap them, then request again";
                }
                Kmses.await(kms.scheduleDestroy(keyId, r.version(), when, r.destroyApproval()), kmsTimeout);
                yield "version " + r.version() + " will be destroyed at " + when;
            }
            case SHRED_TENANT -> {
                rotator.rotateNow(r.tenant(), "crypto-shredding"); // a fresh primary that protects nothing
                List<String> versions = new ArrayList<>();
                for (KeyVersion v : Kmses.await(kms.describe(keyId), kmsTimeout)) {
                    if (!v.primary() && v.state() != KeyState.DESTROYED) {
                        Kmses.await(kms.scheduleDestroy(keyId, v.version(), when, r.destroyApproval()), kmsTimeout);
                        versions.add(v.version());
                    }
                }
                yield "tenant " + r.tenant() + " shredded at " + when + ": versions " + versions + " will be destroyed";
            }
        };
        publisher.publish(r.tenant(), keyId, Kmses.await(kms.describe(keyId), kmsTimeout), r.action() + " approved");
        kms.recordFor(lastApprover, r.action() == DualControl.Action.ENABLE_VERSION ? AuditAction.ENABLE_KEY
                : AuditAction.SCHEDULE_DESTROY, done.startsWith("refused") ? AuditOutcome.DENIED : AuditOutcome.SUCCESS,
                r.tenant(), keyId, r.version(), "request " + r.id() + " (" + String.join(", ", r.approvals()) + "): " + done);
        return done;
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
