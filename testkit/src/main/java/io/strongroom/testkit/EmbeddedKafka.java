package io.strongroom.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM on
 * loopback ports. Formats its own log directory and deletes it on {@link #close()} unless it was
 * given one to keep. First start in a JVM takes a few seconds; share one per test class or JVM.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private boolean closed;
    private final Path logDir;
    private final boolean ownsDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private final Map<String, Object> clientSecurity;

    private EmbeddedKafka(Path logDir, boolean ownsDir, KafkaRaftServer server, String bootstrapServers,
            Map<String, Object> clientSecurity) {
        this.logDir = logDir;
        this.ownsDir = ownsDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clientSecurity = clientSecurity;
    }

    /**
     * Starts a broker that authenticates clients (SASL/PLAIN, user names and passwords from {@code users}, which must
     * include {@code admin}) and authorizes every request with KRaft's {@code StandardAuthorizer}: only {@code admin}
     * is a super user, so any other user can do exactly what ACLs allow. {@link #admin()} and {@link #clientSecurity()}
     * act as {@code admin}. Broker-internal traffic uses loopback listeners of its own.
     */
    public static EmbeddedKafka startWithAcls(Path logDir, boolean deleteOnClose, Map<String, String> users) {
        if (!users.containsKey("admin")) {
            throw new IllegalArgumentException("users must include admin");
        }
        int clientPort = Ports.free();
        int internalPort = Ports.free();
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        users.forEach((u, pw) -> jaas.append(" user_").append(u).append("=\"").append(pw).append('"'));
        jaas.append(';');
        Map<String, String> p = new HashMap<>();
        p.put("listeners", "SASL_PLAINTEXT://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + internalPort
                + ",CONTROLLER://127.0.0.1:" + Ports.free());
        p.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + internalPort);
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("sasl.enabled.mechanisms", "PLAIN");
        p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.toString());
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:admin;User:ANONYMOUS"); // ANONYMOUS: the broker's own loopback listeners
        p.put("allow.everyone.if.no.acl.found", "false");
        return start(logDir, deleteOnClose, p, "127.0.0.1:" + clientPort, sasl("admin", users.get("admin")));
    }

    /** Client properties of {@code user} for a broker of {@link #startWithAcls}. */
    public static Map<String, Object> sasl(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
    }

    /**
     * Starts a broker whose only client listener is SSL, with {@code tls}'s certificate (the controller stays on a
     * loopback PLAINTEXT listener of its own).
     */
    public static EmbeddedKafka startTls(Path logDir, boolean deleteOnClose, TestTls tls) {
        int brokerPort = Ports.free();
        Map<String, String> ssl = new HashMap<>();
        ssl.put("listeners", "SSL://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + Ports.free());
        ssl.put("advertised.listeners", "SSL://127.0.0.1:" + brokerPort);
        ssl.put("inter.broker.listener.name", "SSL");
        ssl.put("listener.security.protocol.map", "SSL:SSL,CONTROLLER:PLAINTEXT");
        ssl.put("ssl.keystore.location", tls.keystore().toString());
        ssl.put("ssl.keystore.type", "PKCS12");
        ssl.put("ssl.keystore.password", tls.password());
        ssl.put("ssl.key.password", tls.password());
        ssl.put("ssl.truststore.location", tls.truststore().toString());
        ssl.put("ssl.truststore.type", "PKCS12");
        ssl.put("ssl.truststore.password", tls.password());
        ssl.put("ssl.endpoint.identification.algorithm", "https");
        return start(logDir, deleteOnClose, ssl, "127.0.0.1:" + brokerPort, tls.kafkaClientProperties());
    }

    /**
     * Starts a broker on fixed ports, keeping {@code logDir} (formatted once): a standalone broker that can be stopped
     * and started again with its data.
     */
    public static EmbeddedKafka startAt(Path logDir, int brokerPort, int controllerPort) {
        return start(logDir, false, Map.of("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:"
                + controllerPort, "advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort), "127.0.0.1:" + brokerPort, Map.of());
    }

    /** Starts a broker in a fresh temporary directory. */
    public static EmbeddedKafka start() {
        try {
            return start(Files.createTempDirectory("strongroom-kafka-"), true, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a broker.
     *
     * @param logDir its log directory (formatted here)
     * @param deleteOnClose whether {@link #close()} deletes {@code logDir}
     * @param overrides extra broker properties
     */
    public static EmbeddedKafka start(Path logDir, boolean deleteOnClose, Map<String, String> overrides) {
        return start(logDir, deleteOnClose, overrides, null, Map.of());
    }

    private static EmbeddedKafka start(Path logDir, boolean deleteOnClose, Map<String, String> overrides, String bootstrap,
            Map<String, Object> clientSecurity) {
        int brokerPort = Ports.free();
        int controllerPort = overrides.containsKey("listeners")
                ? Integer.parseInt(overrides.get("listeners").replaceAll(".*CONTROLLER://127.0.0.1:([0-9]+).*", "$1"))
                : Ports.free();
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir.toAbsolutePath().toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("num.partitions", "3");
        props.put("log.cleaner.dedupe.buffer.size", "2097152");
        props.put("log.segment.bytes", String.valueOf(16 * 1024 * 1024));
        // tests and the demo produce records with old timestamps: keep everything, whatever its age
        props.put("log.retention.ms", "-1");
        props.putAll(overrides);
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(logDir.resolve("meta.properties"))) { // a broker started again keeps its cluster id and data
                Path config = logDir.resolve("server.properties");
                try (OutputStream out = Files.newOutputStream(config)) {
                    props.store(out, "strongroom embedded kafka");
                }
                PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
                int rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(),
                    "-c", config.toString(), "--ignore-formatted"}, quiet);
                if (rc != 0) {
                    throw new IllegalStateException("formatting Kafka log dir " + logDir + " failed with " + rc);
                }
                Files.delete(config);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(logDir, deleteOnClose, server, bootstrap != null ? bootstrap : "127.0.0.1:" + brokerPort,
                clientSecurity);
        kafka.awaitReady(Duration.ofSeconds(60));
        return kafka;
    }

    private void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        try (Admin admin = admin()) {
            while (true) {
                Exception last = null;
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("embedded Kafka in " + logDir + " did not become ready in " + timeout, last);
                }
                Thread.sleep(100); // broker still starting: back off before asking again
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What a client needs besides {@code bootstrap.servers}: empty, or the SSL settings of a TLS broker. */
    public Map<String, Object> clientSecurity() {
        return clientSecurity;
    }

    /** {@code host:port} of the client listener (PLAINTEXT, or SSL for {@link #startTls}). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** A new admin client; close it. */
    public Admin admin() {
        Map<String, Object> props = new HashMap<>(clientSecurity);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    /** Creates topics (ignoring ones that exist) with replication factor 1. */
    public void createTopics(int partitions, String... names) {
        try (Admin admin = admin()) {
            List<NewTopic> topics = Stream.of(names).map(n -> new NewTopic(n, partitions, (short) 1)).toList();
            for (var f : admin.createTopics(topics).values().values()) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic: " + e.getCause().getMessage(), e);
                    }
                }
            }
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names of every topic, internal ones included. */
    public Set<String> topicNames() {
        try (Admin admin = admin()) {
            return admin.listTopics(new ListTopicsOptions().listInternal(true))
                    .names().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return; // tests stop the broker on purpose, then close everything
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (ownsDir) {
            Dirs.deleteRecursively(logDir);
        }
    }

}
