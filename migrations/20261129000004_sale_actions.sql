-- Sale actions (issue 8): single-use idempotency keys for the forms that change a sale at Gumroad,
-- the "to ship" filter's index, and the sale history read from the audit log.

-- One key per rendered form. Claiming it (setting used_at) is one conditional UPDATE, so a double
-- click, a refresh or a replayed form reaches Gumroad at most once.
CREATE TABLE action_keys (
    creator_id  BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    sale_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at     TIMESTAMPTZ,
    -- 'done', 'refused' or 'unknown' (sent, answer lost) once used.
    outcome     TEXT,
    PRIMARY KEY (creator_id, key),
    CHECK (outcome IN ('done', 'refused', 'unknown'))
);
-- Unused keys older than a day are dropped when new ones are issued.
CREATE INDEX action_keys_unused ON action_keys (created_at) WHERE used_at IS NULL;

-- "To ship": physical sales not yet shipped, newest first (as the other state filters).
CREATE INDEX sales_to_ship_page ON sales (creator_id, created_at DESC, id DESC)
    WHERE is_physical AND NOT shipped;

-- A sale's history: its audited actions, newest first.
CREATE INDEX audit_events_sale ON audit_events (creator_id, (detail ->> 'sale_id'), at DESC)
    WHERE detail ? 'sale_id';
