-- A stamp of each creator's rollups, for caches of figures computed from them (the overview).
--
-- Every change to a sale passes through its creator's all-time totals (`sales_totals`, kept by the
-- sales trigger), so every write to a totals row takes a new, larger number from one sequence. The
-- sum of a creator's rows' numbers then grows with every commit that changes any of their rollups,
-- and never comes back (rows are only deleted when the creator is forgotten). Not the greatest
-- number: numbers are taken when a row is written, not when its transaction commits, so a page that
-- commits late with a smaller number (another currency's row) must still change the stamp.
CREATE SEQUENCE rollup_versions;

ALTER TABLE sales_totals ADD COLUMN version BIGINT NOT NULL DEFAULT nextval('rollup_versions');

CREATE FUNCTION sales_totals_new_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('rollup_versions');
    RETURN NEW;
END;
$$;

CREATE TRIGGER sales_totals_new_version BEFORE UPDATE ON sales_totals
    FOR EACH ROW EXECUTE FUNCTION sales_totals_new_version();
