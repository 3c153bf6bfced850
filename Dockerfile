# The tempora daemon in a container: built in a Rust image, run in a small
# Debian one as a user of its own, under tini (PID 1 reaps the processes
# jobs leave behind and passes SIGTERM on).
#
#   docker build -t tempora .
#   docker run -d --name tempora -v tempora-data:/var/lib/tempora \
#       -v ./tempora.toml:/etc/tempora/tempora.toml:ro tempora
#   docker kill --signal HUP tempora     # reload the configuration
#
# A binary built outside (cargo build --release -p tempora-cli, for a
# glibc no newer than the runtime image's) goes in without the Rust stage:
#
#   docker build --target prebuilt --build-arg BINARY=target/release/tempora -t tempora .
#
# The base images are build arguments (--build-arg RUST_IMAGE=...,
# RUNTIME_IMAGE=...), for a mirror or a local image. docs/install.md says
# more; `scripts/package docker` builds the image and checks it.

ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# What both images share: the runtime, the user, the example configuration.
# (Stages are in this order so that `--target prebuilt` builds no Rust
# stage, with BuildKit or without.)
FROM ${RUNTIME_IMAGE} AS runtime-base
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/tempora --shell /usr/sbin/nologin tempora \
    && install -d -o tempora -g tempora -m 0750 /var/lib/tempora \
    && install -d -m 0755 /etc/tempora
COPY crates/tempora-cli/debian/tempora.toml /etc/tempora/tempora.toml
WORKDIR /var/lib/tempora
VOLUME ["/var/lib/tempora"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/tempora"]
CMD ["run", "--config", "/etc/tempora/tempora.toml"]

# The image around a binary built outside, at BINARY in the build context.
# (The classic builder builds every stage before its target, this one too
# on the way to the default: without BINARY it copies nothing that stays.)
FROM runtime-base AS prebuilt
ARG BINARY
COPY ${BINARY:-Cargo.toml} /usr/bin/tempora
RUN [ -n "$BINARY" ] || rm /usr/bin/tempora
USER tempora

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tempora-cli \
    && install -D target/release/tempora /out/tempora

# The default target: the image around the binary built above.
FROM runtime-base AS runtime
COPY --from=build /out/tempora /usr/bin/tempora
USER tempora
