//! The vendored tiny_http reports its own failures through the `log` crate
//! (an `accept()` that fails with EMFILE, a connection thread the OS
//! refuses). With no logger installed they went nowhere: an EMFILE storm was
//! invisible. This logger writes them to stderr like the server's other
//! errors.

use std::sync::OnceLock;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::clock::{self, Clock};

/// The server's clock (`HOOKQ_NOW` in tests), for the time on each line.
static CLOCK: OnceLock<Clock> = OnceLock::new();

struct ListenerLog;

impl Log for ListenerLog {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Warn && metadata.target().starts_with("tiny_http")
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now = CLOCK.get().map_or_else(clock::system_now, Clock::now);
        let level = if record.level() == Level::Error {
            "error"
        } else {
            "warning"
        };
        crate::output::note(format_args!(
            "{} {level}: listener: {}",
            clock::format(now),
            record.args()
        ));
    }

    fn flush(&self) {}
}

/// Route the listener's errors and warnings to stderr. Once per process; a
/// logger some other part of the process installed first is left alone.
pub fn install(clock: Clock) {
    static LOGGER: ListenerLog = ListenerLog;
    let _ = CLOCK.set(clock);
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}
