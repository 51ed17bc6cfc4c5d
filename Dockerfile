# wxgate in a container: one static (musl) binary on an empty image, run as a non-root user. Needs BuildKit
# (Docker's default builder since 23.0; DOCKER_BUILDKIT=1 before).
#
#   docker build -t wxgate .
#   docker run -p 8080:80 -e WXGATE_TOKEN=… -e WXGATE_APPID=wx… -v wxgate-data:/data wxgate
#
# Configured by environment alone (README: "Deploy with Docker / Kubernetes"). Listens on 0.0.0.0:80, as WeChat
# Cloud Hosting expects; keeps its SQLite store in the volume /data.

# ---- build: a static binary for the builder's architecture (x86_64 or aarch64) ----
FROM rust:1-bookworm AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*

# The C parts (bundled SQLite, mimalloc, ring) are compiled with musl-gcc.
RUN case "$(uname -m)" in \
        x86_64) echo x86_64-unknown-linux-musl ;; \
        aarch64) echo aarch64-unknown-linux-musl ;; \
        *) echo "unsupported architecture: $(uname -m)" >&2; exit 1 ;; \
    esac > /rust-target \
 && rustup target add "$(cat /rust-target)"
ENV CC_x86_64_unknown_linux_musl=musl-gcc \
    CC_aarch64_unknown_linux_musl=musl-gcc \
    CARGO_PROFILE_RELEASE_STRIP=symbols

# What the empty image needs besides the binary: a user (nonroot, uid 65532, as in distroless), CA certificates,
# /tmp (in /out/root), and /data for the nonroot user (in /out/data-root).
RUN mkdir -p /out/root/etc/ssl/certs /out/root/tmp /out/data-root/data \
 && echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > /out/root/etc/passwd \
 && echo 'nonroot:x:65532:' > /out/root/etc/group \
 && cp /etc/ssl/certs/ca-certificates.crt /out/root/etc/ssl/certs/ \
 && chmod 1777 /out/root/tmp

WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    target="$(cat /rust-target)" \
 && cargo build --release --locked -p wxgate --target "$target" \
 && cp "target/$target/release/wxgate" /out/root/wxgate \
 && if readelf -d /out/root/wxgate | grep -q NEEDED; then echo "wxgate is not static" >&2; exit 1; fi

# ---- run ----
FROM scratch

# /wxgate, /etc/passwd, /etc/group, the CA certificates, /tmp.
COPY --from=build /out/root/ /
# /data, the store's volume, owned by the nonroot user.
COPY --from=build --chown=65532:65532 /out/data-root/ /
# The example configs and their media, for WXGATE_CONFIG=examples/cloud.toml (paths are relative to /app).
WORKDIR /app
COPY examples/*.toml examples/
COPY examples/assets examples/assets

ENV WXGATE_LISTEN=0.0.0.0:80 \
    WXGATE_STORE=/data/wxgate.sqlite
USER 65532:65532
EXPOSE 80
VOLUME /data
# Probes: GET /healthz (alive), GET /readyz (ready for traffic). SIGTERM drains and exits 0.
ENTRYPOINT ["/wxgate", "serve"]
