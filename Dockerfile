# syntax=docker/dockerfile:1
# gumdash: build with `docker build -t gumdash .`, or run the whole stack with `docker compose up`.

FROM rust:1-bookworm AS builder
WORKDIR /src
# query! macros read the checked-in .sqlx/ data: no database is reachable while building.
ENV SQLX_OFFLINE=true
COPY . .
# Cache mounts keep the registry and the build between image builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gumdash \
    && cp target/release/gumdash /usr/local/bin/gumdash \
    && mkdir -p static

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin gumdash
WORKDIR /app
# Templates and migrations are compiled into the binary; static files are served from disk.
COPY --from=builder /usr/local/bin/gumdash /usr/local/bin/gumdash
COPY --from=builder /src/static/ /app/static/
USER gumdash
ENV GUMDASH_LISTEN_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["gumdash"]
CMD ["serve"]
