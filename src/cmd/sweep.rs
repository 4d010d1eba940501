//! `hookq sweep`: the lifecycle rules of SPEC §7, for cron, while a server
//! runs.
//!
//! One reading of the facts gives the plan (`lifecycle::plan`); a dry run
//! reports it, a real run applies it rule by rule in short transactions
//! (sized by a [`Pacer`] to hold the write lock about 10 ms), each of which
//! asks its rule again on the facts as they are then. Between two
//! transactions the sweep pauses as long as the last one held the lock, so
//! a server's group commit and scenario runs waiting for it get it within
//! a few milliseconds.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::cli::Sweep;
use crate::clock::{self, Millis};
use crate::lifecycle::{self, DisableReason, Limits, Plan};
use crate::output;
use crate::store::{DeleteStep, PurgeCursor, Store};

/// Progress appears on a terminal only for a sweep that takes longer.
const QUIET_FOR: Duration = Duration::from_secs(2);

/// `hookq sweep --json` (SPEC §7), exactly these fields.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    now: String,
    dry_run: bool,
    disabled: Vec<Disabled>,
    deleted: Vec<String>,
    expired: Vec<String>,
    payloads_purged: u64,
}

#[derive(Debug, Serialize)]
struct Disabled {
    hook: String,
    reason: String,
}

