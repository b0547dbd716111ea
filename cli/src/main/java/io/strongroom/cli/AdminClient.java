package io.strongroom.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.config.StrongroomConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Calls the coordinator's admin API as a named principal. */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The options every admin-API command takes. */
    static final class Options {
        @Option(names = "--principal", required = true, paramLabel = "NAME", description = "Who is calling (coordinator.principals).")
        String principal;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "File holding the principal's API token (default: $STRONGROOM_ADMIN_TOKEN).")
        Path tokenFile;

        @Option(names = "--admin-url", paramLabel = "URL",
                description = "The coordinator's admin API (default: http://<coordinator.admin-bind>:<coordinator.admin-port>).")
        String adminUrl;

        String token() throws IOException {
            if (tokenFile != null) {
                return Files.readString(tokenFile).strip();
            }
            String env = System.getenv("STRONGROOM_ADMIN_TOKEN");
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("give --token-file or set STRONGROOM_ADMIN_TOKEN");
            }
            return env.strip();
        }

        String url(StrongroomConfig c) {
            if (adminUrl != null) {
                return adminUrl;
            }
            if (c.coordinator().adminPort() == null) {
                throw new IllegalArgumentException("coordinator.admin-port is not set: give --admin-url");
            }
            return "http://" + c.coordinator().adminBind() + ":" + c.coordinator().adminPort();
        }
    }

    /** The answer: HTTP status and JSON body. */
    record Answer(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String error() {
            return body.path("error").asText("HTTP " + status);
        }
    }

    static Answer call(StrongroomConfig c, Options o, String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(o.url(c) + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + o.principal + ":" + o.token()).header("Content-Type", "application/json");
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        try {
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body()));
        } catch (ConnectException e) {
            throw new IllegalStateException("cannot reach the coordinator's admin API at " + o.url(c) + ": is the coordinator running?");
        }
    }
}
