package io.strongroom.cli.config;

/** A configuration that cannot be used; its message is one line naming the file and the key. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
