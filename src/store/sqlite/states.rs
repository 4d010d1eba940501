//! The states, statuses and settings the store keeps as text, converted
//! here, at SQLite's edge, once each way (`ToSql` writing, `FromSql`
//! reading) through their `as_str`/`Display` and `FromStr`
//! (`store/states.rs`). A value this binary does not know is an error
//! naming it, never read as some default.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::respond::Respond;
use crate::store::{EventState, ExecutionStatus, Input, OperationStatus, Schedule, Trigger};

/// Enums stored as one of their words (`as_str`).
macro_rules! stored_as_word {
    ($($name:ty),+) => {$(
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
    )+};
}

stored_as_word!(EventState, Trigger, ExecutionStatus, OperationStatus, Input);

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
    use crate::store::{EventState, Schedule};

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
