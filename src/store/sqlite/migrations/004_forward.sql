-- hookq schema, version 4: forwarding scenarios (SPEC §10). A scenario
-- either runs a command or delivers each event to a URL: `forward` holds
-- the delivery's settings as JSON ({"url", "headers", "timeout_ms",
-- "insecure"}), NULL for a command. `waiting_since` is set while an
-- execution waits for a target that is not listening (no error counted),
-- so that `scenario list` in any process can say so.
ALTER TABLE scenarios ADD COLUMN forward TEXT;
ALTER TABLE scenarios ADD COLUMN waiting_since INTEGER;

-- The answer of a delivery: its status and headers (JSON array of
-- [name, value]); its body's first 64 KiB go in `stdout`.
ALTER TABLE operations ADD COLUMN http_status INTEGER;
ALTER TABLE operations ADD COLUMN http_headers TEXT;

-- A running server reloads scenarios when this trigger counts a change:
-- the forward settings are among them (`waiting_since` is not a setting).
DROP TRIGGER scenarios_config_update;
CREATE TRIGGER scenarios_config_update AFTER UPDATE OF
    name, hook_id, command, schedule, max_cycles, max_errors, timeout_ms, input,
    store_incomplete, respond, response_status, response_headers,
    response_timeout_ms, active, forward ON scenarios
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
