# syntax=docker/dockerfile:1
# logward container image: the one binary on a distroless runtime.
#
#   docker build -t logward .
#   docker run --rm -p 8080:8080 -e LOGWARD_DATABASE_URL=... logward          # serve
#   docker run --rm -e LOGWARD_DATABASE_URL=... logward migrate               # migrations only
#   docker run --rm -e LOGWARD_DATABASE_URL=... logward tenant list            # any CLI command
#
# The same image serves Kubernetes (deploy/helm/logward) and Lambda
# (template.yaml runs it with the command `lambda`).
#
# Probes: the runtime has no shell and no HTTP client, so the image declares
# no HEALTHCHECK. Whatever runs it probes over HTTP instead: GET /healthz
# (the process serves; liveness) and GET /readyz (database reachable and
# access rules fresh; readiness, 503 otherwise).
#
# The build stage's Debian release must match the runtime's (12, bookworm):
# the binary links against the build stage's glibc.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# sqlx's query macros must not try to reach a database while building; with
# SQLX_OFFLINE they use the checked-in .sqlx/ data instead.
ENV SQLX_OFFLINE=true
# The whole context (trimmed by .dockerignore) rather than a list of paths: it
# picks up .sqlx/, migrations and every target Cargo.toml names without this
# file having to track them.
COPY . .
# The caches keep the registry and compiled dependencies between builds; the
# binary is copied out because the target directory is a cache mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin logward \
    && install -m 0755 target/release/logward /usr/local/bin/logward

# glibc, libgcc (Rust's unwinder needs libgcc_s), CA certificates (rustls
# reads the system store) and tzdata; no shell, no package manager. The
# ":nonroot" variant's user is 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/logward /usr/local/bin/logward
USER 65532:65532
ENV LOGWARD_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/logward"]
CMD ["serve"]
