-- Tenants: one row per connected Gumroad account, keyed by Gumroad's numeric user id.
CREATE TABLE creators (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gumroad_user_id  TEXT NOT NULL UNIQUE,
    gumroad_external_id TEXT,
    name             TEXT NOT NULL,
    email            TEXT,
    avatar_url       TEXT,
    profile_url      TEXT,
    state            TEXT NOT NULL DEFAULT 'active'
                     CHECK (state IN ('active', 'needs_reconnect', 'disabled')),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_sign_in_at  TIMESTAMPTZ
);

-- The creator's Gumroad access token, only ever encrypted (see src/vault.rs).
-- One live connection per creator; signing in again replaces it.
CREATE TABLE gumroad_connections (
    creator_id       BIGINT PRIMARY KEY REFERENCES creators (id) ON DELETE CASCADE,
    token_ciphertext BYTEA NOT NULL,
    key_id           TEXT NOT NULL,
    format_version   SMALLINT NOT NULL,
    scopes           TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_ok_at       TIMESTAMPTZ,
    last_error       TEXT
);
CREATE INDEX gumroad_connections_key_id ON gumroad_connections (key_id);

-- Server-side sessions, so an operator can sign a creator out everywhere with one DELETE.
CREATE TABLE sessions (
    session_key TEXT PRIMARY KEY,
    creator_id  BIGINT REFERENCES creators (id) ON DELETE CASCADE,
    state       JSONB NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_creator_id ON sessions (creator_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Who did what, for the operator's audit log.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    creator_id  BIGINT REFERENCES creators (id) ON DELETE SET NULL,
    ip          TEXT,
    detail      JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_creator_at ON audit_events (creator_id, at DESC);
