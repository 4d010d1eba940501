-- hookq schema, version 2: a lease names its holder by pid *and* as a
-- process, `BOOT_ID PID_NAMESPACE START_TIME` (Linux), so that whether the
-- holder still runs can be told for certain: a frozen holder (Ctrl-Z, a
-- suspended laptop) keeps its lease, and a new process that got the same
-- pid does not inherit it. NULL where that cannot be read: the lease then
-- runs out when it is not renewed (expires_at), as in version 1.
ALTER TABLE leases ADD COLUMN holder TEXT;

-- Executions a dead process left unfinished are closed by crash repair;
-- this finds them without reading the whole history.
CREATE INDEX executions_unfinished ON executions (scenario_id) WHERE finished_at IS NULL;
