# syntax=docker/dockerfile:1
# logward container image.
#
#   docker build -t logward .
#   docker run --rm -p 8080:8080 -e LOGWARD_DATABASE_URL=... logward
#
# The build stage's Debian release must match the runtime stage's: the binary
# links against the build stage's glibc.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# sqlx's query macros must not try to reach a database while building; with
# SQLX_OFFLINE they use the checked-in .sqlx/ data instead (if the project has any).
ENV SQLX_OFFLINE=true
# The whole context (trimmed by .dockerignore) rather than a list of paths: it
# picks up .sqlx/, build scripts and every target Cargo.toml names without this
# file having to track them.
COPY . .
# The caches keep the registry and compiled dependencies between builds; the
# binary is copied out because the target directory is a cache mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin logward \
    && install -m 0755 target/release/logward /usr/local/bin/logward

FROM debian:bookworm-slim
# ca-certificates: the gateway verifies TLS to AWS and any other HTTPS endpoint.
# Unpinned on purpose: the current CA bundle is the one wanted.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin logward
COPY --from=build /usr/local/bin/logward /usr/local/bin/logward
USER 10001:10001
ENV LOGWARD_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/logward"]
CMD ["serve"]
