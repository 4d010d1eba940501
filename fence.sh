url=$(cat /tmp/pg_url)
psql "$url" -XAtqc "UPDATE leases SET holder = 'host-a', expires_at = clock_timestamp() - interval '1 second'"
psql "$url" -X -q -At <<SQL &
BEGIN;
SELECT 'host-a cycle: lease held = ' || (holder = 'host-a') FROM leases WHERE scenario_id = 1 FOR SHARE;
SELECT pg_sleep(1);
COMMIT;
SELECT 'host-a cycle committed at ' || to_char(clock_timestamp(), 'SS.MS');
SQL
sleep 0.3
psql "$url" -X -q -At <<SQL
UPDATE leases SET holder = 'host-b', expires_at = clock_timestamp() + interval '60 seconds'
 WHERE scenario_id = 1 AND expires_at < clock_timestamp();
SELECT 'host-b took it at ' || to_char(clock_timestamp(), 'SS.MS');
SQL
wait
psql "$url" -X -q -At -c "SELECT 'host-a next cycle: lease held = ' || (holder = 'host-a') FROM leases WHERE scenario_id = 1 FOR SHARE"
