-- Online key rotation (issue 10): one row per run, so the operator sees its progress from any
-- instance. Only one run at a time holds the advisory lock (src/rotation.rs); a run that died is
-- marked interrupted by the next one.
CREATE TABLE key_rotations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The key every token is re-sealed with (the first of the ring of whoever ran it).
    target_key_id TEXT NOT NULL,
    -- `cli` or `job` (the operator's button enqueues a job; who pressed it is in the audit log).
    started_by    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
    -- Tokens sealed under other keys when the run started.
    total         BIGINT NOT NULL DEFAULT 0,
    rotated       BIGINT NOT NULL DEFAULT 0,
    -- Tokens that could not be opened with the ring (left as they were).
    unreadable    BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);

CREATE INDEX key_rotations_newest ON key_rotations (started_at DESC, id DESC);
