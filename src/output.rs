//! Writing results: aligned tables for people, JSON for scripts. Every write
//! returns its I/O error so that a closed pipe ends the command quietly.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

/// Pretty JSON and a newline on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    // Buffered: stdout is line-buffered, and a pretty list of 10,000 hooks
    // is 170,000 lines (one write each).
    let mut out = io::BufWriter::new(io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// One line on stdout.
pub fn line(text: impl std::fmt::Display) -> Result<()> {
    writeln!(io::stdout().lock(), "{text}")?;
    Ok(())
}

/// One line on stderr: a log line, a notice, an error report. Unlike
/// `eprintln!`, it never panics: when stderr is a pipe whose reader died
/// (`serve 2>&1 | logger`, the logger gone), a panic would end the server
/// thread that was logging, one request or scheduler at a time.
pub fn note(text: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// A table with a header row; columns padded to their widest cell.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header
                .into_iter()
                .map(|s| s.into().to_uppercase())
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) -> Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = io::BufWriter::new(io::stdout().lock());
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if i == last {
                    writeln!(out, "{cell}")?;
                } else {
                    write!(out, "{cell:<width$}  ")?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// Print key/value pairs, keys aligned.
pub fn fields(pairs: &[(&str, String)]) -> Result<()> {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = io::BufWriter::new(io::stdout().lock());
    for (key, value) in pairs {
        writeln!(out, "{key:<width$}  {value}")?;
    }
    out.flush()?;
    Ok(())
}
