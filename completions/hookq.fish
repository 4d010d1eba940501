# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hookq_global_optspecs
    string join \n db= base-url= json h/help V/version
end

function __fish_hookq_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hookq_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hookq_using_subcommand
    set -l cmd (__fish_hookq_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hookq -n "__fish_hookq_needs_command" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_needs_command" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_needs_command" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_needs_command" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_needs_command" -s V -l version -d 'Print version'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "hooks" -d 'Create, inspect and serve webhooks'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "scenario" -d 'Create and run scenarios: local commands that process a hook\'s queue'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "connections" -d 'Manage connections: credentials that verify who sent a webhook'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "sweep" -d 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "ui" -d 'Serve the webhooks area in a browser, on this machine'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "db" -d 'Move the store: copy a SQLite file into PostgreSQL'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c hookq -n "__fish_hookq_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "create" -d 'Create a hook and print its URL'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "list" -d 'List the hooks: a table, one row per hook'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "show" -d 'Show one hook in full'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "url" -d 'Print a hook\'s URL'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "enable" -d 'Accept requests to a hook again'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "disable" -d 'Refuse requests to a hook (410), keeping its queue'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "edit" -d 'Change a hook\'s settings'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "delete" -d 'Delete a hook with its events (refused while a scenario uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "serve" -d 'Receive webhooks: every accepted request is committed to the queue before it is answered'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "events" -d 'A hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "ops" -d 'The operations that processed a hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "payload" -d 'Print an event\'s body exactly as received (or its bundle)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "replay" -d 'Put copies of stored events at the tail of the queue'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "send" -d 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "discard" -d 'Take queued or incomplete events out of the queue (kept as discarded)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and not __fish_seen_subcommand_from create list show url enable disable edit delete serve events ops payload replay send discard help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l rate-limit -d 'Accepted requests per second, sustained; 0 = unlimited [default: 5]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l burst -d 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused) [default: 50]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l queue-limit -d 'Queued events at most; more are refused with 503 [default: 10000]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l max-body -d 'Largest accepted body, e.g. 512KiB [default: 5MiB]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l allow-ip -d 'Only accept clients in this range (repeatable) [default: any]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l method -d 'Only accept this HTTP method (repeatable) [default: any]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l connection -d 'Verify every request with this connection (401 when it fails)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l dedupe-window -d 'How long a delivery\'s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h [default: 24h]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l dedupe-header -d 'The header that names a delivery, for senders the connection does not know [default: the connection kind\'s]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l json-passthrough -d 'Give scenarios a JSON body as text instead of parsed JSON'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l no-dedupe -d 'Queue every delivery, even one whose id was seen'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -l search -d 'Only hooks whose name, token/URL, scenario or connection contains TERM (any case)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -l columns -d 'Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from show" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from show" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from url" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from url" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from url" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from url" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from enable" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from enable" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from enable" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from disable" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from disable" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from disable" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l rate-limit -d 'Accepted requests per second, sustained; 0 = unlimited' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l burst -d 'Requests accepted at once before the rate limit applies (20 deliveries at once are not refused)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l queue-limit -d 'Queued events at most; more are refused with 503' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l max-body -d 'Largest accepted body, e.g. 512KiB' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l allow-ip -d 'Only accept clients in this range (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l method -d 'Only accept this HTTP method (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l connection -d 'Verify every request with this connection (401 when it fails)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l dedupe-window -d 'How long a delivery\'s id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l dedupe-header -d 'The header that names a delivery, for senders the connection does not know' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l json-passthrough -d 'Give scenarios a JSON body as text instead of parsed JSON'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l no-dedupe -d 'Queue every delivery, even one whose id was seen'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l any-ip -d 'Accept any client address again'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l any-method -d 'Accept any HTTP method again'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l no-json-passthrough -d 'Parse JSON bodies for the scenario again'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l no-connection -d 'Stop verifying requests with a connection'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from delete" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from delete" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l listen -d 'Address to listen on' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l threads -d 'Threads kept ready for new connections; each open connection beyond them gets its own [default: 8 per core]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l max-connections -d 'Connections open at once; past it a new one gets 503 [default: the open-files limit less 128]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l max-body-in-flight -d 'Request body bytes being received at once, one hook at most half; past it a request gets 503' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l ui -d 'Also serve the webhooks area in a browser (as `hookq ui`), on its own loopback port [default: 127.0.0.1:8081]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l max-db-size -d 'Refuse new events (503) once the SQLite file would grow past this size, e.g. 2GiB (a file already that large: exit 3; with PostgreSQL: refused, exit 2) [default: no cap]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l metrics -d 'Serve Prometheus metrics on /metrics'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l quiet -d 'No request log on stderr'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l trust-proxy -d 'Take the client address from X-Forwarded-For (only behind a proxy you run)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l no-scenarios -d 'Only receive: run no scenarios (drive them with `scenario run` from cron)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l state -d 'Only events in this state (repeatable): queued, running, done, incomplete, discarded' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l since -d 'Only events received at or after this time (RFC 3339)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l until -d 'Only events received at or before this time (RFC 3339)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l limit -d 'Show at most N events' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from events" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l status -d 'Only operations with this status' -r -f -a "ok\t''
error\t''"
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l event -d 'Only the operations of this event' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l limit -d 'Show at most N operations' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l output -d 'Also print what each command wrote (the last 64 KiB of stdout and stderr)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from ops" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from payload" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from payload" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from payload" -l bundle -d 'Print the JSON bundle a scenario would read instead of the raw body'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from payload" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from payload" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l event -d 'Replay this event (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l state -d 'Replay the events in this state (repeatable): done, incomplete, discarded' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l since -d 'Only events received at or after this time (RFC 3339)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l until -d 'Only events received at or before this time (RFC 3339)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l dry-run -d 'Say what would be replayed, change nothing'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l data -d 'The body: a string, @FILE, or @- for standard input [default: empty]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l header -d 'A request header \'Name: value\' (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l method -d 'The HTTP method' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l content-type -d 'The Content-Type header' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from discard" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from discard" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from discard" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from discard" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a hook and print its URL'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the hooks: a table, one row per hook'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one hook in full'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "url" -d 'Print a hook\'s URL'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Accept requests to a hook again'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Refuse requests to a hook (410), keeping its queue'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Change a hook\'s settings'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a hook with its events (refused while a scenario uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Receive webhooks: every accepted request is committed to the queue before it is answered'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "events" -d 'A hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "ops" -d 'The operations that processed a hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "payload" -d 'Print an event\'s body exactly as received (or its bundle)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Put copies of stored events at the tail of the queue'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "send" -d 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "discard" -d 'Take queued or incomplete events out of the queue (kept as discarded)'
complete -c hookq -n "__fish_hookq_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "create" -d 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK\'s queue, in order'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "list" -d 'List the scenarios'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "show" -d 'Show one scenario'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "edit" -d 'Change a scenario\'s settings, hook or command'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "activate" -d 'Switch a scenario on: queued events are processed again'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "deactivate" -d 'Switch a scenario off: events wait in the queue'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "delete" -d 'Delete a scenario and its execution history (the hook and its events stay)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "run" -d 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "runs" -d 'The scenario\'s executions, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and not __fish_seen_subcommand_from create list show edit activate deactivate delete run runs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l hook -d 'The hook whose queue feeds it (its instant trigger)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l schedule -d 'immediately, on-demand, or an interval such as 15m [default: immediately]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l max-cycles -d 'Events per execution for scheduled and on-demand runs [default: 1]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l max-errors -d 'Consecutive failed executions before a scheduled scenario is switched off [default: 3]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l timeout -d 'Per-cycle command timeout; the command and its children are killed [default: 5m]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l input -d 'What stdin gets: the raw body, or the JSON bundle [default: raw]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l respond -d 'Answer the webhook caller with the command\'s output: stdout (alone: the default) or envelope; with --forward, the target\'s answer (immediately scenarios, in serve)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l response-status -d 'The answer\'s status in stdout mode [default: 200]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l response-header -d 'A header \'Name: value\' of the answer in stdout mode (repeatable; not a framing header)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l response-timeout -d 'How long a caller waits for the answer before getting 200 Accepted [default: 5m]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l forward -d 'Deliver each event to this http(s) URL instead of running a command' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l forward-header -d 'A header \'Name: value\' added to each delivery, or replacing the event\'s (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l forward-timeout -d 'How long a delivery may take, answer included [default: 30s]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l store-incomplete -d 'A failed event goes to `incomplete` instead of back to the queue'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l forward-insecure -d 'Accept the target\'s certificate unverified (a self-signed local server)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l inactive -d 'Create it inactive'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from list" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from list" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from show" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from show" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l hook -d 'Move it to another hook (the old one becomes unassigned)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l schedule -d 'immediately, on-demand, or an interval such as 15m' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l max-cycles -d 'Events per execution for scheduled and on-demand runs' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l max-errors -d 'Consecutive failed executions before a scheduled scenario is switched off' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l timeout -d 'Per-cycle command timeout; the command and its children are killed' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l input -d 'What stdin gets: the raw body, or the JSON bundle' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l respond -d 'Answer the webhook caller with the command\'s output: stdout (alone: the default) or envelope; with --forward, the target\'s answer (immediately scenarios, in serve)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l response-status -d 'The answer\'s status in stdout mode' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l response-header -d 'A header \'Name: value\' of the answer in stdout mode (repeatable; not a framing header)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l response-timeout -d 'How long a caller waits for the answer before getting 200 Accepted' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l forward -d 'Deliver each event to this http(s) URL instead of running a command' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l forward-header -d 'A header \'Name: value\' added to each delivery, or replacing the event\'s (repeatable)' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l forward-timeout -d 'How long a delivery may take, answer included' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l store-incomplete -d 'A failed event goes to `incomplete` instead of back to the queue'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l forward-insecure -d 'Accept the target\'s certificate unverified (a self-signed local server)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l no-store-incomplete -d 'Put failed events back in the queue again'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l no-respond -d 'Stop answering the webhook caller (it gets 200 Accepted)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l no-forward-insecure -d 'Verify the forwarding target\'s certificate again'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from activate" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from activate" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from activate" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from activate" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from deactivate" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from deactivate" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from deactivate" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from deactivate" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from delete" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from delete" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -l max-cycles -d 'Process at most N events [default: 100 for immediately, else the scenario\'s max cycles]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -l force -d 'Run even if the scenario is inactive'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from runs" -l limit -d 'Show at most N executions' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from runs" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from runs" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from runs" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from runs" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK\'s queue, in order'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the scenarios'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one scenario'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Change a scenario\'s settings, hook or command'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "activate" -d 'Switch a scenario on: queued events are processed again'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "deactivate" -d 'Switch a scenario off: events wait in the queue'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a scenario and its execution history (the hook and its events stay)'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "runs" -d 'The scenario\'s executions, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand scenario; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "create" -d 'Create a connection; the secret never comes from a plain argument'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "list" -d 'List the connections (secrets masked)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "show" -d 'Show one connection (secret masked)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "rotate" -d 'Set a new secret; the old one keeps verifying for --grace'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "delete" -d 'Delete a connection (refused while a hook uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and not __fish_seen_subcommand_from create list show rotate delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l kind -d 'github, stripe, standard-webhooks, hmac, api-key, basic, slack, shopify, gitlab, twilio, linear, zoom, square, twitch, meta or discord' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l secret-env -d 'Read the secret from this environment variable' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l secret-file -d 'Read the secret from this file (a trailing newline is ignored)' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l header -d 'hmac: the header holding the signature; api-key: the header holding the key [default: x-api-key]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l algorithm -d 'hmac: sha1, sha256 or sha512 [default: sha256]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l encoding -d 'hmac: hex or base64 [default: hex]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l prefix -d 'hmac: a prefix before the signature in the header, e.g. sha256=' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l tolerance -d 'Kinds with a signed timestamp: how far it may be from now [default: 5m]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l signed -d 'hmac: what is signed, from {body}, {timestamp}, {id}, {url} and literal text [default: {body}]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l timestamp-header -d 'hmac: the header holding the signed timestamp (checked against --tolerance)' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l id-header -d 'hmac: the header holding the delivery\'s id ({id}; also recognises duplicates)' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l verify-token-env -d 'meta: read the verify token of Meta\'s subscription handshake from this environment variable' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l secret-stdin -d 'Read the secret from standard input (a trailing newline is ignored)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l generate -d 'Generate a secret and print it once'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from list" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from list" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from show" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from show" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l secret-env -d 'Read the secret from this environment variable' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l secret-file -d 'Read the secret from this file (a trailing newline is ignored)' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l grace -d 'How long the old secret keeps verifying' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l secret-stdin -d 'Read the secret from standard input (a trailing newline is ignored)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l generate -d 'Generate a secret and print it once'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from delete" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from delete" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a connection; the secret never comes from a plain argument'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the connections (secrets masked)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one connection (secret masked)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Set a new secret; the old one keeps verifying for --grace'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a connection (refused while a hook uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand connections; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l disable-unassigned-after -d 'Disable an enabled hook that has had no scenario for longer than this' -r
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l disable-inactive-after -d 'Disable an enabled hook whose scenario has been inactive for longer than this' -r
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l delete-after -d 'Delete a hook disabled for longer than this that has no scenario, with its events' -r
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l payload-retention -d 'Purge the bodies of events received longer ago than this (the events stay)' -r
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l dry-run -d 'Report what a sweep would do now, and change nothing'
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand sweep" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l listen -d 'Address to listen on; one that is not loopback needs --password-env' -r
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l password-env -d 'Ask for this environment variable\'s value as a password (HTTP basic auth, any user name)' -r
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l open -d 'Open the page in the default browser'
complete -c hookq -n "__fish_hookq_using_subcommand ui" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand ui" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -f -a "copy" -d 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
complete -c hookq -n "__fish_hookq_using_subcommand db; and not __fish_seen_subcommand_from copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from copy" -l to -d 'The PostgreSQL database to copy into (postgres://...): empty, migrated first. Give a password in the environment, not here' -r
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from copy" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from copy" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from copy" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
complete -c hookq -n "__fish_hookq_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand completions" -l db -d 'The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]' -r -F
complete -c hookq -n "__fish_hookq_using_subcommand completions" -l base-url -d 'The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]' -r
complete -c hookq -n "__fish_hookq_using_subcommand completions" -l json -d 'Print JSON instead of a table'
complete -c hookq -n "__fish_hookq_using_subcommand completions" -s h -l help -d 'Print help'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "hooks" -d 'Create, inspect and serve webhooks'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "scenario" -d 'Create and run scenarios: local commands that process a hook\'s queue'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "connections" -d 'Manage connections: credentials that verify who sent a webhook'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "sweep" -d 'Apply the lifecycle rules: expiry, deactivation, deletion, payload retention'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "ui" -d 'Serve the webhooks area in a browser, on this machine'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "db" -d 'Move the store: copy a SQLite file into PostgreSQL'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c hookq -n "__fish_hookq_using_subcommand help; and not __fish_seen_subcommand_from hooks scenario connections sweep ui db completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "create" -d 'Create a hook and print its URL'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "list" -d 'List the hooks: a table, one row per hook'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "show" -d 'Show one hook in full'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "url" -d 'Print a hook\'s URL'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "enable" -d 'Accept requests to a hook again'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "disable" -d 'Refuse requests to a hook (410), keeping its queue'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "edit" -d 'Change a hook\'s settings'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "delete" -d 'Delete a hook with its events (refused while a scenario uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "serve" -d 'Receive webhooks: every accepted request is committed to the queue before it is answered'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "events" -d 'A hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "ops" -d 'The operations that processed a hook\'s events, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "payload" -d 'Print an event\'s body exactly as received (or its bundle)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "replay" -d 'Put copies of stored events at the tail of the queue'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "send" -d 'Enqueue an event locally, through the same checks as the server (but auth, address, rate)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "discard" -d 'Take queued or incomplete events out of the queue (kept as discarded)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "create" -d 'Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK\'s queue, in order'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "list" -d 'List the scenarios'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "show" -d 'Show one scenario'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "edit" -d 'Change a scenario\'s settings, hook or command'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "activate" -d 'Switch a scenario on: queued events are processed again'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "deactivate" -d 'Switch a scenario off: events wait in the queue'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "delete" -d 'Delete a scenario and its execution history (the hook and its events stay)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "run" -d 'Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from scenario" -f -a "runs" -d 'The scenario\'s executions, newest first'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from connections" -f -a "create" -d 'Create a connection; the secret never comes from a plain argument'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from connections" -f -a "list" -d 'List the connections (secrets masked)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from connections" -f -a "show" -d 'Show one connection (secret masked)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from connections" -f -a "rotate" -d 'Set a new secret; the old one keeps verifying for --grace'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from connections" -f -a "delete" -d 'Delete a connection (refused while a hook uses it)'
complete -c hookq -n "__fish_hookq_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "copy" -d 'Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history'
