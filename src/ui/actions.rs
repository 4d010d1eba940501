//! The page's actions, every one a POST that passed the token and origin
//! checks. Each calls the function its command calls, so the page and the
//! CLI cannot disagree; then the browser is sent (303) to what changed.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::Result;

use super::http::{encode, Reply, Req};
use super::App;
use crate::clock::Clock;
use crate::cmd::hooks::set_enabled;
use crate::cmd::replay::{replay_events, send_event, Sent, TestEvent};
use crate::cmd::scenario::may_run;
use crate::cmd::Ctx;
use crate::engine;
use crate::error::Failure;
use crate::store::{self, Access, EventFilter, Store, Trigger};

/// How long "Run now" waits for its execution before showing the
/// scenario's page anyway (the execution goes on; the page shows it live).
const RUN_NOW_WAIT: Duration = Duration::from_secs(2);

pub fn act(app: &App, ctx: &Ctx, store: &mut dyn Store, req: &Req, path: &[&str]) -> Result<Reply> {
    match path {
        ["hooks", key, switch @ ("enable" | "disable")] => {
            let hook = store.hook(key)?;
            set_enabled(store, &hook, *switch == "enable", ctx.now)?;
            let fallback = format!("/hooks/{}", hook.token);
            Ok(Reply::see_other(back(req).unwrap_or(&fallback)))
        }
        ["hooks", key, "send"] => {
            let hook = store.hook(key)?;
            let event = TestEvent {
                method: req.field("method").unwrap_or("POST").to_ascii_uppercase(),
                headers: Vec::new(),
                content_type: req
                    .field("content_type")
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
                // A textarea's line ends arrive as CRLF; the body is what
                // was typed.
                body: req
                    .field("data")
                    .unwrap_or("")
                    .replace("\r\n", "\n")
                    .into_bytes(),
            };
            match send_event(store, &hook, event, ctx.now)? {
                Sent::Stored(id) => Ok(Reply::see_other(&format!("/events/{id}"))),
                // Not queued again: the hook's page, where the first one is.
                Sent::Duplicate => Ok(Reply::see_other(&format!("/hooks/{}", hook.token))),
            }
        }
        ["events", id, "replay"] => {
            let event = store.event(parse_id(id)?)?;
            let hook = store.hook(&event.hook)?;
            let filter = EventFilter {
                ids: vec![event.id],
                ..EventFilter::default()
            };
            let (report, _) = replay_events(store, &hook, filter, ctx.now, false, &mut |_| {})?;
            match (
                report.replayed.first().and_then(|r| r.new),
                report.skipped.first(),
            ) {
                (Some(new), _) => Ok(Reply::see_other(&format!("/events/{new}"))),
                (None, Some(skipped)) => Err(Failure::refused(format!(
                    "event {} was not replayed: {}",
                    skipped.event, skipped.reason
                ))
                .into()),
                (None, None) => Err(Failure::refused(format!("no event {}", event.id)).into()),
            }
        }
        ["events", id, "discard"] => {
            let id = parse_id(id)?;
            store.discard(&[id])?;
            Ok(Reply::see_other(&format!("/events/{id}")))
        }
        ["scenarios", name, switch @ ("activate" | "deactivate")] => {
            let scenario = store.scenario(name)?;
            store.set_scenario_active(scenario.id, *switch == "activate", ctx.now)?;
            Ok(Reply::see_other(&format!(
                "/scenarios/{}",
                encode(&scenario.name)
            )))
        }
        ["scenarios", name, "run"] => {
            let scenario = store.scenario(name)?;
            may_run(&scenario, false)?;
            run_now(app, &scenario.name)?;
            Ok(Reply::see_other(&format!(
                "/scenarios/{}",
                encode(&scenario.name)
            )))
        }
        _ => Err(Failure::refused("no such action").into()),
    }
}

/// Run a scenario as `scenario run` does, on its own thread and store:
/// its failure before the first cycle (another process holds it) is
/// shown; a long execution goes on after the page came back.
fn run_now(app: &App, name: &str) -> Result<()> {
    let (db, name) = (app.db.clone(), name.to_owned());
    let stopping = app.stopping.clone();
    let (done, finished) = mpsc::channel();
    let run = thread::Builder::new()
        .name("ui-run".into())
        .spawn(move || {
            let result = (|| {
                let mut store = store::open(&db, Access::Write)?;
                let scenario = store.scenario(&name)?;
                let start = engine::Start {
                    trigger: Trigger::Manual,
                    limit: None,
                    force: false,
                };
                engine::execute(
                    &mut *store,
                    &scenario,
                    start,
                    &Clock::from_env()?,
                    &|| stopping.is_stopped(),
                    &mut |_| {},
                )
            })();
            let _ = done.send(result.map(|_| ()));
        })?;
    let mut runs = app.runs.lock().unwrap_or_else(|e| e.into_inner());
    runs.retain(|run| !run.is_finished());
    runs.push(run);
    drop(runs);
    match finished.recv_timeout(RUN_NOW_WAIT) {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

fn parse_id(id: &str) -> Result<i64> {
    id.parse()
        .map_err(|_| Failure::refused(format!("no event {id:?}")).into())
}

/// Where the form asks to go back to: a path on this site only.
fn back(req: &Req) -> Option<&str> {
    req.field("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
}
