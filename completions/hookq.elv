
use builtin;
use str;

set edit:completion:arg-completer[hookq] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hookq'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hookq'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand hooks 'Create, inspect and serve webhooks'
            cand scenario 'Create and run scenarios: local commands that process a hook''s queue'
            cand connections 'Manage connections: credentials that verify who sent a webhook'
            cand sweep 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention'
            cand ui 'Serve the webhooks area in a browser, on this machine'
            cand db 'Move the store: copy a SQLite file into PostgreSQL'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;hooks'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a hook and print its URL'
            cand list 'List the hooks: a table, one row per hook'
            cand show 'Show one hook in full'
            cand url 'Print a hook''s URL'
            cand enable 'Accept requests to a hook again'
            cand disable 'Refuse requests to a hook (410), keeping its queue'
            cand edit 'Change a hook''s settings'
            cand delete 'Delete a hook with its events (refused while a scenario uses it)'
            cand serve 'Receive webhooks: every accepted request is committed to the queue before it is answered'
            cand events 'A hook''s events, newest first'
            cand ops 'The operations that processed a hook''s events, newest first'
            cand payload 'Print an event''s body exactly as received (or its bundle)'
            cand replay 'Put copies of stored events at the tail of the queue'
            cand send 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
            cand discard 'Take queued or incomplete events out of the queue (kept as discarded)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;hooks;create'= {
            cand --rate-limit 'Accepted requests per second, sustained; 0 = unlimited [default: 5]'
            cand --burst 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused) [default: 50]'
            cand --queue-limit 'Queued events at most; more are refused with 503 [default: 10000]'
            cand --max-body 'Largest accepted body, e.g. 512KiB [default: 5MiB]'
            cand --allow-ip 'Only accept clients in this range (repeatable) [default: any]'
            cand --method 'Only accept this HTTP method (repeatable) [default: any]'
            cand --connection 'Verify every request with this connection (401 when it fails)'
            cand --dedupe-window 'How long a delivery''s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h [default: 24h]'
            cand --dedupe-header 'The header that names a delivery, for senders the connection does not know [default: the connection kind''s]'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json-passthrough 'Give scenarios a JSON body as text instead of parsed JSON'
            cand --no-dedupe 'Queue every delivery, even one whose id was seen'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;list'= {
            cand --search 'Only hooks whose name, token/URL, scenario or connection contains TERM (any case)'
            cand --columns 'Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;show'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;url'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;enable'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;disable'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;edit'= {
            cand --rate-limit 'Accepted requests per second, sustained; 0 = unlimited'
            cand --burst 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused)'
            cand --queue-limit 'Queued events at most; more are refused with 503'
            cand --max-body 'Largest accepted body, e.g. 512KiB'
            cand --allow-ip 'Only accept clients in this range (repeatable)'
            cand --method 'Only accept this HTTP method (repeatable)'
            cand --connection 'Verify every request with this connection (401 when it fails)'
            cand --dedupe-window 'How long a delivery''s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h'
            cand --dedupe-header 'The header that names a delivery, for senders the connection does not know'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json-passthrough 'Give scenarios a JSON body as text instead of parsed JSON'
            cand --no-dedupe 'Queue every delivery, even one whose id was seen'
            cand --any-ip 'Accept any client address again'
            cand --any-method 'Accept any HTTP method again'
            cand --no-json-passthrough 'Parse JSON bodies for the scenario again'
            cand --no-connection 'Stop verifying requests with a connection'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;delete'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;serve'= {
            cand --listen 'Address to listen on'
            cand --threads 'Threads kept ready for new connections; each open connection beyond them gets its own [default: 8 per core]'
            cand --max-connections 'Connections open at once; past it a new one gets 503 [default: the open-files limit less 128]'
            cand --max-body-in-flight 'Request body bytes being received at once, one hook at most half; past it a request gets 503'
            cand --ui 'Also serve the webhooks area in a browser (as `hookq ui`), on its own loopback port [default: 127.0.0.1:8081]'
            cand --max-db-size 'Refuse new events (503) once the SQLite file would grow past this size, e.g. 2GiB (a file already that large: exit 3; with PostgreSQL: refused, exit 2) [default: no cap]'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --metrics 'Serve Prometheus metrics on /metrics'
            cand --quiet 'No request log on stderr'
            cand --trust-proxy 'Take the client address from X-Forwarded-For (only behind a proxy you run)'
            cand --no-scenarios 'Only receive: run no scenarios (drive them with `scenario run` from cron)'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;events'= {
            cand --state 'Only events in this state (repeatable): queued, running, done, incomplete, discarded'
            cand --since 'Only events received at or after this time (RFC 3339)'
            cand --until 'Only events received at or before this time (RFC 3339)'
            cand --limit 'Show at most N events'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;ops'= {
            cand --status 'Only operations with this status'
            cand --event 'Only the operations of this event'
            cand --limit 'Show at most N operations'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --output 'Also print what each command wrote (the last 64 KiB of stdout and stderr)'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;payload'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --bundle 'Print the JSON bundle a scenario would read instead of the raw body'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;replay'= {
            cand --event 'Replay this event (repeatable)'
            cand --state 'Replay the events in this state (repeatable): done, incomplete, discarded'
            cand --since 'Only events received at or after this time (RFC 3339)'
            cand --until 'Only events received at or before this time (RFC 3339)'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --dry-run 'Say what would be replayed, change nothing'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;send'= {
            cand --data 'The body: a string, @FILE, or @- for standard input [default: empty]'
            cand --header 'A request header ''Name: value'' (repeatable)'
            cand --method 'The HTTP method'
            cand --content-type 'The Content-Type header'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;discard'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;help'= {
            cand create 'Create a hook and print its URL'
            cand list 'List the hooks: a table, one row per hook'
            cand show 'Show one hook in full'
            cand url 'Print a hook''s URL'
            cand enable 'Accept requests to a hook again'
            cand disable 'Refuse requests to a hook (410), keeping its queue'
            cand edit 'Change a hook''s settings'
            cand delete 'Delete a hook with its events (refused while a scenario uses it)'
            cand serve 'Receive webhooks: every accepted request is committed to the queue before it is answered'
            cand events 'A hook''s events, newest first'
            cand ops 'The operations that processed a hook''s events, newest first'
            cand payload 'Print an event''s body exactly as received (or its bundle)'
            cand replay 'Put copies of stored events at the tail of the queue'
            cand send 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
            cand discard 'Take queued or incomplete events out of the queue (kept as discarded)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;hooks;help;create'= {
        }
        &'hookq;hooks;help;list'= {
        }
        &'hookq;hooks;help;show'= {
        }
        &'hookq;hooks;help;url'= {
        }
        &'hookq;hooks;help;enable'= {
        }
        &'hookq;hooks;help;disable'= {
        }
        &'hookq;hooks;help;edit'= {
        }
        &'hookq;hooks;help;delete'= {
        }
        &'hookq;hooks;help;serve'= {
        }
        &'hookq;hooks;help;events'= {
        }
        &'hookq;hooks;help;ops'= {
        }
        &'hookq;hooks;help;payload'= {
        }
        &'hookq;hooks;help;replay'= {
        }
        &'hookq;hooks;help;send'= {
        }
        &'hookq;hooks;help;discard'= {
        }
        &'hookq;hooks;help;help'= {
        }
        &'hookq;scenario'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order'
            cand list 'List the scenarios'
            cand show 'Show one scenario'
            cand edit 'Change a scenario''s settings, hook or command'
            cand activate 'Switch a scenario on: queued events are processed again'
            cand deactivate 'Switch a scenario off: events wait in the queue'
            cand delete 'Delete a scenario and its execution history (the hook and its events stay)'
            cand run 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
            cand runs 'The scenario''s executions, newest first'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;scenario;create'= {
            cand --hook 'The hook whose queue feeds it (its instant trigger)'
            cand --schedule 'immediately, on-demand, or an interval such as 15m [default: immediately]'
            cand --max-cycles 'Events per execution for scheduled and on-demand runs [default: 1]'
            cand --max-errors 'Consecutive failed executions before a scheduled scenario is switched off [default: 3]'
            cand --timeout 'Per-cycle command timeout; the command and its children are killed [default: 5m]'
            cand --input 'What stdin gets: the raw body, or the JSON bundle [default: raw]'
            cand --respond 'Answer the webhook caller with the command''s output: stdout (alone: the default) or envelope; with --forward, the target''s answer (immediately scenarios, in serve)'
            cand --response-status 'The answer''s status in stdout mode [default: 200]'
            cand --response-header 'A header ''Name: value'' of the answer in stdout mode (repeatable; not a framing header)'
            cand --response-timeout 'How long a caller waits for the answer before getting 200 Accepted [default: 5m]'
            cand --forward 'Deliver each event to this http(s) URL instead of running a command'
            cand --forward-header 'A header ''Name: value'' added to each delivery, or replacing the event''s (repeatable)'
            cand --forward-timeout 'How long a delivery may take, answer included [default: 30s]'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --store-incomplete 'A failed event goes to `incomplete` instead of back to the queue'
            cand --forward-insecure 'Accept the target''s certificate unverified (a self-signed local server)'
            cand --inactive 'Create it inactive'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;list'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;show'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;edit'= {
            cand --hook 'Move it to another hook (the old one becomes unassigned)'
            cand --schedule 'immediately, on-demand, or an interval such as 15m'
            cand --max-cycles 'Events per execution for scheduled and on-demand runs'
            cand --max-errors 'Consecutive failed executions before a scheduled scenario is switched off'
            cand --timeout 'Per-cycle command timeout; the command and its children are killed'
            cand --input 'What stdin gets: the raw body, or the JSON bundle'
            cand --respond 'Answer the webhook caller with the command''s output: stdout (alone: the default) or envelope; with --forward, the target''s answer (immediately scenarios, in serve)'
            cand --response-status 'The answer''s status in stdout mode'
            cand --response-header 'A header ''Name: value'' of the answer in stdout mode (repeatable; not a framing header)'
            cand --response-timeout 'How long a caller waits for the answer before getting 200 Accepted'
            cand --forward 'Deliver each event to this http(s) URL instead of running a command'
            cand --forward-header 'A header ''Name: value'' added to each delivery, or replacing the event''s (repeatable)'
            cand --forward-timeout 'How long a delivery may take, answer included'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --store-incomplete 'A failed event goes to `incomplete` instead of back to the queue'
            cand --forward-insecure 'Accept the target''s certificate unverified (a self-signed local server)'
            cand --no-store-incomplete 'Put failed events back in the queue again'
            cand --no-respond 'Stop answering the webhook caller (it gets 200 Accepted)'
            cand --no-forward-insecure 'Verify the forwarding target''s certificate again'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;activate'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;deactivate'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;delete'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;run'= {
            cand --max-cycles 'Process at most N events [default: 100 for immediately, else the scenario''s max cycles]'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --force 'Run even if the scenario is inactive'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;runs'= {
            cand --limit 'Show at most N executions'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;scenario;help'= {
            cand create 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order'
            cand list 'List the scenarios'
            cand show 'Show one scenario'
            cand edit 'Change a scenario''s settings, hook or command'
            cand activate 'Switch a scenario on: queued events are processed again'
            cand deactivate 'Switch a scenario off: events wait in the queue'
            cand delete 'Delete a scenario and its execution history (the hook and its events stay)'
            cand run 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
            cand runs 'The scenario''s executions, newest first'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;scenario;help;create'= {
        }
        &'hookq;scenario;help;list'= {
        }
        &'hookq;scenario;help;show'= {
        }
        &'hookq;scenario;help;edit'= {
        }
        &'hookq;scenario;help;activate'= {
        }
        &'hookq;scenario;help;deactivate'= {
        }
        &'hookq;scenario;help;delete'= {
        }
        &'hookq;scenario;help;run'= {
        }
        &'hookq;scenario;help;runs'= {
        }
        &'hookq;scenario;help;help'= {
        }
        &'hookq;connections'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a connection; the secret never comes from a plain argument'
            cand list 'List the connections (secrets masked)'
            cand show 'Show one connection (secret masked)'
            cand rotate 'Set a new secret; the old one keeps verifying for --grace'
            cand delete 'Delete a connection (refused while a hook uses it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;connections;create'= {
            cand --kind 'github, stripe, standard-webhooks, hmac, api-key, basic, slack, shopify, gitlab, twilio, linear, zoom, square, twitch, meta or discord'
            cand --secret-env 'Read the secret from this environment variable'
            cand --secret-file 'Read the secret from this file (a trailing newline is ignored)'
            cand --header 'hmac: the header holding the signature; api-key: the header holding the key [default: x-api-key]'
            cand --algorithm 'hmac: sha1, sha256 or sha512 [default: sha256]'
            cand --encoding 'hmac: hex or base64 [default: hex]'
            cand --prefix 'hmac: a prefix before the signature in the header, e.g. sha256='
            cand --tolerance 'Kinds with a signed timestamp: how far it may be from now [default: 5m]'
            cand --signed 'hmac: what is signed, from {body}, {timestamp}, {id}, {url} and literal text [default: {body}]'
            cand --timestamp-header 'hmac: the header holding the signed timestamp (checked against --tolerance)'
            cand --id-header 'hmac: the header holding the delivery''s id ({id}; also recognises duplicates)'
            cand --verify-token-env 'meta: read the verify token of Meta''s subscription handshake from this environment variable'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --secret-stdin 'Read the secret from standard input (a trailing newline is ignored)'
            cand --generate 'Generate a secret and print it once'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;connections;list'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;connections;show'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;connections;rotate'= {
            cand --secret-env 'Read the secret from this environment variable'
            cand --secret-file 'Read the secret from this file (a trailing newline is ignored)'
            cand --grace 'How long the old secret keeps verifying'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --secret-stdin 'Read the secret from standard input (a trailing newline is ignored)'
            cand --generate 'Generate a secret and print it once'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;connections;delete'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;connections;help'= {
            cand create 'Create a connection; the secret never comes from a plain argument'
            cand list 'List the connections (secrets masked)'
            cand show 'Show one connection (secret masked)'
            cand rotate 'Set a new secret; the old one keeps verifying for --grace'
            cand delete 'Delete a connection (refused while a hook uses it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;connections;help;create'= {
        }
        &'hookq;connections;help;list'= {
        }
        &'hookq;connections;help;show'= {
        }
        &'hookq;connections;help;rotate'= {
        }
        &'hookq;connections;help;delete'= {
        }
        &'hookq;connections;help;help'= {
        }
        &'hookq;sweep'= {
            cand --disable-unassigned-after 'Disable an enabled hook that has had no scenario for longer than this'
            cand --disable-inactive-after 'Disable an enabled hook whose scenario has been inactive for longer than this'
            cand --delete-after 'Delete a hook disabled for longer than this that has no scenario, with its events'
            cand --payload-retention 'Purge the bodies of events received longer ago than this (the events stay)'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --dry-run 'Report what a sweep would do now, and change nothing'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;ui'= {
            cand --listen 'Address to listen on; one that is not loopback needs --password-env'
            cand --password-env 'Ask for this environment variable''s value as a password (HTTP basic auth, any user name)'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --open 'Open the page in the default browser'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;db'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand copy 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;db;copy'= {
            cand --to 'The PostgreSQL database to copy into (postgres://...): empty, migrated first. Give a password in the environment, not here'
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;db;help'= {
            cand copy 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;db;help;copy'= {
        }
        &'hookq;db;help;help'= {
        }
        &'hookq;completions'= {
            cand --db 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;help'= {
            cand hooks 'Create, inspect and serve webhooks'
            cand scenario 'Create and run scenarios: local commands that process a hook''s queue'
            cand connections 'Manage connections: credentials that verify who sent a webhook'
            cand sweep 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention'
            cand ui 'Serve the webhooks area in a browser, on this machine'
            cand db 'Move the store: copy a SQLite file into PostgreSQL'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;help;hooks'= {
            cand create 'Create a hook and print its URL'
            cand list 'List the hooks: a table, one row per hook'
            cand show 'Show one hook in full'
            cand url 'Print a hook''s URL'
            cand enable 'Accept requests to a hook again'
            cand disable 'Refuse requests to a hook (410), keeping its queue'
            cand edit 'Change a hook''s settings'
            cand delete 'Delete a hook with its events (refused while a scenario uses it)'
            cand serve 'Receive webhooks: every accepted request is committed to the queue before it is answered'
            cand events 'A hook''s events, newest first'
            cand ops 'The operations that processed a hook''s events, newest first'
            cand payload 'Print an event''s body exactly as received (or its bundle)'
            cand replay 'Put copies of stored events at the tail of the queue'
            cand send 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
            cand discard 'Take queued or incomplete events out of the queue (kept as discarded)'
        }
        &'hookq;help;hooks;create'= {
        }
        &'hookq;help;hooks;list'= {
        }
        &'hookq;help;hooks;show'= {
        }
        &'hookq;help;hooks;url'= {
        }
        &'hookq;help;hooks;enable'= {
        }
        &'hookq;help;hooks;disable'= {
        }
        &'hookq;help;hooks;edit'= {
        }
        &'hookq;help;hooks;delete'= {
        }
        &'hookq;help;hooks;serve'= {
        }
        &'hookq;help;hooks;events'= {
        }
        &'hookq;help;hooks;ops'= {
        }
        &'hookq;help;hooks;payload'= {
        }
        &'hookq;help;hooks;replay'= {
        }
        &'hookq;help;hooks;send'= {
        }
        &'hookq;help;hooks;discard'= {
        }
        &'hookq;help;scenario'= {
            cand create 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order'
            cand list 'List the scenarios'
            cand show 'Show one scenario'
            cand edit 'Change a scenario''s settings, hook or command'
            cand activate 'Switch a scenario on: queued events are processed again'
            cand deactivate 'Switch a scenario off: events wait in the queue'
            cand delete 'Delete a scenario and its execution history (the hook and its events stay)'
            cand run 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
            cand runs 'The scenario''s executions, newest first'
        }
        &'hookq;help;scenario;create'= {
        }
        &'hookq;help;scenario;list'= {
        }
        &'hookq;help;scenario;show'= {
        }
        &'hookq;help;scenario;edit'= {
        }
        &'hookq;help;scenario;activate'= {
        }
        &'hookq;help;scenario;deactivate'= {
        }
        &'hookq;help;scenario;delete'= {
        }
        &'hookq;help;scenario;run'= {
        }
        &'hookq;help;scenario;runs'= {
        }
        &'hookq;help;connections'= {
            cand create 'Create a connection; the secret never comes from a plain argument'
            cand list 'List the connections (secrets masked)'
            cand show 'Show one connection (secret masked)'
            cand rotate 'Set a new secret; the old one keeps verifying for --grace'
            cand delete 'Delete a connection (refused while a hook uses it)'
        }
        &'hookq;help;connections;create'= {
        }
        &'hookq;help;connections;list'= {
        }
        &'hookq;help;connections;show'= {
        }
        &'hookq;help;connections;rotate'= {
        }
        &'hookq;help;connections;delete'= {
        }
        &'hookq;help;sweep'= {
        }
        &'hookq;help;ui'= {
        }
        &'hookq;help;db'= {
            cand copy 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
        }
        &'hookq;help;db;copy'= {
        }
        &'hookq;help;completions'= {
        }
        &'hookq;help;help'= {
        }
    ]
    $completions[$command]
}
