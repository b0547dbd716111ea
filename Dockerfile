# One image for every Strongroom service: docker run strongroom <subcommand> --config /etc/strongroom/strongroom.yaml
# It ships the production jar only (cli/target/strongroom.jar: no embedded Kafka broker, S3Proxy, Scala or test
# library); demo and local are in the sandbox jar, which ./strongroom runs from a clone.
FROM maven:3.9.11-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -Dmaven.test.skip=true install -pl cli -am

FROM eclipse-temurin:17.0.16_8-jre
RUN useradd --system --uid 10001 --home /var/lib/strongroom strongroom \
 && mkdir -p /var/lib/strongroom/kms /var/lib/strongroom/identity /etc/strongroom \
 && chown -R strongroom /var/lib/strongroom
COPY --from=build /src/cli/target/strongroom.jar /opt/strongroom/strongroom.jar
COPY deploy/strongroom.compose.yaml /etc/strongroom/strongroom.yaml
USER strongroom
WORKDIR /var/lib/strongroom
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/strongroom/strongroom.jar"]
CMD ["--help"]
