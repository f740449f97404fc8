-- Storage per sale, for docs/scaling.md ("Storage per sale"). Not a benchmark of speed: it measures
-- bytes. Run against a scratch database that has every migration applied, for example:
--
--   psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE scaling_sizes"
--   for f in migrations/*.sql; do psql -h 127.0.0.1 -U postgres -d scaling_sizes -1 -q -f $f; done
--   flock /tmp/bench.lock psql -h 127.0.0.1 -U postgres -d scaling_sizes -f docs/scaling-sizes.sql
--   for t in sales sales_daily sales_daily_all sales_daily_dims sales_totals; do
--     psql -h 127.0.0.1 -U postgres -d scaling_sizes -c "VACUUM FULL ANALYZE $t"; done
--   (then the queries at the end of this file again, for the compact figures)
--   psql -h 127.0.0.1 -U postgres -c "DROP DATABASE scaling_sizes WITH (FORCE)"
--
-- 200,000 sales over 100 creators (one with 100,000 and 20 products, the rest 1/rank with 3 to 10
-- products), 400 days, through plain INSERTs so the real rollup triggers fill the rollups. `raw`
-- has the keys of a real Gumroad sale (api-facts §6.7: the main block without nulls, `card`,
-- `quantity`, empty `variants` and `custom_fields`), unlike the benches' loader (bench/load.rs),
-- whose `raw` has 19 keys and so understates the table.
INSERT INTO creators (gumroad_user_id, name)
SELECT (9000000000000 + g)::text, 'Size creator ' || g FROM generate_series(1, 100) g;

-- Sales per creator: creator 1 has 100,000; creators 2..100 share 100,000 by 1/rank.
CREATE TEMP TABLE plan AS
SELECT c.id AS creator_id,
       CASE WHEN r = 1 THEN 100000
            ELSE greatest(10, round(100000 / (SELECT sum(1.0 / k) FROM generate_series(2, 100) k) / r))::int END AS n,
       CASE WHEN r = 1 THEN 20 ELSE 3 + r % 8 END AS products
FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM creators) c;

DO $$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM plan ORDER BY creator_id LOOP
    INSERT INTO sales (creator_id, gumroad_id, created_at, day, product_id, product_name, email, full_name,
        price_usd_cents, fee_usd_cents, currency, amount_cents, refundable_cents, refunded, disputed,
        order_id, country, referrer, raw)
    SELECT p.creator_id, s.gid, s.at, (s.at AT TIME ZONE 'UTC')::date, s.pid, 'Product number ' || s.pno,
        s.email, s.name, s.price, s.price / 10, 'usd', s.price, s.price, s.refunded, false,
        s.ord, s.country, s.referrer,
        jsonb_build_object(
          'id', s.gid, 'email', s.email, 'purchase_email', s.email, 'seller_id', 'c2VsbGVyXzEyMzQ1Njc4OTA=',
          'daystamp', to_char(s.at, ' FMDD Mon YYYY HH12:MI AM'), 'created_at', to_char(s.at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
          'product_id', s.pid, 'product_name', 'Product number ' || s.pno, 'product_permalink', 'prm' || s.pno,
          'formatted_display_price', '$' || (s.price / 100) || '.' || lpad((s.price % 100)::text, 2, '0'),
          'formatted_total_price', '$' || (s.price / 100) || '.' || lpad((s.price % 100)::text, 2, '0'),
          'currency_symbol', '$', 'amount_refundable_in_currency', (s.price / 100) || '.' || lpad((s.price % 100)::text, 2, '0'),
          'transaction_url_for_seller', 'https://app.gumroad.com/purchases/' || s.gid || '/receipt',
          'full_name', s.name, 'country', s.country, 'country_iso2', 'PT', 'purchaser_id', (1000000000 + s.ord)::text,
          'referrer', s.referrer, 'price', s.price, 'gumroad_fee', s.price / 10, 'order_id', s.ord)
        || jsonb_build_object(
          'product_has_variants', false, 'has_variants', false, 'is_bundle_purchase', false,
          'is_bundle_product_purchase', false, 'refunded', s.refunded, 'partially_refunded', false,
          'chargedback', false, 'paid', true, 'has_custom_fields', false, 'is_product_physical', false,
          'is_recurring_billing', false, 'can_contact', true, 'is_following', false, 'disputed', false,
          'dispute_won', false, 'is_additional_contribution', false, 'discover_fee_charged', false,
          'is_upgrade_purchase', false, 'is_more_like_this_recommended', false, 'is_gift_sender_purchase', false,
          'is_gift_receiver_purchase', false, 'paypal_refund_expired', false, 'quantity', 1, 'product_rating', null,
          'variants', '{}'::jsonb, 'custom_fields', '{}'::jsonb,
          'card', jsonb_build_object('visual', '**** **** **** 4242', 'type', 'visa', 'bin', null,
                                     'expiry_month', null, 'expiry_year', null))
    FROM (
      SELECT g,
             substr(translate(encode(decode(md5(p.creator_id || ':' || g), 'hex'), 'base64'), '+/', '-_'), 1, 22) || '==' AS gid,
             now() - random() * interval '400 days' AS at,
             1 + (random() * (p.products - 1))::int AS pno,
             'prod' || p.creator_id || '_' || (1 + (random() * (p.products - 1))::int) AS pid,
             lower((ARRAY['ava','liam','maya','noah','priya','kwame','mei','mateo'])[1 + (g % 8)]) || '.' ||
               (ARRAY['nakamura','okafor','kowalski','nguyen','haddad','silva','smith','rossi'])[1 + (g / 8 % 8)] || (g % 997) || '@example.org' AS email,
             initcap((ARRAY['ava','liam','maya','noah','priya','kwame','mei','mateo'])[1 + (g % 8)]) || ' ' ||
               initcap((ARRAY['nakamura','okafor','kowalski','nguyen','haddad','silva','smith','rossi'])[1 + (g / 8 % 8)]) AS name,
             (ARRAY[0, 500, 900, 1500, 2900, 4900])[1 + (g % 6)] AS price,
             random() < 0.03 AS refunded,
             (p.creator_id * 10000000 + g) AS ord,
             (ARRAY['Portugal','United States','Germany','Japan','Brazil','India','France','United Kingdom'])[1 + (g * 7 % 8)] AS country,
             (ARRAY['direct','twitter.com','youtube.com','gumroad.com','google.com'])[1 + (g * 3 % 5)] AS referrer
      FROM generate_series(1, p.n) g) s
    ORDER BY s.at;
  END LOOP;
END $$;
VACUUM ANALYZE;

-- Bytes per row, table by table (indexes and TOAST included), and the sales table's indexes.
SELECT c.relname, c.reltuples::bigint AS rows, pg_relation_size(c.oid) AS heap,
       pg_indexes_size(c.oid) AS indexes, pg_total_relation_size(c.oid) AS total,
       round(pg_total_relation_size(c.oid)::numeric / greatest(c.reltuples, 1)) AS per_row
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE 'sales%'
ORDER BY total DESC;

SELECT i.relname, pg_relation_size(i.oid) AS bytes,
       round(pg_relation_size(i.oid) / (SELECT count(*) FROM sales)::numeric) AS per_sale
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname = 'sales' ORDER BY 2 DESC;

SELECT avg(pg_column_size(raw))::int AS raw_bytes,
       avg(pg_column_size(s.*) - pg_column_size(raw))::int AS other_columns_bytes
FROM sales s;

-- Rollup rows of the biggest and the smallest creators.
SELECT s.creator_id, count(*) AS sales,
       (SELECT count(*) FROM sales_daily d WHERE d.creator_id = s.creator_id) AS daily,
       (SELECT count(*) FROM sales_daily_all d WHERE d.creator_id = s.creator_id) AS daily_all,
       (SELECT count(*) FROM sales_daily_dims d WHERE d.creator_id = s.creator_id) AS dims
FROM sales s GROUP BY 1 ORDER BY 2 DESC LIMIT 3;
