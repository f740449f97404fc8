-- The local mirror of each creator's membership subscribers (issue 7), as Gumroad's
-- `GET /v2/products/:id/subscribers` and `GET /v2/subscribers/:id` describe them (api-facts §6.8).
-- Tenant-owned: keys lead with creator_id.
--
-- Gumroad's subscriber carries no price or tier: the memberships pages read them from the
-- subscriber's latest charge in the sales mirror (`sales.subscription_id`), so a new charge or a plan
-- change shows as soon as the sale is mirrored.
CREATE TABLE subscribers (
    creator_id                      BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    -- Our own id: the keyset tie-breaker after created_at.
    id                              BIGINT GENERATED ALWAYS AS IDENTITY,
    gumroad_id                      TEXT NOT NULL,
    product_id                      TEXT NOT NULL,
    product_name                    TEXT NOT NULL,
    -- Buyers' personal data: shown only to this creator, never logged, deleted with the creator.
    email                           TEXT,
    user_id                         TEXT,
    user_email                      TEXT,
    purchase_ids                    TEXT[] NOT NULL DEFAULT '{}',
    created_at                      TIMESTAMPTZ NOT NULL,
    user_requested_cancellation_at  TIMESTAMPTZ,
    -- In the future while a cancelled subscriber's paid period runs out.
    cancelled_at                    TIMESTAMPTZ,
    ended_at                        TIMESTAMPTZ,
    failed_at                       TIMESTAMPTZ,
    free_trial_ends_at              TIMESTAMPTZ,
    charge_occurrence_count         BIGINT NOT NULL DEFAULT 0,
    recurrence                      TEXT,
    -- Gumroad's word when last fetched; whether one counts as active now is computed from the dates.
    status                          TEXT NOT NULL,
    license_key                     TEXT,
    raw                             JSONB NOT NULL,
    first_seen_at                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Last written with a change.
    updated_at                      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Last seen in Gumroad's active list or fetched on its own: a subscriber active here but not
    -- seen by a full walk of the lists has stopped, and is fetched on its own.
    checked_at                      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (creator_id, id),
    UNIQUE (creator_id, gumroad_id)
);
-- Keyset pages of the list, newest first; per product for the memberships summary.
CREATE INDEX subscribers_page ON subscribers (creator_id, created_at DESC, id DESC);
CREATE INDEX subscribers_product ON subscribers (creator_id, product_id);
CREATE INDEX subscribers_email_search ON subscribers USING gin ((lower(coalesce(email, ''))) gin_trgm_ops);

-- A subscriber's charges (their sales), newest first.
CREATE INDEX sales_subscription ON sales (creator_id, subscription_id, created_at DESC, id DESC)
    WHERE subscription_id IS NOT NULL;
