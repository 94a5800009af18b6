# syntax=docker/dockerfile:1
#
# flaredns image: a release build on the Rust image, copied alone onto
# distroless `cc` (glibc and libgcc, no shell, no package manager), run as the
# image's unprivileged `nonroot` user. The chart runs it with a read-only root
# filesystem; flaredns writes nothing to disk.
#
#   docker build -t ghcr.io/flaredns/flaredns:v$(cargo pkgid | cut -d'#' -f2) .

ARG RUST_VERSION=1.89

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# What the build reads: the manifest, the sources, the guide's example (built
# into the binary for `flaredns sandbox`) and the bench target Cargo.toml names.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY examples ./examples
COPY benches ./benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin flaredns \
    && cp target/release/flaredns /flaredns

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /flaredns /flaredns
# The `nonroot` user of distroless, the same id the chart's securityContext sets.
USER 65532:65532
EXPOSE 7979
ENTRYPOINT ["/flaredns"]
