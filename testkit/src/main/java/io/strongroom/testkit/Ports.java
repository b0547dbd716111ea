package io.strongroom.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports, each handed out once per JVM. */
final class Ports {
    /**
     * Ports already handed out: the kernel may offer a port again as soon as the probe socket closes, so two calls in a
     * row (a broker's client and controller listeners) could otherwise get the same one.
     */
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {}

    static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free port", e);
            }
        }
        throw new IllegalStateException("no free loopback port not handed out before, after 100 tries");
    }
}
