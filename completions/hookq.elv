
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
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand hooks 'Create, inspect and serve webhooks'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;hooks'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
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
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hookq;hooks;create'= {
            cand --rate-limit 'Accepted requests per second (burst of the same size); 0 = unlimited [default: 5]'
            cand --queue-limit 'Queued events at most; more are refused with 503 [default: 10000]'
            cand --max-body 'Largest accepted body, e.g. 512KiB [default: 5MiB]'
            cand --allow-ip 'Only accept clients in this range (repeatable) [default: any]'
            cand --method 'Only accept this HTTP method (repeatable) [default: any]'
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json-passthrough 'Give scenarios a JSON body as text instead of parsed JSON'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;list'= {
            cand --search 'Only hooks whose name, token/URL, scenario or connection contains TERM (any case)'
            cand --columns 'Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops'
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;show'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;url'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;enable'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;disable'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;edit'= {
            cand --rate-limit 'Accepted requests per second (burst of the same size); 0 = unlimited [default: 5]'
            cand --queue-limit 'Queued events at most; more are refused with 503 [default: 10000]'
            cand --max-body 'Largest accepted body, e.g. 512KiB [default: 5MiB]'
            cand --allow-ip 'Only accept clients in this range (repeatable) [default: any]'
            cand --method 'Only accept this HTTP method (repeatable) [default: any]'
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json-passthrough 'Give scenarios a JSON body as text instead of parsed JSON'
            cand --any-ip 'Accept any client address again'
            cand --any-method 'Accept any HTTP method again'
            cand --no-json-passthrough 'Parse JSON bodies for the scenario again'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;delete'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;hooks;serve'= {
            cand --listen 'Address to listen on'
            cand --threads 'Request threads [default: 4 per core]'
            cand --max-db-size 'Refuse new events (503) while the database file is this large, e.g. 2GiB [default: no cap]'
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --metrics 'Serve Prometheus metrics on /metrics'
            cand --quiet 'No request log on stderr'
            cand --trust-proxy 'Take the client address from X-Forwarded-For (only behind a proxy you run)'
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
        &'hookq;hooks;help;help'= {
        }
        &'hookq;completions'= {
            cand --db 'The database file [default: the platform data directory, .../hookq/hookq.db]'
            cand --base-url 'The base of hook URLs [default: http://127.0.0.1:8080]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hookq;help'= {
            cand hooks 'Create, inspect and serve webhooks'
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
        &'hookq;help;completions'= {
        }
        &'hookq;help;help'= {
        }
    ]
    $completions[$command]
}
