# syntax=docker/dockerfile:1
# gumdash: build with `docker build -t gumdash .`, or run the whole stack with `docker compose up`.

FROM rust:1-bookworm AS builder
WORKDIR /src
# No database is reachable while building (gumdash uses no compile-time-checked query! macros).
ENV SQLX_OFFLINE=true
COPY . .
# Cache mounts keep the registry and the build between image builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gumdash \
    && cp target/release/gumdash /usr/local/bin/gumdash

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin gumdash
WORKDIR /app
# Templates, migrations and the stylesheet are compiled into the binary: it is all we ship.
COPY --from=builder /usr/local/bin/gumdash /usr/local/bin/gumdash
USER gumdash
ENV GUMDASH_LISTEN_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["gumdash"]
CMD ["serve"]
