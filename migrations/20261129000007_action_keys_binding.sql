-- Sale-action keys are bound to what was confirmed (review finding 4): the change ('full' or
-- 'partial' for a refund; 'enable', 'disable' or 'decrement' for a license), the amount shown on a
-- refund's confirmation page, and when that page was rendered. A key is claimed only when all of
-- these match and it is younger than a day.
ALTER TABLE action_keys
    ADD COLUMN change       TEXT NOT NULL DEFAULT '',
    ADD COLUMN amount_cents BIGINT,
    ADD COLUMN reviewed_at  TIMESTAMPTZ;
