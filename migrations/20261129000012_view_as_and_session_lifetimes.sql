-- Issue 10, items 4 and 10.
--
-- An operator's "view as creator" for support: who, whom, why, until when, and how it ended. The
-- operator's own session keeps pointing at the operator; it only names the row here, and every
-- request checks the row (live while `ended_at` is NULL and `expires_at` is in the future), so the
-- one-hour limit and "End" hold on the server. Distributed with the creator it is about.
CREATE TABLE view_as_sessions (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    id                  BIGINT GENERATED ALWAYS AS IDENTITY,
    -- The operator, by creator id (no foreign key: a row of another tenant) and Gumroad id (the
    -- audit actor).
    operator_id         BIGINT NOT NULL,
    operator_gumroad_id TEXT NOT NULL,
    reason              TEXT NOT NULL,
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at          TIMESTAMPTZ NOT NULL,
    ended_at            TIMESTAMPTZ,
    -- `operator` (End), `expired`, `creator_unavailable` (disabled or needs reconnect meanwhile).
    ended_how           TEXT CHECK (ended_how IN ('operator', 'expired', 'creator_unavailable')),
    PRIMARY KEY (creator_id, id),
    CHECK ((ended_at IS NULL) = (ended_how IS NULL))
);
-- The sweep finds the ones that ran out without an "End".
CREATE INDEX view_as_sessions_open ON view_as_sessions (expires_at) WHERE ended_at IS NULL;

-- Session lifetimes enforced on the server: an absolute lifetime from `created_at` (the sign-in
-- renews the session, so a new row) and an idle timeout from `last_seen_at`, both checked on every
-- load against the configured limits; `expires_at` stays the row's hard end (and the sweep's key).
ALTER TABLE sessions
    ADD COLUMN created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
