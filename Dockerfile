# The tempora daemon in a container: built in a Rust image, run in a small
# Debian one as a user of its own, under tini (PID 1 reaps the processes
# jobs leave behind and passes SIGTERM on).
#
#   docker build -t tempora .
#   docker run -d --name tempora -v tempora-data:/var/lib/tempora \
#       -v ./tempora.toml:/etc/tempora/tempora.toml:ro tempora
#   docker kill --signal HUP tempora     # reload the configuration
#
# docs/install.md says more.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tempora-cli \
    && install -D target/release/tempora /out/tempora

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/tempora --shell /usr/sbin/nologin tempora \
    && install -d -o tempora -g tempora -m 0750 /var/lib/tempora \
    && install -d -m 0755 /etc/tempora
COPY --from=build /out/tempora /usr/bin/tempora
COPY crates/tempora-cli/debian/tempora.toml /etc/tempora/tempora.toml
USER tempora
WORKDIR /var/lib/tempora
VOLUME ["/var/lib/tempora"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/tempora"]
CMD ["run", "--config", "/etc/tempora/tempora.toml"]
