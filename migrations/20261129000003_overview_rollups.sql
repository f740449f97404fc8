-- The overview's breakdowns by country and by referrer, per day, so any range is a sum over a few rows
-- per day and never a scan of `sales`.

CREATE TABLE sales_daily_dims (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    day                 DATE NOT NULL,
    -- Which breakdown the row belongs to.
    dimension           TEXT NOT NULL CHECK (dimension IN ('country', 'referrer')),
    -- The country's name or the referrer as Gumroad sent them; '' when the sale had none.
    value               TEXT NOT NULL,
    -- '' when the sale's currency could not be read.
    currency            TEXT NOT NULL,
    sales_count         BIGINT NOT NULL DEFAULT 0,
    gross_cents         BIGINT NOT NULL DEFAULT 0,
    gross_usd_cents     BIGINT NOT NULL DEFAULT 0,
    refunded_cents      BIGINT NOT NULL DEFAULT 0,
    refunded_usd_cents  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, day, dimension, value, currency)
);

-- Statement-level triggers with transition tables, unlike the per-row `sales_daily_apply`: a sale's
-- country and referrer are not part of the order the upsert sorts its rows in, so per-row updates here
-- would lock these rows in an arbitrary order and two writers could deadlock. Each statement instead
-- applies its net change once, with rows locked in key order, after the per-row rollups: every writer
-- takes the per-row rollup locks first, then these in one global order.

-- Each sale's contribution to its two rows; `sign` is +1 for NEW rows and -1 for OLD ones.
CREATE FUNCTION sales_dims_contributions(sign INT, creator_id BIGINT, day DATE, country TEXT,
                                         referrer TEXT, currency TEXT, amount_cents BIGINT,
                                         price_usd_cents BIGINT, refunded_cents BIGINT,
                                         refunded_usd_cents BIGINT)
RETURNS TABLE (creator_id BIGINT, day DATE, dimension TEXT, value TEXT, currency TEXT,
               sales_count BIGINT, gross_cents BIGINT, gross_usd_cents BIGINT,
               refunded_cents BIGINT, refunded_usd_cents BIGINT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT $2, $3, d.dimension, coalesce(d.value, ''), coalesce($6, ''), $1::int8,
           $1 * coalesce($7, 0), $1 * $8, $1 * $9, $1 * $10
    FROM (VALUES ('country', $4), ('referrer', $5)) AS d (dimension, value)
$$;

CREATE FUNCTION sales_dims_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO sales_daily_dims AS d
        SELECT c.creator_id, c.day, c.dimension, c.value, c.currency, sum(c.sales_count),
               sum(c.gross_cents), sum(c.gross_usd_cents), sum(c.refunded_cents), sum(c.refunded_usd_cents)
        FROM new_rows n, sales_dims_contributions(1, n.creator_id, n.day, n.country, n.referrer, n.currency,
                                                  n.amount_cents, n.price_usd_cents, n.refunded_cents,
                                                  n.refunded_usd_cents) c
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (creator_id, day, dimension, value, currency) DO UPDATE SET
            sales_count = d.sales_count + EXCLUDED.sales_count,
            gross_cents = d.gross_cents + EXCLUDED.gross_cents,
            gross_usd_cents = d.gross_usd_cents + EXCLUDED.gross_usd_cents,
            refunded_cents = d.refunded_cents + EXCLUDED.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + EXCLUDED.refunded_usd_cents;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old rows' keys exist already, so a negative net change only ever updates.
        INSERT INTO sales_daily_dims AS d
        SELECT c.creator_id, c.day, c.dimension, c.value, c.currency, sum(c.sales_count),
               sum(c.gross_cents), sum(c.gross_usd_cents), sum(c.refunded_cents), sum(c.refunded_usd_cents)
        FROM (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) n,
             sales_dims_contributions(n.sign, n.creator_id, n.day, n.country, n.referrer, n.currency,
                                      n.amount_cents, n.price_usd_cents, n.refunded_cents,
                                      n.refunded_usd_cents) c
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(c.sales_count) <> 0 OR sum(c.gross_cents) <> 0 OR sum(c.gross_usd_cents) <> 0
            OR sum(c.refunded_cents) <> 0 OR sum(c.refunded_usd_cents) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (creator_id, day, dimension, value, currency) DO UPDATE SET
            sales_count = d.sales_count + EXCLUDED.sales_count,
            gross_cents = d.gross_cents + EXCLUDED.gross_cents,
            gross_usd_cents = d.gross_usd_cents + EXCLUDED.gross_usd_cents,
            refunded_cents = d.refunded_cents + EXCLUDED.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + EXCLUDED.refunded_usd_cents;
    ELSE
        -- Only ever UPDATE: when the creator is being deleted their rows may be gone already.
        UPDATE sales_daily_dims AS d SET
            sales_count = d.sales_count + x.sales_count,
            gross_cents = d.gross_cents + x.gross_cents,
            gross_usd_cents = d.gross_usd_cents + x.gross_usd_cents,
            refunded_cents = d.refunded_cents + x.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + x.refunded_usd_cents
        FROM (SELECT c.creator_id, c.day, c.dimension, c.value, c.currency,
                     sum(c.sales_count) AS sales_count, sum(c.gross_cents) AS gross_cents,
                     sum(c.gross_usd_cents) AS gross_usd_cents, sum(c.refunded_cents) AS refunded_cents,
                     sum(c.refunded_usd_cents) AS refunded_usd_cents
              FROM old_rows o, sales_dims_contributions(-1, o.creator_id, o.day, o.country, o.referrer,
                                                        o.currency, o.amount_cents, o.price_usd_cents,
                                                        o.refunded_cents, o.refunded_usd_cents) c
              GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5) x
        WHERE d.creator_id = x.creator_id AND d.day = x.day AND d.dimension = x.dimension
          AND d.value = x.value AND d.currency = x.currency;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sales_dims_insert AFTER INSERT ON sales
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_dims_apply();
CREATE TRIGGER sales_dims_update AFTER UPDATE ON sales
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_dims_apply();
CREATE TRIGGER sales_dims_delete AFTER DELETE ON sales
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_dims_apply();

-- Sales mirrored before this migration.
INSERT INTO sales_daily_dims
SELECT c.creator_id, c.day, c.dimension, c.value, c.currency, sum(c.sales_count), sum(c.gross_cents),
       sum(c.gross_usd_cents), sum(c.refunded_cents), sum(c.refunded_usd_cents)
FROM sales s, sales_dims_contributions(1, s.creator_id, s.day, s.country, s.referrer, s.currency,
                                       s.amount_cents, s.price_usd_cents, s.refunded_cents,
                                       s.refunded_usd_cents) c
GROUP BY 1, 2, 3, 4, 5;

-- The home page shows the stored profile instead of asking Gumroad on every view; the sync refreshes it
-- when it is older than an hour.
ALTER TABLE creators ADD COLUMN profile_refreshed_at TIMESTAMPTZ;