pub fn run(ctx: &Ctx, args: Sweep) -> Result<ExitCode> {
    let limits = Limits {
        disable_unassigned_after: args.disable_unassigned_after,
        disable_inactive_after: args.disable_inactive_after,
        delete_after: args.delete_after,
        payload_retention: args.payload_retention,
    };
    let mut store = ctx.open()?;
    let plan = lifecycle::plan(&store.hook_facts()?, &limits, ctx.now);
    let report = if args.dry_run {
        predict(&*store, &plan, &limits, ctx.now)?
    } else {
        // A sweep commit lost in a power cut is done again by the next
        // sweep; no need to fsync each batch.
        store.relax_durability()?;
        let mut progress = Progress::new();
        let report = apply(&mut *store, &plan, &limits, ctx.now, &mut progress);
        progress.clear();
        report.context("the sweep stopped; what it did is committed, run it again to finish")?
    };
    if ctx.global.json {
        output::json(&report)?;
    } else {
        print_summary(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What a real sweep at `now` would report, changing nothing. Hooks the
/// plan disables are not deleted (their disabled clock would start now),
/// and the payloads of hooks it deletes are not counted as purged (they go
/// with their hook), exactly as in [`apply`].
pub(crate) fn predict(
    store: &dyn Store,
    plan: &Plan,
    limits: &Limits,
    now: Millis,
) -> Result<Report> {
    let deleting: Vec<i64> = plan.delete.iter().map(|(id, _)| *id).collect();
    Ok(Report {
        now: clock::format(now),
        dry_run: true,
        disabled: plan
            .disable
            .iter()
            .map(|(_, name, reason)| Disabled {
                hook: name.clone(),
                reason: reason.to_string(),
            })
            .collect(),
        deleted: plan.delete.iter().map(|(_, name)| name.clone()).collect(),
        expired: plan.expired.clone(),
        payloads_purged: store
            .count_payloads_to_purge(lifecycle::purge_before(limits, now), &deleting)?,
    })
}

/// Apply the plan: disable, delete, purge, give the space back.
fn apply(
    store: &mut dyn Store,
    plan: &Plan,
    limits: &Limits,
    now: Millis,
    progress: &mut Progress,
) -> Result<Report> {
    let mut report = Report {
        now: clock::format(now),
        dry_run: false,
        disabled: Vec::new(),
        deleted: Vec::new(),
        expired: Vec::new(),
        payloads_purged: 0,
    };

    let mut pacer = Pacer::new();
    let mut rest = &plan.disable[..];
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(pacer.batch().min(rest.len()));
        rest = after;
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        let disabled = store.sweep_disable(&ids, now, &|hook| hook.disable_reason(limits, now))?;
        pacer.done(chunk.len());
        let disabled: HashMap<i64, DisableReason> = disabled.into_iter().collect();
        // The plan's order (by name), less the hooks spared meanwhile, with
        // the reason recorded.
        report
            .disabled
            .extend(chunk.iter().filter_map(|(id, name, _)| {
                disabled.get(id).map(|reason| Disabled {
                    hook: name.clone(),
                    reason: reason.to_string(),
                })
            }));
        progress.show("disabling hooks", report.disabled.len() as u64);
    }

    let mut pacer = Pacer::new();
    for (id, name) in &plan.delete {
        let mut events = 0;
        loop {
            let batch = pacer.batch();
            let step =
                store.sweep_delete_step(*id, batch, &|hook| hook.must_delete(limits, now))?;
            match step {
                DeleteStep::Events(n) | DeleteStep::Deleted(n) => pacer.done(n as usize + 1),
                DeleteStep::Spared | DeleteStep::Gone => pacer.done(1),
            }
            match step {
                DeleteStep::Events(n) => {
                    events += n;
                    progress.show(&format!("deleting hook {name}, events"), events);
                }
                DeleteStep::Deleted(_) => {
                    report.deleted.push(name.clone());
                    progress.show("deleting hooks", report.deleted.len() as u64);
                    break;
                }
                DeleteStep::Spared | DeleteStep::Gone => break,
            }
        }
    }

    let before = lifecycle::purge_before(limits, now);
    let mut cursor = PurgeCursor::default();
    let mut pacer = Pacer::new();
    loop {
        // The read takes no lock: it is not paced.
        let batch = store.payloads_to_purge(before, cursor, pacer.batch())?;
        let Some(&last) = batch.last() else { break };
        let ids: Vec<i64> = batch.iter().map(|event| event.event_id).collect();
        pacer.start();
        report.payloads_purged += store.purge_payloads(&ids, before)?;
        pacer.done(ids.len());
        progress.show("purging payloads", report.payloads_purged);
        cursor = last;
    }

    // Delivery ids past their hook's dedupe window: a delivery of one of
    // them is an event again, and the table stays as small as the window.
    let mut pacer = Pacer::new();
    let mut forgotten = 0;
    loop {
        pacer.start();
        let n = store.prune_deliveries(now, pacer.batch())?;
        pacer.done(n as usize);
        if n == 0 {
            break;
        }
        forgotten += n;
        progress.show("forgetting delivery ids", forgotten);
    }

    // Deleted rows leave free pages inside the file: give them back, a
    // bounded number per transaction (moving pages holds the write lock).
    let mut reclaimed = 0;
    let mut pacer = Pacer::new();
    while store.free_pages()? > 0 {
        let pages = store.reclaim_pages(pacer.batch() as u64)?;
        pacer.done(pages as usize);
        if pages == 0 {
            break;
        }
        reclaimed += pages;
        progress.show("giving free pages back", reclaimed);
    }
    store.checkpoint()?;

    // Expired is a state: the hooks that are expired once the sweep is done.
    report.expired = store
        .hook_facts()?
        .iter()
        .filter(|hook| hook.is_expired(now))
        .map(|hook| hook.name.clone())
        .collect();
    Ok(report)
}

/// Sizes the write transactions of the sweep (and of `hooks delete`) and
/// spaces them out.
///
/// Each transaction gets as many rows as the last ones did in about
/// [`Pacer::TARGET`], so a slow disk gets smaller transactions and a fast
/// one fewer. After each, the sweep leaves the write lock free for about
/// as long as it held it: SQLite's busy handler retries by sleeping, and a
/// sweep that took the lock again at once could keep a server's writer
/// waiting for long.
pub(super) struct Pacer {
    batch: usize,
    started: Instant,
}

impl Pacer {
    const TARGET: Duration = Duration::from_millis(10);
    const FIRST: usize = 500;
    const MIN: usize = 50;
    const MAX: usize = 5_000;

    pub(super) fn new() -> Self {
        Pacer {
            batch: Self::FIRST,
            started: Instant::now(),
        }
    }

    /// The rows of the next transaction, which starts now.
    pub(super) fn batch(&mut self) -> usize {
        self.start();
        self.batch
    }

    /// The transaction starts now (after a read that takes no lock).
    fn start(&mut self) {
        self.started = Instant::now();
    }

    /// The transaction that started last has committed `rows` rows: size
    /// the next one (at most twice or half this one), and pause.
    pub(super) fn done(&mut self, rows: usize) {
        let held = self.started.elapsed();
        self.batch = Self::next_batch(self.batch, rows, held);
        thread::sleep(held.clamp(Duration::from_millis(1), Duration::from_millis(50)));
    }

    /// The rows that fit in [`Pacer::TARGET`] at the pace of the last
    /// transaction (`rows` in `held`), within half and twice `batch`.
    fn next_batch(batch: usize, rows: usize, held: Duration) -> usize {
        if rows == 0 {
            return batch;
        }
        let fits = rows as f64 * Self::TARGET.as_secs_f64() / held.as_secs_f64().max(1e-6);
        (fits as usize)
            .clamp(batch / 2, batch * 2)
            .clamp(Self::MIN, Self::MAX)
    }
}

fn print_summary(report: &Report) -> Result<()> {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let purged = report.payloads_purged as usize;
    let (when, done) = if report.dry_run {
        (
            " (dry run)",
            format!(
                "would disable {}, delete {}, purge {}",
                plural(report.disabled.len(), "hook", "hooks"),
                report.deleted.len(),
                plural(purged, "payload", "payloads"),
            ),
        )
    } else {
        (
            "",
            format!(
                "disabled {}, deleted {}, purged {}",
                plural(report.disabled.len(), "hook", "hooks"),
                report.deleted.len(),
                plural(purged, "payload", "payloads"),
            ),
        )
    };
    output::line(format_args!(
        "sweep at {}{when}: {done}; {} expired",
        report.now,
        plural(report.expired.len(), "hook", "hooks"),
    ))?;
    let disabled: Vec<&str> = report.disabled.iter().map(|d| d.hook.as_str()).collect();
    let mut names = Vec::new();
    if !disabled.is_empty() {
        names.push(format!("disabled: {}", some_of(&disabled)));
    }
    if !report.deleted.is_empty() {
        let deleted: Vec<&str> = report.deleted.iter().map(String::as_str).collect();
        names.push(format!("deleted: {}", some_of(&deleted)));
    }
    if !names.is_empty() {
        output::line(names.join("; "))?;
    }
    Ok(())
}

/// The first few names, and how many more (`--json` has them all).
fn some_of(names: &[&str]) -> String {
    const SHOWN: usize = 10;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// `purging payloads: 120000…` on stderr, overwritten in place: only on a
/// terminal, and only once the sweep has taken more than [`QUIET_FOR`].
struct Progress {
    started: Instant,
    terminal: bool,
    shown: Option<Instant>,
}

impl Progress {
    fn new() -> Self {
        Progress {
            started: Instant::now(),
            terminal: io::stderr().is_terminal(),
            shown: None,
        }
    }

    fn show(&mut self, what: &str, count: u64) {
        if !self.terminal || self.started.elapsed() < QUIET_FOR {
            return;
        }
        if self
            .shown
            .is_some_and(|at| at.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.shown = Some(Instant::now());
        let _ = write!(io::stderr().lock(), "\r\x1b[K{what}: {count}…");
    }

    /// Erase the progress line, if one was shown.
    fn clear(&mut self) {
        if self.shown.take().is_some() {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_are_sized_to_hold_the_lock_about_10_ms() {
        let ms = Duration::from_millis;
        // 500 rows in 20 ms: 250 fit in 10 ms.
        assert_eq!(Pacer::next_batch(500, 500, ms(20)), 250);
        // Never more than half or twice at a time, nor out of bounds.
        assert_eq!(Pacer::next_batch(500, 500, ms(1)), 1_000);
        assert_eq!(Pacer::next_batch(500, 500, ms(1_000)), 250);
        assert_eq!(Pacer::next_batch(4_000, 4_000, ms(1)), Pacer::MAX);
        assert_eq!(Pacer::next_batch(60, 60, ms(1_000)), Pacer::MIN);
        // A short step (a hook with few events) tells the pace all the same.
        assert_eq!(Pacer::next_batch(500, 100, ms(1)), 1_000);
        assert_eq!(Pacer::next_batch(500, 0, ms(5)), 500);
    }
}
