//! Durations (`90s`, `15m`, `120h`, `30d`) and sizes (`512KiB`, `5MiB`) as
//! the command line writes them.

use std::fmt;
use std::str::FromStr;

/// A duration in milliseconds, written with one unit: `ms`, `s`, `m`, `h`, `d`, `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub i64);

const DURATION_UNITS: [(&str, i64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

impl Duration {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0.max(0) as u64)
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid duration {text:?} (expected e.g. 90s, 15m, 120h, 30d)");
        let (number, unit) = split_number(text).ok_or_else(invalid)?;
        let (_, scale) = DURATION_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .ok_or_else(invalid)?;
        i64::try_from(number)
            .ok()
            .and_then(|n| n.checked_mul(*scale))
            .map(Duration)
            .ok_or_else(invalid)
    }
}

impl fmt::Display for Duration {
    /// The largest unit that writes the duration exactly: `120h` stays
    /// `5d`, `90s` stays `90s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, scale) = DURATION_UNITS
            .iter()
            .rev()
            .find(|(_, scale)| self.0 != 0 && self.0 % scale == 0)
            .unwrap_or(&("s", 1_000));
        if self.0 % scale == 0 {
            write!(f, "{}{unit}", self.0 / scale)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

/// A size in bytes: a plain number, or with `B`, `KiB`, `MiB`, `GiB` (also
/// `KB`, `MB`, `GB` as powers of ten).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

const SIZE_UNITS: [(&str, u64); 8] = [
    ("", 1),
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
];

impl FromStr for Size {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid size {text:?} (expected e.g. 512KiB, 5MiB, 1048576)");
        let (number, unit) = split_number(text).ok_or_else(invalid)?;
        let (_, scale) = SIZE_UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .ok_or_else(invalid)?;
        // The store keeps sizes as SQLite's signed 64-bit integers.
        number
            .checked_mul(*scale)
            .filter(|bytes| i64::try_from(*bytes).is_ok())
            .map(Size)
            .ok_or_else(|| format!("size {text:?} is too large (at most {} bytes)", i64::MAX))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, scale) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
            .into_iter()
            .find(|(_, scale)| self.0 != 0 && self.0.is_multiple_of(*scale))
            .unwrap_or(("B", 1));
        write!(f, "{}{unit}", self.0 / scale)
    }
}

/// `"15m"` → `(15, "m")`; `None` without leading digits.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number = text[..digits].parse().ok()?;
    Some((number, text[digits..].trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_of_the_spec() {
        assert_eq!("90s".parse(), Ok(Duration(90_000)));
        assert_eq!("15m".parse(), Ok(Duration(900_000)));
        assert_eq!("120h".parse(), Ok(Duration(432_000_000)));
        assert_eq!("30d".parse(), Ok(Duration(2_592_000_000)));
        assert_eq!("250ms".parse(), Ok(Duration(250)));
        for bad in [
            "",
            "15",
            "m",
            "-5m",
            "1.5h",
            "15 minutes",
            "99999999999999999999d",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_durations_in_the_largest_exact_unit() {
        assert_eq!(Duration(432_000_000).to_string(), "5d");
        assert_eq!(Duration(90_000).to_string(), "90s");
        assert_eq!(Duration(300_000).to_string(), "5m");
        assert_eq!(Duration(1_500).to_string(), "1500ms");
        assert_eq!(Duration(0).to_string(), "0s");
    }

    #[test]
    fn parses_sizes_of_the_spec() {
        assert_eq!("512KiB".parse(), Ok(Size(524_288)));
        assert_eq!("5MiB".parse(), Ok(Size(5_242_880)));
        assert_eq!("5mib".parse(), Ok(Size(5_242_880)));
        assert_eq!("1024".parse(), Ok(Size(1024)));
        assert_eq!("2KB".parse(), Ok(Size(2_000)));
        for bad in ["", "KiB", "5 parsecs", "-1", "1.5MiB"] {
            assert!(bad.parse::<Size>().is_err(), "{bad}");
        }
        assert_eq!(Size(5_242_880).to_string(), "5MiB");
        assert_eq!(Size(1000).to_string(), "1000B");
    }
}
