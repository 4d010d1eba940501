-- hookq schema, version 1. Timestamps are unix milliseconds (UTC).
-- Migrations are append-only: never edit this file once released; add 002_....

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Bumped by triggers whenever hooks, connections or scenarios change, so a
-- running server reloads its configuration only when there is something new.
INSERT INTO settings (key, value) VALUES ('config_version', '0');

CREATE TABLE connections (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    secret     TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '{}',   -- JSON: header, algorithm, encoding, prefix, tolerance
    created_at INTEGER NOT NULL
);

CREATE TABLE hooks (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    token            TEXT NOT NULL UNIQUE,
    enabled          INTEGER NOT NULL DEFAULT 1,
    connection_id    INTEGER REFERENCES connections (id),
    rate_limit       INTEGER NOT NULL,
    queue_limit      INTEGER NOT NULL,
    max_body         INTEGER NOT NULL,
    allow_ips        TEXT NOT NULL DEFAULT '[]',  -- JSON array of CIDR strings; empty = any
    methods          TEXT NOT NULL DEFAULT '[]',  -- JSON array of methods; empty = any
    json_passthrough INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    enabled_at       INTEGER NOT NULL,            -- creation or last `hooks enable`: restarts the sweep clocks
    disabled_at      INTEGER,
    disabled_reason  TEXT,
    unassigned_since INTEGER,                     -- NULL while a scenario uses the hook
    last_event_at    INTEGER,
    queued           INTEGER NOT NULL DEFAULT 0,  -- kept by the events triggers below
    operations       INTEGER NOT NULL DEFAULT 0   -- kept by the operations trigger below
);

-- Refused requests, counted per hook and HTTP status; never stored as events.
CREATE TABLE refusals (
    hook_id INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    status  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (hook_id, status)
) WITHOUT ROWID;

CREATE TABLE scenarios (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    hook_id             INTEGER NOT NULL UNIQUE REFERENCES hooks (id),  -- a hook feeds at most one scenario
    command             TEXT NOT NULL,               -- JSON array: program and arguments
    schedule            TEXT NOT NULL,               -- 'immediately', 'on-demand' or a duration ('15m')
    max_cycles          INTEGER NOT NULL,
    max_errors          INTEGER NOT NULL,
    timeout_ms          INTEGER NOT NULL,
    input               TEXT NOT NULL,               -- 'raw' or 'bundle'
    store_incomplete    INTEGER NOT NULL,
    respond             TEXT,                        -- NULL, 'stdout' or 'envelope'
    response_status     INTEGER NOT NULL DEFAULT 200,
    response_headers    TEXT NOT NULL DEFAULT '[]',  -- JSON array of [name, value]
    response_timeout_ms INTEGER NOT NULL DEFAULT 300000,
    active              INTEGER NOT NULL,
    inactive_since      INTEGER,
    consecutive_errors  INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    last_run_at         INTEGER
);

-- One execution of a scenario at a time across all processes. A lease whose
-- process is gone, or that was not renewed in time, is free again.
CREATE TABLE leases (
    scenario_id INTEGER PRIMARY KEY REFERENCES scenarios (id) ON DELETE CASCADE,
    pid         INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL   -- system clock, never HOOKQ_NOW
);

-- The queue. An event's id is its place in the queue: a rolled-back event
-- keeps its id, and so its place; a replay is a new row at the tail.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    hook_id      INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'incomplete', 'discarded')),
    received_at  INTEGER NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    query        TEXT NOT NULL,
    headers      TEXT NOT NULL,        -- JSON array of [name, value], as received
    remote_addr  TEXT,
    content_type TEXT,
    size         INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    replay_of    INTEGER
);

-- The head of a hook's queue, and every per-hook state listing, by index.
CREATE INDEX events_by_hook_state ON events (hook_id, state, id);
-- Crash repair looks only at running events.
CREATE INDEX events_running ON events (hook_id) WHERE state = 'running';
-- Payload retention and time-bounded replays.
CREATE INDEX events_by_received ON events (received_at);

-- Bodies live apart from event rows: purging one deletes a payload row and
-- leaves the event untouched.
CREATE TABLE payloads (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    body     BLOB NOT NULL
);

CREATE TABLE executions (
    id          INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    trigger     TEXT NOT NULL CHECK (trigger IN ('immediately', 'schedule', 'manual')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    cycles      INTEGER NOT NULL DEFAULT 0,
    status      TEXT CHECK (status IN ('ok', 'error', 'empty')),
    error       TEXT
);
CREATE INDEX executions_by_scenario ON executions (scenario_id, id);

CREATE TABLE operations (
    id           INTEGER PRIMARY KEY,
    execution_id INTEGER REFERENCES executions (id) ON DELETE SET NULL,
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    hook_id      INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    scenario     TEXT NOT NULL,        -- the scenario's name when it ran
    status       TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    exit_code    INTEGER,
    started_at   INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    error        TEXT,
    stdout       BLOB,                 -- the last 64 KiB
    stderr       BLOB
);
CREATE INDEX operations_by_hook ON operations (hook_id, id);
CREATE INDEX operations_by_event ON operations (event_id);
CREATE INDEX operations_by_execution ON operations (execution_id);

-- Counters kept by triggers, so every path that moves an event keeps them
-- right and `hooks list` reads them without counting.
CREATE TRIGGER events_queued_insert AFTER INSERT ON events WHEN NEW.state = 'queued'
BEGIN
    UPDATE hooks SET queued = queued + 1 WHERE id = NEW.hook_id;
END;
CREATE TRIGGER events_queued_update AFTER UPDATE OF state ON events
WHEN (OLD.state = 'queued') <> (NEW.state = 'queued')
BEGIN
    UPDATE hooks SET queued = queued + (NEW.state = 'queued') - (OLD.state = 'queued')
    WHERE id = NEW.hook_id;
END;
CREATE TRIGGER events_queued_delete AFTER DELETE ON events WHEN OLD.state = 'queued'
BEGIN
    UPDATE hooks SET queued = queued - 1 WHERE id = OLD.hook_id;
END;
CREATE TRIGGER operations_count AFTER INSERT ON operations
BEGIN
    UPDATE hooks SET operations = operations + 1 WHERE id = NEW.hook_id;
END;

CREATE TRIGGER hooks_config_insert AFTER INSERT ON hooks
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER hooks_config_update AFTER UPDATE OF
    name, token, enabled, connection_id, rate_limit, queue_limit, max_body,
    allow_ips, methods, json_passthrough ON hooks
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER hooks_config_delete AFTER DELETE ON hooks
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER connections_config_insert AFTER INSERT ON connections
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER connections_config_update AFTER UPDATE ON connections
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER connections_config_delete AFTER DELETE ON connections
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER scenarios_config_insert AFTER INSERT ON scenarios
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER scenarios_config_update AFTER UPDATE OF
    name, hook_id, command, schedule, max_cycles, max_errors, timeout_ms, input,
    store_incomplete, respond, response_status, response_headers,
    response_timeout_ms, active ON scenarios
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
CREATE TRIGGER scenarios_config_delete AFTER DELETE ON scenarios
BEGIN
    UPDATE settings SET value = value + 1 WHERE key = 'config_version';
END;
