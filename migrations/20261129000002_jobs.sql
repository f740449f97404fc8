-- The background job queue, shared by every instance on this database (see src/jobs/).
-- A claim sets a lease (`locked_until`) instead of holding a transaction open through slow, rate-limited
-- Gumroad calls: a crashed instance's jobs come back when their lease runs out.
CREATE TABLE jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL,
    creator_id    BIGINT REFERENCES creators (id) ON DELETE CASCADE,
    payload       JSONB NOT NULL,
    -- At most one pending or running job per key (one incremental sync per creator, one job per window).
    dedupe_key    TEXT,
    -- Lower runs first: the newest sales before older history.
    priority      SMALLINT NOT NULL DEFAULT 5,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'failed')),
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts      INTEGER NOT NULL DEFAULT 0,
    locked_by     TEXT,
    locked_until  TIMESTAMPTZ,
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_runnable ON jobs (priority, run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_creator ON jobs (creator_id, state);

-- One Gumroad request budget across every instance: a token bucket refilled at the configured rate.
CREATE TABLE request_budgets (
    name         TEXT PRIMARY KEY,
    tokens       DOUBLE PRECISION NOT NULL,
    refilled_at  TIMESTAMPTZ NOT NULL
);
