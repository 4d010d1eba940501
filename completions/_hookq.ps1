
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
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Create, inspect and serve webhooks')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;hooks' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
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
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hookq;hooks;create' {
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Accepted requests per second (burst of the same size); 0 = unlimited [default: 5]')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Queued events at most; more are refused with 503 [default: 10000]')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest accepted body, e.g. 512KiB [default: 5MiB]')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Only accept clients in this range (repeatable) [default: any]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Only accept this HTTP method (repeatable) [default: any]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json-passthrough', '--json-passthrough', [CompletionResultType]::ParameterName, 'Give scenarios a JSON body as text instead of parsed JSON')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;list' {
            [CompletionResult]::new('--search', '--search', [CompletionResultType]::ParameterName, 'Only hooks whose name, token/URL, scenario or connection contains TERM (any case)')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;show' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;url' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;enable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;disable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;edit' {
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Accepted requests per second (burst of the same size); 0 = unlimited [default: 5]')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Queued events at most; more are refused with 503 [default: 10000]')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest accepted body, e.g. 512KiB [default: 5MiB]')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Only accept clients in this range (repeatable) [default: any]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Only accept this HTTP method (repeatable) [default: any]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json-passthrough', '--json-passthrough', [CompletionResultType]::ParameterName, 'Give scenarios a JSON body as text instead of parsed JSON')
            [CompletionResult]::new('--any-ip', '--any-ip', [CompletionResultType]::ParameterName, 'Accept any client address again')
            [CompletionResult]::new('--any-method', '--any-method', [CompletionResultType]::ParameterName, 'Accept any HTTP method again')
            [CompletionResult]::new('--no-json-passthrough', '--no-json-passthrough', [CompletionResultType]::ParameterName, 'Parse JSON bodies for the scenario again')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;delete' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;hooks;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Request threads [default: 4 per core]')
            [CompletionResult]::new('--max-db-size', '--max-db-size', [CompletionResultType]::ParameterName, 'Refuse new events (503) while the database file is this large, e.g. 2GiB [default: no cap]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--metrics', '--metrics', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics on /metrics')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No request log on stderr')
            [CompletionResult]::new('--trust-proxy', '--trust-proxy', [CompletionResultType]::ParameterName, 'Take the client address from X-Forwarded-For (only behind a proxy you run)')
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
        'hookq;hooks;help;help' {
            break
        }
        'hookq;completions' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the platform data directory, .../hookq/hookq.db]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The base of hook URLs [default: http://127.0.0.1:8080]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hookq;help' {
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Create, inspect and serve webhooks')
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
