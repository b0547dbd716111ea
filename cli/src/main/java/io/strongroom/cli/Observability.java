package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.strongroom.cli.config.StrongroomConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} (Prometheus text format: every Strongroom meter, the Kafka clients' — consumer lag
 * included — and the JVM's) and {@code GET /health} (JSON; 200 when up, 503 when not) of one service
 * process, on {@code metrics.bind}:{@code metrics.base-port} + the service's offset. Read-only; no
 * secrets in either.
 */
final class Observability implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Observability.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A service's health.
     *
     * @param up whether it does its work
     * @param details what the answer is based on
     */
    record Health(boolean up, Map<String, Object> details) {}

    /** Offsets from {@code metrics.base-port}, one per service, so that all of them fit on one host. */
    static final Map<String, Integer> OFFSETS = Map.of("ingest", 1, "encryptor", 2, "archiver", 3, "coordinator", 4, "anomaly", 5);

    private final HttpServer server;
    private final PrometheusMeterRegistry registry;

    private Observability(HttpServer server, PrometheusMeterRegistry registry) {
        this.server = server;
        this.registry = registry;
    }

    /**
     * Starts the endpoints of {@code service}, or returns null if {@code metrics.enabled} is false.
     *
     * @param port the port, or null for {@code metrics.base-port} + the service's offset; 0 for any free port
     */
    static Observability start(StrongroomConfig c, String service, Integer port, Supplier<Health> health) {
        return start(c, service, port, health, null);
    }

    /** As above, also serving {@code GET /status}: {@code statusPage} renders an HTML page (the coordinator's). */
    static Observability start(StrongroomConfig c, String service, Integer port, Supplier<Health> health,
            Supplier<String> statusPage) {
        if (!c.metrics().enabled()) {
            return null;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("service", service, "environment", c.environment());
        Metrics.addRegistry(registry); // meters already in the global registry are added to it too
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        int p = port != null ? port : c.metrics().basePort() + OFFSETS.getOrDefault(service, 0);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(c.metrics().bind(), p), 16);
        } catch (IOException e) {
            Metrics.removeRegistry(registry);
            throw new IllegalStateException("cannot serve /metrics and /health of " + service + " on " + c.metrics().bind() + ":"
                    + p + " (" + e.getMessage() + "); choose another with --metrics-port or metrics.base-port", e);
        }
        server.createContext("/metrics", ex -> {
            if (methodOk(ex)) {
                respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/health", ex -> {
            if (methodOk(ex)) {
                Health h;
                try {
                    h = health.get();
                } catch (RuntimeException e) {
                    h = new Health(false, Map.of("error", String.valueOf(e.getMessage())));
                }
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("service", service);
                body.put("status", h.up() ? "UP" : "DOWN");
                body.putAll(h.details());
                respond(ex, h.up() ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
            }
        });
        if (statusPage != null) {
            server.createContext("/status", ex -> {
                if (methodOk(ex)) {
                    String page;
                    int status = 200;
                    try {
                        page = statusPage.get();
                    } catch (RuntimeException e) {
                        status = 500;
                        page = "<!DOCTYPE html><html><body><h1>Status unavailable</h1><p>" + Html.esc(e.getMessage())
                                + "</p></body></html>";
                    }
                    respond(ex, status, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
                }
            });
        }
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "strongroom-" + service + "-metrics");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        LOG.atInfo().addKeyValue("service", service).addKeyValue("address", server.getAddress())
                .log("serving /metrics and /health");
        return new Observability(server, registry);
    }

    /** The port it listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    private static boolean methodOk(HttpExchange ex) throws IOException {
        if ("GET".equals(ex.getRequestMethod()) || "HEAD".equals(ex.getRequestMethod())) {
            return true;
        }
        ex.getResponseHeaders().add("Allow", "GET, HEAD");
        respond(ex, 405, "text/plain", "only GET\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
        ex.close();
    }

    /** Health of a Kafka Streams app: up while it runs or rebalances. */
    static Health streams(KafkaStreams.State state) {
        boolean up = state == KafkaStreams.State.RUNNING
                || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.CREATED;
        return new Health(up, Map.of("streams", state.name()));
    }

    @Override
    public void close() {
        server.stop(0);
        Metrics.removeRegistry(registry);
        registry.close();
    }
}
