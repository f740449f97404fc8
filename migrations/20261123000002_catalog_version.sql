-- Bumped whenever the creator changes their product list through gumdash, so every instance
-- knows a cached product list is out of date (see web::product_cache).
ALTER TABLE creators ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 0;
