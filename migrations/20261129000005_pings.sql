-- Gumroad pings (issue 7): each creator's ping URL, their resource subscriptions at Gumroad, and the
-- deliveries received. Every table is tenant-owned: keys lead with creator_id.

-- The ping URL is `<public url>/hooks/gumroad/<creator id>.<secret>`. Only the secret's SHA-256 is
-- kept; the receiver finds the row by the creator id in the URL (one key lookup, routed to one shard)
-- and compares hashes in constant time. The plaintext lives only in Gumroad's subscriptions.
CREATE TABLE webhook_endpoints (
    creator_id      BIGINT PRIMARY KEY REFERENCES creators (id) ON DELETE CASCADE,
    secret_sha256   BYTEA NOT NULL,
    -- 'pending' until subscribed; 'subscribed'; 'refused' (Gumroad refuses the URL, e.g. a localhost
    -- public URL); 'failed' (Gumroad or we failed; the scheduled sync keeps the mirror fresh meanwhile).
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'subscribed', 'refused', 'failed')),
    -- Gumroad's words, with the secret cut out.
    detail          TEXT,
    checked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Our subscription to each of the eight resources, as Gumroad last confirmed it.
CREATE TABLE webhook_subscriptions (
    creator_id      BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    resource_name   TEXT NOT NULL,
    gumroad_id      TEXT,
    state           TEXT NOT NULL CHECK (state IN ('subscribed', 'refused', 'failed')),
    detail          TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (creator_id, resource_name)
);

-- Pings received: no buyer data, only what identifies the object and how the ping was handled.
CREATE TABLE webhook_deliveries (
    creator_id      BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    resource_name   TEXT NOT NULL,
    -- The sale id (sale, refund, dispute, dispute_won) or subscription id (the others).
    object_id       TEXT,
    retry_count     INTEGER NOT NULL DEFAULT 0,
    -- 'queued' (a fetch-back job waits), then what the fetch-back found: 'updated', 'unchanged',
    -- 'not_found'; or 'ignored' (nothing to fetch back yet).
    outcome         TEXT NOT NULL,
    PRIMARY KEY (creator_id, id)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (creator_id, received_at DESC, id DESC);
CREATE INDEX webhook_deliveries_queued ON webhook_deliveries (creator_id, object_id) WHERE outcome = 'queued';
