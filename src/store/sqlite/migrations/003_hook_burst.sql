-- hookq schema, version 3: a hook's rate limit is a token bucket holding
-- `burst` requests, refilled at `rate_limit` per second (SPEC §3), so that
-- a burst of deliveries (GitHub sends 20 at once and does not retry) is not
-- refused while the sustained rate stays low. Existing hooks get the
-- default, 50.
ALTER TABLE hooks ADD COLUMN burst INTEGER NOT NULL DEFAULT 50;

-- A running server reloads hooks when this trigger counts a change: the
-- burst is one of the settings it must see.
DROP TRIGGER hooks_config_update;
CREATE TRIGGER hooks_config_update AFTER UPDATE OF
    name, token, enabled, connection_id, rate_limit, burst, queue_limit, max_body,
    allow_ips, methods, json_passthrough ON hooks
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
