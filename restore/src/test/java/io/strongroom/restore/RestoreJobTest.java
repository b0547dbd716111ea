package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RestoreJobTest {
    @Test
    void tableFilterAcceptsQualifiedAndBareNames() {
        assertThat(RestoreJob.matches(null, "public.orders")).isTrue();
        assertThat(RestoreJob.matches("orders", "public.orders")).isTrue();
        assertThat(RestoreJob.matches("public.orders", "public.orders")).isTrue();
        assertThat(RestoreJob.matches("order", "public.orders")).isFalse();
    }
}
