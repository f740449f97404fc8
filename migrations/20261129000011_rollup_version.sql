-- A stamp of each creator's rollups, for caches of figures computed from them (the overview).
--
-- Every change to a sale passes through its creator's all-time totals (`sales_totals`, kept by the
-- sales trigger), so every write to a totals row takes a new number from one sequence. The greatest
-- number among a creator's rows then changes whenever any of their rollups does, and never comes back:
-- a row rebuilt or re-inserted takes a new number too.
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
