# syntax=docker/dockerfile:1.7
# d360 in a container: a multi-stage build, a small non-root runtime image.
#
#   docker build -t d360 .
#   docker run --rm -v "$PWD:/work" -w /work d360 plan manifests/ --org local
#
# The build stage caches the crate registry and target folder (BuildKit cache mounts), so a
# rebuild after a source change recompiles only d360 itself.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# aws-lc-sys (the one crypto backend) compiles C: cmake and clang are not needed with its
# default cc builder on x86_64 and aarch64 Linux.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin d360 \
    && install -D -m 0755 target/release/d360 /out/d360

# distroless/cc: glibc, libgcc and CA certificates (TLS to Salesforce is always verified),
# no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/d360 /usr/local/bin/d360
USER nonroot:nonroot
WORKDIR /work
# `d360 watch --listen 0.0.0.0:9360` serves /metrics, /healthz, /readyz and /status here.
EXPOSE 9360
ENTRYPOINT ["/usr/local/bin/d360"]
CMD ["--help"]
