//! The states, statuses and settings the store keeps as text, each an enum
//! everywhere else: converted here, at the store's edge, once each way
//! (`ToSql` writing, `FromSql` reading). A value this binary does not know
//! (written by a newer hookq, or by hand) is an error naming it, never
//! read as some default: an unknown schedule read as `on-demand` would stop
//! a scenario without a word, an unknown status read as `error` would
//! invent a failure.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use super::Schedule;
use crate::respond::Respond;

/// An enum stored as one of a fixed set of words: the words, `as_str` and
/// `FromStr` (also what clap parses), `Display`, `ToSql` and `FromSql`.
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

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                parse_column(value)
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

/// Types whose `FromStr` and `Display` already are their stored text.
macro_rules! stored_as_text {
    ($($name:ty),+) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.to_string()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                parse_column(value)
            }
        }
    )+};
}

stored_as_text!(Schedule, Respond);

fn parse_column<T: FromStr<Err = String>>(value: ValueRef<'_>) -> FromSqlResult<T> {
    value
        .as_str()?
        .parse()
        .map_err(|e: String| FromSqlError::Other(format!("in the database: {e}").into()))
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

/// A column the store keeps as JSON text (lists of addresses, methods,
/// headers, a command's arguments, a connection's options), read as `T`.
/// Text that does not parse is an error naming the column, never a default:
/// an allow-list read as empty would let every address in, options read as
/// none would verify a request against nothing.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| conversion_error(row, idx, &text, &e))
}

/// Each element of a JSON list column parsed by `FromStr` (an allow-list's
/// address ranges): one that does not parse fails the read, as above.
pub(crate) fn json_list_column<T: FromStr>(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<Vec<T>>
where
    T::Err: fmt::Display,
{
    let words: Vec<String> = json_column(row, idx)?;
    words
        .iter()
        .map(|word| {
            word.parse()
                .map_err(|e| conversion_error(row, idx, word, &e))
        })
        .collect()
}

fn conversion_error(
    row: &rusqlite::Row<'_>,
    idx: usize,
    text: &str,
    e: &dyn fmt::Display,
) -> rusqlite::Error {
    let column = row.as_ref().column_name(idx).unwrap_or("?").to_owned();
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!(
            "in the database: column {column} holds {text:?}, which this hookq cannot read ({e})"
        )
        .into(),
    )
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

    #[test]
    fn an_unknown_value_in_the_database_is_an_error() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let read = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, EventState>(0));
        assert_eq!(read("SELECT 'done'").unwrap(), EventState::Done);
        let err = read("SELECT 'paused'").unwrap_err().to_string();
        assert!(err.contains("invalid state \"paused\""), "{err}");
        let err = conn
            .query_row("SELECT 'weekly'", [], |row| row.get::<_, Schedule>(0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"weekly\""), "{err}");
    }
}
