
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hookq' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hookq'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hookq' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Create, inspect and serve webhooks')
            [CompletionResult]::new('scenario', 'scenario', [CompletionResultType]::ParameterValue, 'Create and run scenarios: local commands that process a hook''s queue')
            [CompletionResult]::new('connections', 'connections', [CompletionResultType]::ParameterValue, 'Manage connections: credentials that verify who sent a webhook')
            [CompletionResult]::new('sweep', 'sweep', [CompletionResultType]::ParameterValue, 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Serve the webhooks area in a browser, on this machine')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Move the store: copy a SQLite file into PostgreSQL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;hooks' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a hook and print its URL')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the hooks: a table, one row per hook')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one hook in full')
            [CompletionResult]::new('url', 'url', [CompletionResultType]::ParameterValue, 'Print a hook''s URL')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Accept requests to a hook again')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Refuse requests to a hook (410), keeping its queue')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a hook''s settings')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a hook with its events (refused while a scenario uses it)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Receive webhooks: every accepted request is committed to the queue before it is answered')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'A hook''s events, newest first')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'The operations that processed a hook''s events, newest first')
            [CompletionResult]::new('payload', 'payload', [CompletionResultType]::ParameterValue, 'Print an event''s body exactly as received (or its bundle)')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put copies of stored events at the tail of the queue')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)')
            [CompletionResult]::new('discard', 'discard', [CompletionResultType]::ParameterValue, 'Take queued or incomplete events out of the queue (kept as discarded)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;hooks;create' {
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Accepted requests per second, sustained; 0 = unlimited [default: 5]')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused) [default: 50]')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Queued events at most; more are refused with 503 [default: 10000]')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest accepted body, e.g. 512KiB [default: 5MiB]')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Only accept clients in this range (repeatable) [default: any]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Only accept this HTTP method (repeatable) [default: any]')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Verify every request with this connection (401 when it fails)')
            [CompletionResult]::new('--dedupe-window', '--dedupe-window', [CompletionResultType]::ParameterName, 'How long a delivery''s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h [default: 24h]')
            [CompletionResult]::new('--dedupe-header', '--dedupe-header', [CompletionResultType]::ParameterName, 'The header that names a delivery, for senders the connection does not know [default: the connection kind''s]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json-passthrough', '--json-passthrough', [CompletionResultType]::ParameterName, 'Give scenarios a JSON body as text instead of parsed JSON')
            [CompletionResult]::new('--no-dedupe', '--no-dedupe', [CompletionResultType]::ParameterName, 'Queue every delivery, even one whose id was seen')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;list' {
            [CompletionResult]::new('--search', '--search', [CompletionResultType]::ParameterName, 'Only hooks whose name, token/URL, scenario or connection contains TERM (any case)')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;show' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;url' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;enable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;disable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;edit' {
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Accepted requests per second, sustained; 0 = unlimited')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused)')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Queued events at most; more are refused with 503')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest accepted body, e.g. 512KiB')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Only accept clients in this range (repeatable)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Only accept this HTTP method (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Verify every request with this connection (401 when it fails)')
            [CompletionResult]::new('--dedupe-window', '--dedupe-window', [CompletionResultType]::ParameterName, 'How long a delivery''s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h')
            [CompletionResult]::new('--dedupe-header', '--dedupe-header', [CompletionResultType]::ParameterName, 'The header that names a delivery, for senders the connection does not know')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json-passthrough', '--json-passthrough', [CompletionResultType]::ParameterName, 'Give scenarios a JSON body as text instead of parsed JSON')
            [CompletionResult]::new('--no-dedupe', '--no-dedupe', [CompletionResultType]::ParameterName, 'Queue every delivery, even one whose id was seen')
            [CompletionResult]::new('--any-ip', '--any-ip', [CompletionResultType]::ParameterName, 'Accept any client address again')
            [CompletionResult]::new('--any-method', '--any-method', [CompletionResultType]::ParameterName, 'Accept any HTTP method again')
            [CompletionResult]::new('--no-json-passthrough', '--no-json-passthrough', [CompletionResultType]::ParameterName, 'Parse JSON bodies for the scenario again')
            [CompletionResult]::new('--no-connection', '--no-connection', [CompletionResultType]::ParameterName, 'Stop verifying requests with a connection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;delete' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads kept ready for new connections; each open connection beyond them gets its own [default: 8 per core]')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections open at once; past it a new one gets 503 [default: the open-files limit less 128]')
            [CompletionResult]::new('--max-body-in-flight', '--max-body-in-flight', [CompletionResultType]::ParameterName, 'Request body bytes being received at once, one hook at most half; past it a request gets 503')
            [CompletionResult]::new('--ui', '--ui', [CompletionResultType]::ParameterName, 'Also serve the webhooks area in a browser (as `hookq ui`), on its own loopback port [default: 127.0.0.1:8081]')
            [CompletionResult]::new('--max-db-size', '--max-db-size', [CompletionResultType]::ParameterName, 'Refuse new events (503) once the SQLite file would grow past this size, e.g. 2GiB (a file already that large: exit 3; with PostgreSQL: refused, exit 2) [default: no cap]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--metrics', '--metrics', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics on /metrics')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No request log on stderr')
            [CompletionResult]::new('--trust-proxy', '--trust-proxy', [CompletionResultType]::ParameterName, 'Take the client address from X-Forwarded-For (only behind a proxy you run)')
            [CompletionResult]::new('--no-scenarios', '--no-scenarios', [CompletionResultType]::ParameterName, 'Only receive: run no scenarios (drive them with `scenario run` from cron)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;events' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only events in this state (repeatable): queued, running, done, incomplete, discarded')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events received at or after this time (RFC 3339)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only events received at or before this time (RFC 3339)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N events')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;ops' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only operations with this status')
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'Only the operations of this event')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N operations')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Also print what each command wrote (the last 64 KiB of stdout and stderr)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;payload' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'Print the JSON bundle a scenario would read instead of the raw body')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;replay' {
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'Replay this event (repeatable)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Replay the events in this state (repeatable): done, incomplete, discarded')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events received at or after this time (RFC 3339)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only events received at or before this time (RFC 3339)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be replayed, change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;send' {
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The body: a string, @FILE, or @- for standard input [default: empty]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'A request header ''Name: value'' (repeatable)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The HTTP method')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'The Content-Type header')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;discard' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a hook and print its URL')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the hooks: a table, one row per hook')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one hook in full')
            [CompletionResult]::new('url', 'url', [CompletionResultType]::ParameterValue, 'Print a hook''s URL')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Accept requests to a hook again')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Refuse requests to a hook (410), keeping its queue')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a hook''s settings')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a hook with its events (refused while a scenario uses it)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Receive webhooks: every accepted request is committed to the queue before it is answered')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'A hook''s events, newest first')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'The operations that processed a hook''s events, newest first')
            [CompletionResult]::new('payload', 'payload', [CompletionResultType]::ParameterValue, 'Print an event''s body exactly as received (or its bundle)')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put copies of stored events at the tail of the queue')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)')
            [CompletionResult]::new('discard', 'discard', [CompletionResultType]::ParameterValue, 'Take queued or incomplete events out of the queue (kept as discarded)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;hooks;help;create' {
            break
        }
        'hookq;hooks;help;list' {
            break
        }
        'hookq;hooks;help;show' {
            break
        }
        'hookq;hooks;help;url' {
            break
        }
        'hookq;hooks;help;enable' {
            break
        }
        'hookq;hooks;help;disable' {
            break
        }
        'hookq;hooks;help;edit' {
            break
        }
        'hookq;hooks;help;delete' {
            break
        }
        'hookq;hooks;help;serve' {
            break
        }
        'hookq;hooks;help;events' {
            break
        }
        'hookq;hooks;help;ops' {
            break
        }
        'hookq;hooks;help;payload' {
            break
        }
        'hookq;hooks;help;replay' {
            break
        }
        'hookq;hooks;help;send' {
            break
        }
        'hookq;hooks;help;discard' {
            break
        }
        'hookq;hooks;help;help' {
            break
        }
        'hookq;scenario' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the scenarios')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one scenario')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a scenario''s settings, hook or command')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Switch a scenario on: queued events are processed again')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Switch a scenario off: events wait in the queue')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a scenario and its execution history (the hook and its events stay)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running')
            [CompletionResult]::new('runs', 'runs', [CompletionResultType]::ParameterValue, 'The scenario''s executions, newest first')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;scenario;create' {
            [CompletionResult]::new('--hook', '--hook', [CompletionResultType]::ParameterName, 'The hook whose queue feeds it (its instant trigger)')
            [CompletionResult]::new('--schedule', '--schedule', [CompletionResultType]::ParameterName, 'immediately, on-demand, or an interval such as 15m [default: immediately]')
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Events per execution for scheduled and on-demand runs [default: 1]')
            [CompletionResult]::new('--max-errors', '--max-errors', [CompletionResultType]::ParameterName, 'Consecutive failed executions before a scheduled scenario is switched off [default: 3]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-cycle command timeout; the command and its children are killed [default: 5m]')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'What stdin gets: the raw body, or the JSON bundle [default: raw]')
            [CompletionResult]::new('--respond', '--respond', [CompletionResultType]::ParameterName, 'Answer the webhook caller with the command''s output: stdout (alone: the default) or envelope; with --forward, the target''s answer (immediately scenarios, in serve)')
            [CompletionResult]::new('--response-status', '--response-status', [CompletionResultType]::ParameterName, 'The answer''s status in stdout mode [default: 200]')
            [CompletionResult]::new('--response-header', '--response-header', [CompletionResultType]::ParameterName, 'A header ''Name: value'' of the answer in stdout mode (repeatable; not a framing header)')
            [CompletionResult]::new('--response-timeout', '--response-timeout', [CompletionResultType]::ParameterName, 'How long a caller waits for the answer before getting 200 Accepted [default: 5m]')
            [CompletionResult]::new('--forward', '--forward', [CompletionResultType]::ParameterName, 'Deliver each event to this http(s) URL instead of running a command')
            [CompletionResult]::new('--forward-header', '--forward-header', [CompletionResultType]::ParameterName, 'A header ''Name: value'' added to each delivery, or replacing the event''s (repeatable)')
            [CompletionResult]::new('--forward-timeout', '--forward-timeout', [CompletionResultType]::ParameterName, 'How long a delivery may take, answer included [default: 30s]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--store-incomplete', '--store-incomplete', [CompletionResultType]::ParameterName, 'A failed event goes to `incomplete` instead of back to the queue')
            [CompletionResult]::new('--forward-insecure', '--forward-insecure', [CompletionResultType]::ParameterName, 'Accept the target''s certificate unverified (a self-signed local server)')
            [CompletionResult]::new('--inactive', '--inactive', [CompletionResultType]::ParameterName, 'Create it inactive')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;list' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;show' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;edit' {
            [CompletionResult]::new('--hook', '--hook', [CompletionResultType]::ParameterName, 'Move it to another hook (the old one becomes unassigned)')
            [CompletionResult]::new('--schedule', '--schedule', [CompletionResultType]::ParameterName, 'immediately, on-demand, or an interval such as 15m')
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Events per execution for scheduled and on-demand runs')
            [CompletionResult]::new('--max-errors', '--max-errors', [CompletionResultType]::ParameterName, 'Consecutive failed executions before a scheduled scenario is switched off')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-cycle command timeout; the command and its children are killed')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'What stdin gets: the raw body, or the JSON bundle')
            [CompletionResult]::new('--respond', '--respond', [CompletionResultType]::ParameterName, 'Answer the webhook caller with the command''s output: stdout (alone: the default) or envelope; with --forward, the target''s answer (immediately scenarios, in serve)')
            [CompletionResult]::new('--response-status', '--response-status', [CompletionResultType]::ParameterName, 'The answer''s status in stdout mode')
            [CompletionResult]::new('--response-header', '--response-header', [CompletionResultType]::ParameterName, 'A header ''Name: value'' of the answer in stdout mode (repeatable; not a framing header)')
            [CompletionResult]::new('--response-timeout', '--response-timeout', [CompletionResultType]::ParameterName, 'How long a caller waits for the answer before getting 200 Accepted')
            [CompletionResult]::new('--forward', '--forward', [CompletionResultType]::ParameterName, 'Deliver each event to this http(s) URL instead of running a command')
            [CompletionResult]::new('--forward-header', '--forward-header', [CompletionResultType]::ParameterName, 'A header ''Name: value'' added to each delivery, or replacing the event''s (repeatable)')
            [CompletionResult]::new('--forward-timeout', '--forward-timeout', [CompletionResultType]::ParameterName, 'How long a delivery may take, answer included')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--store-incomplete', '--store-incomplete', [CompletionResultType]::ParameterName, 'A failed event goes to `incomplete` instead of back to the queue')
            [CompletionResult]::new('--forward-insecure', '--forward-insecure', [CompletionResultType]::ParameterName, 'Accept the target''s certificate unverified (a self-signed local server)')
            [CompletionResult]::new('--no-store-incomplete', '--no-store-incomplete', [CompletionResultType]::ParameterName, 'Put failed events back in the queue again')
            [CompletionResult]::new('--no-respond', '--no-respond', [CompletionResultType]::ParameterName, 'Stop answering the webhook caller (it gets 200 Accepted)')
            [CompletionResult]::new('--no-forward-insecure', '--no-forward-insecure', [CompletionResultType]::ParameterName, 'Verify the forwarding target''s certificate again')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;activate' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;deactivate' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;delete' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;run' {
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Process at most N events [default: 100 for immediately, else the scenario''s max cycles]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run even if the scenario is inactive')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;runs' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N executions')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;scenario;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the scenarios')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one scenario')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a scenario''s settings, hook or command')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Switch a scenario on: queued events are processed again')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Switch a scenario off: events wait in the queue')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a scenario and its execution history (the hook and its events stay)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running')
            [CompletionResult]::new('runs', 'runs', [CompletionResultType]::ParameterValue, 'The scenario''s executions, newest first')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;scenario;help;create' {
            break
        }
        'hookq;scenario;help;list' {
            break
        }
        'hookq;scenario;help;show' {
            break
        }
        'hookq;scenario;help;edit' {
            break
        }
        'hookq;scenario;help;activate' {
            break
        }
        'hookq;scenario;help;deactivate' {
            break
        }
        'hookq;scenario;help;delete' {
            break
        }
        'hookq;scenario;help;run' {
            break
        }
        'hookq;scenario;help;runs' {
            break
        }
        'hookq;scenario;help;help' {
            break
        }
        'hookq;connections' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a connection; the secret never comes from a plain argument')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connections (secrets masked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connection (secret masked)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Set a new secret; the old one keeps verifying for --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a connection (refused while a hook uses it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;connections;create' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'github, stripe, standard-webhooks, hmac, api-key, basic, slack, shopify, gitlab, twilio, linear, zoom, square, twitch, meta or discord')
            [CompletionResult]::new('--secret-env', '--secret-env', [CompletionResultType]::ParameterName, 'Read the secret from this environment variable')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the secret from this file (a trailing newline is ignored)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'hmac: the header holding the signature; api-key: the header holding the key [default: x-api-key]')
            [CompletionResult]::new('--algorithm', '--algorithm', [CompletionResultType]::ParameterName, 'hmac: sha1, sha256 or sha512 [default: sha256]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'hmac: hex or base64 [default: hex]')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'hmac: a prefix before the signature in the header, e.g. sha256=')
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'Kinds with a signed timestamp: how far it may be from now [default: 5m]')
            [CompletionResult]::new('--signed', '--signed', [CompletionResultType]::ParameterName, 'hmac: what is signed, from {body}, {timestamp}, {id}, {url} and literal text [default: {body}]')
            [CompletionResult]::new('--timestamp-header', '--timestamp-header', [CompletionResultType]::ParameterName, 'hmac: the header holding the signed timestamp (checked against --tolerance)')
            [CompletionResult]::new('--id-header', '--id-header', [CompletionResultType]::ParameterName, 'hmac: the header holding the delivery''s id ({id}; also recognises duplicates)')
            [CompletionResult]::new('--verify-token-env', '--verify-token-env', [CompletionResultType]::ParameterName, 'meta: read the verify token of Meta''s subscription handshake from this environment variable')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the secret from standard input (a trailing newline is ignored)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Generate a secret and print it once')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;connections;list' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;connections;show' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;connections;rotate' {
            [CompletionResult]::new('--secret-env', '--secret-env', [CompletionResultType]::ParameterName, 'Read the secret from this environment variable')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the secret from this file (a trailing newline is ignored)')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'How long the old secret keeps verifying')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the secret from standard input (a trailing newline is ignored)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Generate a secret and print it once')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;connections;delete' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;connections;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a connection; the secret never comes from a plain argument')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connections (secrets masked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connection (secret masked)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Set a new secret; the old one keeps verifying for --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a connection (refused while a hook uses it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;connections;help;create' {
            break
        }
        'hookq;connections;help;list' {
            break
        }
        'hookq;connections;help;show' {
            break
        }
        'hookq;connections;help;rotate' {
            break
        }
        'hookq;connections;help;delete' {
            break
        }
        'hookq;connections;help;help' {
            break
        }
        'hookq;sweep' {
            [CompletionResult]::new('--disable-unassigned-after', '--disable-unassigned-after', [CompletionResultType]::ParameterName, 'Disable an enabled hook that has had no scenario for longer than this')
            [CompletionResult]::new('--disable-inactive-after', '--disable-inactive-after', [CompletionResultType]::ParameterName, 'Disable an enabled hook whose scenario has been inactive for longer than this')
            [CompletionResult]::new('--delete-after', '--delete-after', [CompletionResultType]::ParameterName, 'Delete a hook disabled for longer than this that has no scenario, with its events')
            [CompletionResult]::new('--payload-retention', '--payload-retention', [CompletionResultType]::ParameterName, 'Purge the bodies of events received longer ago than this (the events stay)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what a sweep would do now, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;ui' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on; one that is not loopback needs --password-env')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Ask for this environment variable''s value as a password (HTTP basic auth, any user name)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the page in the default browser')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;db' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;db;copy' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The PostgreSQL database to copy into (postgres://...): empty, migrated first. Give a password in the environment, not here')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;db;help' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;db;help;copy' {
            break
        }
        'hookq;db;help;help' {
            break
        }
        'hookq;completions' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;help' {
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Create, inspect and serve webhooks')
            [CompletionResult]::new('scenario', 'scenario', [CompletionResultType]::ParameterValue, 'Create and run scenarios: local commands that process a hook''s queue')
            [CompletionResult]::new('connections', 'connections', [CompletionResultType]::ParameterValue, 'Manage connections: credentials that verify who sent a webhook')
            [CompletionResult]::new('sweep', 'sweep', [CompletionResultType]::ParameterValue, 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Serve the webhooks area in a browser, on this machine')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Move the store: copy a SQLite file into PostgreSQL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;help;hooks' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a hook and print its URL')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the hooks: a table, one row per hook')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one hook in full')
            [CompletionResult]::new('url', 'url', [CompletionResultType]::ParameterValue, 'Print a hook''s URL')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Accept requests to a hook again')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Refuse requests to a hook (410), keeping its queue')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a hook''s settings')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a hook with its events (refused while a scenario uses it)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Receive webhooks: every accepted request is committed to the queue before it is answered')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'A hook''s events, newest first')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'The operations that processed a hook''s events, newest first')
            [CompletionResult]::new('payload', 'payload', [CompletionResultType]::ParameterValue, 'Print an event''s body exactly as received (or its bundle)')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put copies of stored events at the tail of the queue')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)')
            [CompletionResult]::new('discard', 'discard', [CompletionResultType]::ParameterValue, 'Take queued or incomplete events out of the queue (kept as discarded)')
            break
        }
        'hookq;help;hooks;create' {
            break
        }
        'hookq;help;hooks;list' {
            break
        }
        'hookq;help;hooks;show' {
            break
        }
        'hookq;help;hooks;url' {
            break
        }
        'hookq;help;hooks;enable' {
            break
        }
        'hookq;help;hooks;disable' {
            break
        }
        'hookq;help;hooks;edit' {
            break
        }
        'hookq;help;hooks;delete' {
            break
        }
        'hookq;help;hooks;serve' {
            break
        }
        'hookq;help;hooks;events' {
            break
        }
        'hookq;help;hooks;ops' {
            break
        }
        'hookq;help;hooks;payload' {
            break
        }
        'hookq;help;hooks;replay' {
            break
        }
        'hookq;help;hooks;send' {
            break
        }
        'hookq;help;hooks;discard' {
            break
        }
        'hookq;help;scenario' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK''s queue, in order')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the scenarios')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one scenario')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a scenario''s settings, hook or command')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Switch a scenario on: queued events are processed again')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Switch a scenario off: events wait in the queue')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a scenario and its execution history (the hook and its events stay)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running')
            [CompletionResult]::new('runs', 'runs', [CompletionResultType]::ParameterValue, 'The scenario''s executions, newest first')
            break
        }
        'hookq;help;scenario;create' {
            break
        }
        'hookq;help;scenario;list' {
            break
        }
        'hookq;help;scenario;show' {
            break
        }
        'hookq;help;scenario;edit' {
            break
        }
        'hookq;help;scenario;activate' {
            break
        }
        'hookq;help;scenario;deactivate' {
            break
        }
        'hookq;help;scenario;delete' {
            break
        }
        'hookq;help;scenario;run' {
            break
        }
        'hookq;help;scenario;runs' {
            break
        }
        'hookq;help;connections' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a connection; the secret never comes from a plain argument')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connections (secrets masked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connection (secret masked)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Set a new secret; the old one keeps verifying for --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a connection (refused while a hook uses it)')
            break
        }
        'hookq;help;connections;create' {
            break
        }
        'hookq;help;connections;list' {
            break
        }
        'hookq;help;connections;show' {
            break
        }
        'hookq;help;connections;rotate' {
            break
        }
        'hookq;help;connections;delete' {
            break
        }
        'hookq;help;sweep' {
            break
        }
        'hookq;help;ui' {
            break
        }
        'hookq;help;db' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history')
            break
        }
        'hookq;help;db;copy' {
            break
        }
        'hookq;help;completions' {
            break
        }
        'hookq;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
