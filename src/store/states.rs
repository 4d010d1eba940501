//! The states, statuses and settings the store keeps as words, each an
//! enum everywhere else. Each engine converts them at its edge, once each
//! way, through `as_str`/`Display` and `FromStr`: a value this binary does
//! not know (written by a newer hookq, or by hand) is an error naming it,
//! never read as some default: an unknown schedule read as `on-demand`
//! would stop a scenario without a word, an unknown status read as `error`
//! would invent a failure.

use std::fmt;
use std::str::FromStr;

/// An enum stored as one of a fixed set of words: the words, `as_str` and
/// `FromStr` (also what clap parses, and what each engine reads back),
/// `Display`.
macro_rules! stored_as_word {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order declared.
            #[allow(dead_code)]
            $vis const ALL: &'static [$name] = &[$($name::$variant,)+];

            $vis fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($word => Ok($name::$variant),)+
                    other => Err(invalid($what, other, &[$($word),+])),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_as_word! {
    /// The states of an event.
    pub enum EventState ("state") {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Incomplete = "incomplete",
        Discarded = "discarded",
    }
}

stored_as_word! {
    /// What started an execution.
    pub enum Trigger ("trigger") {
        Immediately = "immediately",
        Schedule = "schedule",
        Manual = "manual",
    }
}

stored_as_word! {
    /// How a finished execution ended (an unfinished one has none).
    pub enum ExecutionStatus ("execution status") {
        Ok = "ok",
        /// A cycle failed, or the execution could not go on.
        Error = "error",
        /// There was no event to run.
        Empty = "empty",
    }
}

stored_as_word! {
    /// How one cycle ended.
    pub enum OperationStatus ("operation status") {
        /// The command succeeded: the event was committed.
        Ok = "ok",
        Error = "error",
    }
}

impl OperationStatus {
    pub(crate) fn of(ok: bool) -> OperationStatus {
        if ok {
            OperationStatus::Ok
        } else {
            OperationStatus::Error
        }
    }
}

stored_as_word! {
    /// What the command reads on stdin.
    pub enum Input ("input") {
        /// The body as received.
        Raw = "raw",
        /// The JSON bundle: method, query, headers, content type, parsed body.
        Bundle = "bundle",
    }
}

/// `invalid state "x" (expected queued, running, done, incomplete or discarded)`.
fn invalid(what: &str, text: &str, words: &[&str]) -> String {
    let expected = match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("invalid {what} {text:?} (expected {expected})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        for word in ["queued", "running", "done", "incomplete", "discarded"] {
            assert_eq!(word.parse::<EventState>().unwrap().as_str(), word);
        }
        for word in ["ok", "error", "empty"] {
            assert_eq!(word.parse::<ExecutionStatus>().unwrap().as_str(), word);
        }
    }

    #[test]
    fn an_unknown_word_is_refused_with_the_known_ones() {
        assert_eq!(
            "paused".parse::<EventState>(),
            Err(
                "invalid state \"paused\" (expected queued, running, done, incomplete or discarded)"
                    .to_owned()
            )
        );
        assert_eq!(
            "stdin".parse::<Input>(),
            Err("invalid input \"stdin\" (expected raw or bundle)".to_owned())
        );
    }
}
