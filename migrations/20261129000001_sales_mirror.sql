-- The local mirror of each creator's Gumroad sales, its per-day rollups, and the sync's checkpoints.
-- Every table here is tenant-owned: its key leads with creator_id (see docs in README, "Sales mirror").

-- Days in filters and rollups are the creator's days. Gumroad's /v2/user does not say the zone; the sync
-- derives an offset from the sales' `daystamp` ('derived') until the creator picks one ('chosen').
ALTER TABLE creators ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE creators ADD COLUMN time_zone_source TEXT NOT NULL DEFAULT 'default'
    CHECK (time_zone_source IN ('default', 'derived', 'chosen'));

-- Substring search over buyers' emails and names.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE sales (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    -- Our own id: the keyset tie-breaker after created_at (Gumroad's numeric id is obfuscated).
    id                  BIGINT GENERATED ALWAYS AS IDENTITY,
    gumroad_id          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    -- created_at's date in the creator's time zone: the rollup day.
    day                 DATE NOT NULL,
    product_id          TEXT NOT NULL,
    product_name        TEXT NOT NULL,
    -- Buyers' personal data: shown only to this creator, deleted with the creator.
    email               TEXT,
    full_name           TEXT,
    -- Gumroad's `price` and `gumroad_fee`: USD cents, whatever the product's currency.
    price_usd_cents     BIGINT NOT NULL,
    fee_usd_cents       BIGINT,
    -- What the buyer paid, in the product's currency (minor units), read from `formatted_display_price`
    -- and `currency_symbol`; NULL when Gumroad's text could not be read (the USD figure still counts).
    currency            TEXT,
    amount_cents        BIGINT,
    -- `amount_refundable_in_currency`, in minor units.
    refundable_cents    BIGINT,
    -- Refunded so far, in the product's currency and (proportionally) in USD cents.
    refunded_cents      BIGINT NOT NULL DEFAULT 0,
    refunded_usd_cents  BIGINT NOT NULL DEFAULT 0,
    quantity            INTEGER NOT NULL DEFAULT 1,
    refunded            BOOLEAN NOT NULL DEFAULT false,
    partially_refunded  BOOLEAN NOT NULL DEFAULT false,
    disputed            BOOLEAN NOT NULL DEFAULT false,
    dispute_won         BOOLEAN NOT NULL DEFAULT false,
    chargedback         BOOLEAN NOT NULL DEFAULT false,
    order_id            BIGINT,
    offer_code          TEXT,
    variants            TEXT,
    country             TEXT,
    referrer            TEXT,
    subscription_id     TEXT,
    license_key         TEXT,
    is_physical         BOOLEAN NOT NULL DEFAULT false,
    shipped             BOOLEAN NOT NULL DEFAULT false,
    -- Everything Gumroad sent (less the relative `timestamp` text), so new fields need no re-sync.
    raw                 JSONB NOT NULL,
    first_seen_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (creator_id, id),
    UNIQUE (creator_id, gumroad_id)
);
-- Keyset pages, newest first, all sales and per product. A page picks its 50 ids from an index alone
-- (the buyer columns are included so a search is checked without visiting the table), then reads
-- those 50 rows.
CREATE INDEX sales_page ON sales (creator_id, created_at DESC, id DESC) INCLUDE (email, full_name);
CREATE INDEX sales_product_page ON sales (creator_id, product_id, created_at DESC, id DESC);
-- Rare states, so their filters stay index scans.
CREATE INDEX sales_refunded_page ON sales (creator_id, created_at DESC, id DESC)
    WHERE refunded OR partially_refunded;
CREATE INDEX sales_disputed_page ON sales (creator_id, created_at DESC, id DESC)
    WHERE disputed OR chargedback;
CREATE INDEX sales_free_page ON sales (creator_id, created_at DESC, id DESC)
    WHERE price_usd_cents = 0;
