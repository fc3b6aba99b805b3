# aad-setup in a container, for pipelines that run their steps in one:
#
#   docker run --rm -e AZURE_TENANT_ID -e AZURE_CLIENT_ID -e AZURE_CLIENT_SECRET \
#     -e CATALYTIC_TOKEN ghcr.io/OWNER/aad-setup:latest setup --output json
#
# Build stage: the static musl binary (Alpine's Rust targets musl, and links
# it statically). Final stage: distroless "static" (CA certificates, tzdata,
# /etc/passwd with a non-root user, nothing else: no shell).
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && cp target/release/aad-setup /aad-setup \
 && /aad-setup --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /aad-setup /usr/local/bin/aad-setup
# The state (what a run created, for the next run) under the user's home;
# mount a volume at /home/nonroot/.local/state to keep it between runs.
USER nonroot:nonroot
ENV AAD_SETUP_NO_INPUT=true
ENTRYPOINT ["/usr/local/bin/aad-setup"]
CMD ["--help"]
