-- hookq schema, version 2: a lease names its holder by pid *and* by the
-- process's start (boot id and start time, on Linux), so a lease is free
-- exactly when its holder is gone: a frozen holder (Ctrl-Z, a suspended
-- laptop) keeps it, and a new process that got the same pid does not.
-- NULL where the platform cannot tell: the lease then expires when it is
-- not renewed (expires_at), as in version 1.
ALTER TABLE leases ADD COLUMN holder TEXT;
