-- Operators granted with `gumdash admin grant <gumroad user id>` (issue 10). GUMDASH_ADMIN_GUMROAD_IDS
-- names operators too; either source is enough. Keyed by Gumroad's numeric user id, so an operator can
-- be named before their first sign-in.
CREATE TABLE operators (
    gumroad_user_id  TEXT PRIMARY KEY CHECK (gumroad_user_id ~ '^[0-9]{1,30}$'),
    granted_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Who granted it: `cli:<os user>` for the command line.
    granted_by       TEXT NOT NULL
);

-- The audit log page reads newest first across every creator, keyset-paginated on (at, id).
CREATE INDEX audit_events_at_id ON audit_events (at DESC, id DESC);
-- The admin creators page pages newest sign-ups first.
CREATE INDEX creators_created_at_id ON creators (created_at DESC, id DESC);
-- The health page counts the last hour's ping deliveries across creators.
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);
