-- hookq schema: more senders (SPEC §12). Numbered 005 on its own branch;
-- the order of the migrations is settled when branches merge.

-- `connections rotate`: the secret before, accepted until `previous_until`
-- (unix ms, hookq's clock).
ALTER TABLE connections ADD COLUMN previous_secret TEXT;
ALTER TABLE connections ADD COLUMN previous_until INTEGER;

-- Duplicates: on by default; the window in ms; a header naming deliveries
-- for kinds that carry no id; how many duplicates were answered.
ALTER TABLE hooks ADD COLUMN dedupe INTEGER NOT NULL DEFAULT 1;
ALTER TABLE hooks ADD COLUMN dedupe_window INTEGER NOT NULL DEFAULT 86400000;
ALTER TABLE hooks ADD COLUMN dedupe_header TEXT;
ALTER TABLE hooks ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;

-- The deliveries a hook accepted, by the id their sender gave, until the
-- window ends. The primary key is what makes "stored exactly once" hold
-- under concurrent senders; the sweep deletes expired rows by the index.
CREATE TABLE deliveries (
    hook_id    INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    delivery   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (hook_id, delivery)
) WITHOUT ROWID;
CREATE INDEX deliveries_by_expiry ON deliveries (expires_at);

-- A running server reloads hooks when this trigger counts a change: the
-- dedupe settings are among those it must see.
DROP TRIGGER hooks_config_update;
CREATE TRIGGER hooks_config_update AFTER UPDATE OF
    name, token, enabled, connection_id, rate_limit, burst, queue_limit, max_body,
    allow_ips, methods, json_passthrough, dedupe, dedupe_window, dedupe_header ON hooks
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