-- Any part of an email or a name, case-insensitive.
CREATE INDEX sales_buyer_search ON sales
    USING gin ((lower(coalesce(email, '') || ' ' || coalesce(full_name, ''))) gin_trgm_ops);

-- Per-day rollups, kept by the trigger below in the same transaction as every sale write, so totals and
-- charts never scan `sales`. Amounts of different currencies are never added: currency is part of the key.
CREATE TABLE sales_daily (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    day                 DATE NOT NULL,
    product_id          TEXT NOT NULL,
    -- '' when the sale's currency could not be read.
    currency            TEXT NOT NULL,
    -- Sales.
    sales_count                     BIGINT NOT NULL DEFAULT 0,
    -- What buyers paid, in the currency's smallest unit.
    gross_cents                     BIGINT NOT NULL DEFAULT 0,
    -- Gumroad's USD figure for the same sales.
    gross_usd_cents                 BIGINT NOT NULL DEFAULT 0,
    -- Sales refunded in full or in part...
    refunded_count                  BIGINT NOT NULL DEFAULT 0,
    -- ...how much of them was refunded...
    refunded_cents                  BIGINT NOT NULL DEFAULT 0,
    refunded_usd_cents              BIGINT NOT NULL DEFAULT 0,
    -- ...and what those sales were worth (the refunded filter's totals).
    refunded_sales_gross_cents      BIGINT NOT NULL DEFAULT 0,
    refunded_sales_gross_usd_cents  BIGINT NOT NULL DEFAULT 0,
    -- Disputed or charged back sales, their worth and their refunds (the disputed filter's totals).
    disputed_count                  BIGINT NOT NULL DEFAULT 0,
    disputed_gross_cents            BIGINT NOT NULL DEFAULT 0,
    disputed_gross_usd_cents        BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_cents         BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_usd_cents     BIGINT NOT NULL DEFAULT 0,
    -- Free sales.
    free_count                      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, day, product_id, currency)
);

-- Looking up one product's days, and the products a creator has sold.
CREATE INDEX sales_daily_product ON sales_daily (creator_id, product_id, day);

-- The same per day without the product: totals and long-range charts read one row per day and
-- currency, whatever the number of products.
CREATE TABLE sales_daily_all (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    day                 DATE NOT NULL,
    -- '' when the sale's currency could not be read.
    currency            TEXT NOT NULL,
    -- Sales.
    sales_count                     BIGINT NOT NULL DEFAULT 0,
    -- What buyers paid, in the currency's smallest unit.
    gross_cents                     BIGINT NOT NULL DEFAULT 0,
    -- Gumroad's USD figure for the same sales.
    gross_usd_cents                 BIGINT NOT NULL DEFAULT 0,
    -- Sales refunded in full or in part...
    refunded_count                  BIGINT NOT NULL DEFAULT 0,
    -- ...how much of them was refunded...
    refunded_cents                  BIGINT NOT NULL DEFAULT 0,
    refunded_usd_cents              BIGINT NOT NULL DEFAULT 0,
    -- ...and what those sales were worth (the refunded filter's totals).
    refunded_sales_gross_cents      BIGINT NOT NULL DEFAULT 0,
    refunded_sales_gross_usd_cents  BIGINT NOT NULL DEFAULT 0,
    -- Disputed or charged back sales, their worth and their refunds (the disputed filter's totals).
    disputed_count                  BIGINT NOT NULL DEFAULT 0,
    disputed_gross_cents            BIGINT NOT NULL DEFAULT 0,
    disputed_gross_usd_cents        BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_cents         BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_usd_cents     BIGINT NOT NULL DEFAULT 0,
    -- Free sales.
    free_count                      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, day, currency)
);

-- All time, per currency: the unfiltered sales list's totals in one row lookup.
CREATE TABLE sales_totals (
    creator_id          BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
        -- '' when the sale's currency could not be read.
    currency            TEXT NOT NULL,
    -- Sales.
    sales_count                     BIGINT NOT NULL DEFAULT 0,
    -- What buyers paid, in the currency's smallest unit.
    gross_cents                     BIGINT NOT NULL DEFAULT 0,
    -- Gumroad's USD figure for the same sales.
    gross_usd_cents                 BIGINT NOT NULL DEFAULT 0,
    -- Sales refunded in full or in part...
    refunded_count                  BIGINT NOT NULL DEFAULT 0,
    -- ...how much of them was refunded...
    refunded_cents                  BIGINT NOT NULL DEFAULT 0,
    refunded_usd_cents              BIGINT NOT NULL DEFAULT 0,
    -- ...and what those sales were worth (the refunded filter's totals).
    refunded_sales_gross_cents      BIGINT NOT NULL DEFAULT 0,
    refunded_sales_gross_usd_cents  BIGINT NOT NULL DEFAULT 0,
    -- Disputed or charged back sales, their worth and their refunds (the disputed filter's totals).
    disputed_count                  BIGINT NOT NULL DEFAULT 0,
    disputed_gross_cents            BIGINT NOT NULL DEFAULT 0,
    disputed_gross_usd_cents        BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_cents         BIGINT NOT NULL DEFAULT 0,
    disputed_refunded_usd_cents     BIGINT NOT NULL DEFAULT 0,
    -- Free sales.
    free_count                      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, currency)
);

-- Subtracts the old row's contribution and adds the new one's. It runs under the sale's row lock, so two
-- writers of the same sale cannot double-count, and an unchanged re-fetch (filtered out by the upsert's
-- WHERE) writes nothing. Removing a contribution only ever UPDATEs: when the creator is being deleted the
-- rollup rows may already be gone, and there is nothing to insert then. All time, then per day, then per
-- day and product: with the upsert's rows sorted by currency, day and product, every writer takes rollup
-- row locks in one order, so writers cannot deadlock each other.
CREATE FUNCTION sales_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE sales_totals SET
            sales_count = sales_count - 1,
            gross_cents = gross_cents - coalesce(OLD.amount_cents, 0),
            gross_usd_cents = gross_usd_cents - OLD.price_usd_cents,
            refunded_count = refunded_count - (OLD.refunded OR OLD.partially_refunded)::int,
            refunded_cents = refunded_cents - OLD.refunded_cents,
            refunded_usd_cents = refunded_usd_cents - OLD.refunded_usd_cents,
            refunded_sales_gross_cents = refunded_sales_gross_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            refunded_sales_gross_usd_cents = refunded_sales_gross_usd_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN OLD.price_usd_cents ELSE 0 END,
            disputed_count = disputed_count - (OLD.disputed OR OLD.chargedback)::int,
            disputed_gross_cents = disputed_gross_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            disputed_gross_usd_cents = disputed_gross_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.price_usd_cents ELSE 0 END,
            disputed_refunded_cents = disputed_refunded_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_cents ELSE 0 END,
            disputed_refunded_usd_cents = disputed_refunded_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_usd_cents ELSE 0 END,
            free_count = free_count - (OLD.price_usd_cents = 0)::int
        WHERE creator_id = OLD.creator_id AND currency = coalesce(OLD.currency, '');
        UPDATE sales_daily_all SET
            sales_count = sales_count - 1,
            gross_cents = gross_cents - coalesce(OLD.amount_cents, 0),
            gross_usd_cents = gross_usd_cents - OLD.price_usd_cents,
            refunded_count = refunded_count - (OLD.refunded OR OLD.partially_refunded)::int,
            refunded_cents = refunded_cents - OLD.refunded_cents,
            refunded_usd_cents = refunded_usd_cents - OLD.refunded_usd_cents,
            refunded_sales_gross_cents = refunded_sales_gross_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            refunded_sales_gross_usd_cents = refunded_sales_gross_usd_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN OLD.price_usd_cents ELSE 0 END,
            disputed_count = disputed_count - (OLD.disputed OR OLD.chargedback)::int,
            disputed_gross_cents = disputed_gross_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            disputed_gross_usd_cents = disputed_gross_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.price_usd_cents ELSE 0 END,
            disputed_refunded_cents = disputed_refunded_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_cents ELSE 0 END,
            disputed_refunded_usd_cents = disputed_refunded_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_usd_cents ELSE 0 END,
            free_count = free_count - (OLD.price_usd_cents = 0)::int
        WHERE creator_id = OLD.creator_id AND currency = coalesce(OLD.currency, '') AND day = OLD.day;
        UPDATE sales_daily SET
            sales_count = sales_count - 1,
            gross_cents = gross_cents - coalesce(OLD.amount_cents, 0),
            gross_usd_cents = gross_usd_cents - OLD.price_usd_cents,
            refunded_count = refunded_count - (OLD.refunded OR OLD.partially_refunded)::int,
            refunded_cents = refunded_cents - OLD.refunded_cents,
            refunded_usd_cents = refunded_usd_cents - OLD.refunded_usd_cents,
            refunded_sales_gross_cents = refunded_sales_gross_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            refunded_sales_gross_usd_cents = refunded_sales_gross_usd_cents - CASE WHEN OLD.refunded OR OLD.partially_refunded THEN OLD.price_usd_cents ELSE 0 END,
            disputed_count = disputed_count - (OLD.disputed OR OLD.chargedback)::int,
            disputed_gross_cents = disputed_gross_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN coalesce(OLD.amount_cents, 0) ELSE 0 END,
            disputed_gross_usd_cents = disputed_gross_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.price_usd_cents ELSE 0 END,
            disputed_refunded_cents = disputed_refunded_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_cents ELSE 0 END,
            disputed_refunded_usd_cents = disputed_refunded_usd_cents - CASE WHEN OLD.disputed OR OLD.chargedback THEN OLD.refunded_usd_cents ELSE 0 END,
            free_count = free_count - (OLD.price_usd_cents = 0)::int
        WHERE creator_id = OLD.creator_id AND currency = coalesce(OLD.currency, '') AND day = OLD.day AND product_id = OLD.product_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sales_totals AS d (creator_id, currency, sales_count, gross_cents, gross_usd_cents, refunded_count, refunded_cents, refunded_usd_cents, refunded_sales_gross_cents, refunded_sales_gross_usd_cents, disputed_count, disputed_gross_cents, disputed_gross_usd_cents, disputed_refunded_cents, disputed_refunded_usd_cents, free_count)
        VALUES (NEW.creator_id,
                coalesce(NEW.currency, ''),
                1,
                coalesce(NEW.amount_cents, 0),
                NEW.price_usd_cents,
                (NEW.refunded OR NEW.partially_refunded)::int,
                NEW.refunded_cents,
                NEW.refunded_usd_cents,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN NEW.price_usd_cents ELSE 0 END,
                (NEW.disputed OR NEW.chargedback)::int,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.price_usd_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_usd_cents ELSE 0 END,
                (NEW.price_usd_cents = 0)::int)
        ON CONFLICT (creator_id, currency) DO UPDATE SET
            sales_count = d.sales_count + EXCLUDED.sales_count,
            gross_cents = d.gross_cents + EXCLUDED.gross_cents,
            gross_usd_cents = d.gross_usd_cents + EXCLUDED.gross_usd_cents,
            refunded_count = d.refunded_count + EXCLUDED.refunded_count,
            refunded_cents = d.refunded_cents + EXCLUDED.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + EXCLUDED.refunded_usd_cents,
            refunded_sales_gross_cents = d.refunded_sales_gross_cents + EXCLUDED.refunded_sales_gross_cents,
            refunded_sales_gross_usd_cents = d.refunded_sales_gross_usd_cents + EXCLUDED.refunded_sales_gross_usd_cents,
            disputed_count = d.disputed_count + EXCLUDED.disputed_count,
            disputed_gross_cents = d.disputed_gross_cents + EXCLUDED.disputed_gross_cents,
            disputed_gross_usd_cents = d.disputed_gross_usd_cents + EXCLUDED.disputed_gross_usd_cents,
            disputed_refunded_cents = d.disputed_refunded_cents + EXCLUDED.disputed_refunded_cents,
            disputed_refunded_usd_cents = d.disputed_refunded_usd_cents + EXCLUDED.disputed_refunded_usd_cents,
            free_count = d.free_count + EXCLUDED.free_count;
        INSERT INTO sales_daily_all AS d (creator_id, day, currency, sales_count, gross_cents, gross_usd_cents, refunded_count, refunded_cents, refunded_usd_cents, refunded_sales_gross_cents, refunded_sales_gross_usd_cents, disputed_count, disputed_gross_cents, disputed_gross_usd_cents, disputed_refunded_cents, disputed_refunded_usd_cents, free_count)
        VALUES (NEW.creator_id,
                NEW.day,
                coalesce(NEW.currency, ''),
                1,
                coalesce(NEW.amount_cents, 0),
                NEW.price_usd_cents,
                (NEW.refunded OR NEW.partially_refunded)::int,
                NEW.refunded_cents,
                NEW.refunded_usd_cents,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN NEW.price_usd_cents ELSE 0 END,
                (NEW.disputed OR NEW.chargedback)::int,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.price_usd_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_usd_cents ELSE 0 END,
                (NEW.price_usd_cents = 0)::int)
        ON CONFLICT (creator_id, day, currency) DO UPDATE SET
            sales_count = d.sales_count + EXCLUDED.sales_count,
            gross_cents = d.gross_cents + EXCLUDED.gross_cents,
            gross_usd_cents = d.gross_usd_cents + EXCLUDED.gross_usd_cents,
            refunded_count = d.refunded_count + EXCLUDED.refunded_count,
            refunded_cents = d.refunded_cents + EXCLUDED.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + EXCLUDED.refunded_usd_cents,
            refunded_sales_gross_cents = d.refunded_sales_gross_cents + EXCLUDED.refunded_sales_gross_cents,
            refunded_sales_gross_usd_cents = d.refunded_sales_gross_usd_cents + EXCLUDED.refunded_sales_gross_usd_cents,
            disputed_count = d.disputed_count + EXCLUDED.disputed_count,
            disputed_gross_cents = d.disputed_gross_cents + EXCLUDED.disputed_gross_cents,
            disputed_gross_usd_cents = d.disputed_gross_usd_cents + EXCLUDED.disputed_gross_usd_cents,
            disputed_refunded_cents = d.disputed_refunded_cents + EXCLUDED.disputed_refunded_cents,
            disputed_refunded_usd_cents = d.disputed_refunded_usd_cents + EXCLUDED.disputed_refunded_usd_cents,
            free_count = d.free_count + EXCLUDED.free_count;
        INSERT INTO sales_daily AS d (creator_id, day, product_id, currency, sales_count, gross_cents, gross_usd_cents, refunded_count, refunded_cents, refunded_usd_cents, refunded_sales_gross_cents, refunded_sales_gross_usd_cents, disputed_count, disputed_gross_cents, disputed_gross_usd_cents, disputed_refunded_cents, disputed_refunded_usd_cents, free_count)
        VALUES (NEW.creator_id,
                NEW.day,
                NEW.product_id,
                coalesce(NEW.currency, ''),
                1,
                coalesce(NEW.amount_cents, 0),
                NEW.price_usd_cents,
                (NEW.refunded OR NEW.partially_refunded)::int,
                NEW.refunded_cents,
                NEW.refunded_usd_cents,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.refunded OR NEW.partially_refunded THEN NEW.price_usd_cents ELSE 0 END,
                (NEW.disputed OR NEW.chargedback)::int,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN coalesce(NEW.amount_cents, 0) ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.price_usd_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_cents ELSE 0 END,
                CASE WHEN NEW.disputed OR NEW.chargedback THEN NEW.refunded_usd_cents ELSE 0 END,
                (NEW.price_usd_cents = 0)::int)
        ON CONFLICT (creator_id, day, product_id, currency) DO UPDATE SET
            sales_count = d.sales_count + EXCLUDED.sales_count,
            gross_cents = d.gross_cents + EXCLUDED.gross_cents,
            gross_usd_cents = d.gross_usd_cents + EXCLUDED.gross_usd_cents,
            refunded_count = d.refunded_count + EXCLUDED.refunded_count,
            refunded_cents = d.refunded_cents + EXCLUDED.refunded_cents,
            refunded_usd_cents = d.refunded_usd_cents + EXCLUDED.refunded_usd_cents,
            refunded_sales_gross_cents = d.refunded_sales_gross_cents + EXCLUDED.refunded_sales_gross_cents,
            refunded_sales_gross_usd_cents = d.refunded_sales_gross_usd_cents + EXCLUDED.refunded_sales_gross_usd_cents,
            disputed_count = d.disputed_count + EXCLUDED.disputed_count,
            disputed_gross_cents = d.disputed_gross_cents + EXCLUDED.disputed_gross_cents,
            disputed_gross_usd_cents = d.disputed_gross_usd_cents + EXCLUDED.disputed_gross_usd_cents,
            disputed_refunded_cents = d.disputed_refunded_cents + EXCLUDED.disputed_refunded_cents,
            disputed_refunded_usd_cents = d.disputed_refunded_usd_cents + EXCLUDED.disputed_refunded_usd_cents,
            free_count = d.free_count + EXCLUDED.free_count;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sales_daily_apply AFTER INSERT OR UPDATE OR DELETE ON sales
    FOR EACH ROW EXECUTE FUNCTION sales_daily_apply();

-- The sync's state per creator: the backfill's progress, the high-water mark, the last outcome.
CREATE TABLE sync_states (
    creator_id              BIGINT PRIMARY KEY REFERENCES creators (id) ON DELETE CASCADE,
    -- none → planning → running → done.
    backfill                TEXT NOT NULL DEFAULT 'none'
                            CHECK (backfill IN ('none', 'planning', 'running', 'done')),
    backfill_started_at     TIMESTAMPTZ,
    backfill_finished_at    TIMESTAMPTZ,
    -- The first day with a sale (UTC), found by the backfill's search.
    history_starts_on       DATE,
    last_sync_at            TIMESTAMPTZ,
    last_reconcile_at       TIMESTAMPTZ,
    last_error              TEXT,
    last_error_at           TIMESTAMPTZ,
    -- Bumped by "Sync now", so its rate limit holds across instances.
    last_requested_at       TIMESTAMPTZ
);

-- A date range walked with Gumroad's cursor: after (inclusive) .. before (exclusive), UTC days. The cursor
-- is checkpointed after every page, so a killed worker resumes at the page it was on.
CREATE TABLE sync_windows (
    creator_id      BIGINT NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    purpose         TEXT NOT NULL CHECK (purpose IN ('backfill', 'incremental', 'reconcile')),
    after_day       DATE NOT NULL,
    before_day      DATE NOT NULL,
    page_key        TEXT,
    -- The oldest sale stored so far in this window (the walk goes newest first): progress for the page.
    reached_at      TIMESTAMPTZ,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'done', 'parked')),
    pages           INTEGER NOT NULL DEFAULT 0,
    sales_seen      INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (creator_id, id),
    CHECK (after_day < before_day)
);
CREATE INDEX sync_windows_open ON sync_windows (creator_id, purpose) WHERE state <> 'done';
