package io.strongroom.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a command opened, closed in the reverse order it was opened (the status page before the service, the service
 * before the KMS it uses), each once; a resource that fails to close is reported on stderr and the rest are still
 * closed. The one cleanup path of the commands: {@link #add} each resource as it is opened, and close this on every
 * way out, a failed start included.
 */
final class Resources implements AutoCloseable {
    private final String name;
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    /** @param name the command, as stderr names it ("strongroom {name}: error while stopping …") */
    Resources(String name) {
        this.name = name;
    }

    /** Registers {@code resource} (null: nothing) to be closed before everything added earlier; returns it. */
    synchronized <T extends AutoCloseable> T add(T resource) {
        if (resource != null) {
            opened.push(resource);
        }
        return resource;
    }

    @Override
    public synchronized void close() {
        while (!opened.isEmpty()) {
            AutoCloseable r = opened.pop();
            try {
                r.close();
            } catch (Exception e) {
                System.err.println("strongroom " + name + ": error while stopping: " + e.getMessage());
            } catch (Error e) { // still close the rest (an OOM, say), then let it go on
                close();
                throw e;
            }
        }
    }
}
