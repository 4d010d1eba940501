//! What is JSON: RFC 8259's grammar, not one parser's limits (SPEC §4).
//!
//! serde_json refuses JSON that senders write every day: a lone surrogate
//! escape (`"\ud83c"`, a string cut inside an emoji by Node's
//! `JSON.stringify` or Python's `json.dumps`), a number out of `f64`'s range
//! (`1e400`), nesting deeper than 128, a UTF-8 byte-order mark. Refusing a
//! webhook its sender considers valid loses it, so the server and
//! `hooks send` judge a body with this scanner instead. It never recurses
//! (the nesting is a `Vec`) and never computes a number, so any body within
//! `--max-body` is judged in one pass.

use std::fmt;

/// The UTF-8 encoding of U+FEFF, which RFC 8259 §8.1 lets a parser ignore.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a body is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Offset in the body as received (a byte-order mark included).
    pub(crate) byte: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) what: &'static str,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {} (byte {})",
            self.what, self.line, self.column, self.byte
        )
    }
}

/// A body that is JSON text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// It starts with a byte-order mark.
    pub(crate) bom: bool,
    /// Offsets of the `\uXXXX` escapes that are a surrogate without its
    /// pair: valid by the grammar, not a Unicode character.
    pub(crate) lone_surrogates: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// Just after `[`: a value or `]`.
    FirstItem,
    /// Just after `{`: a key or `}`.
    FirstKey,
    Key,
    Colon,
    CommaOrClose,
    End,
}

/// Judge `body` by RFC 8259's grammar (an optional byte-order mark first).
pub fn check(body: &[u8]) -> Result<Checked, Invalid> {
    let bom = body.starts_with(BOM);
    let start = if bom { BOM.len() } else { 0 };
    let fail = |byte: usize, what: &'static str| Err(invalid(body, byte, what));
    if let Err(e) = std::str::from_utf8(&body[start..]) {
        return fail(start + e.valid_up_to(), "invalid UTF-8");
    }
    let mut checked = Checked {
        bom,
        lone_surrogates: Vec::new(),
    };
    // The open containers, innermost last: b'[' or b'{'.
    let mut open: Vec<u8> = Vec::new();
    let mut expect = Expect::Value;
    let mut i = start;
    loop {
        while matches!(body.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        let Some(&b) = body.get(i) else {
            return match expect {
                Expect::End => Ok(checked),
                // Only a top-level value is expected with nothing open.
                Expect::Value if open.is_empty() => fail(i, "no JSON value: the body is empty"),
                _ => fail(i, "unexpected end of the body"),
            };
        };
        let after = |open: &Vec<u8>| {
            if open.is_empty() {
                Expect::End
            } else {
                Expect::CommaOrClose
            }
        };
        expect = match (expect, b) {
            (Expect::End, _) => return fail(i, "unexpected text after the JSON value"),
            (Expect::FirstItem, b']') | (Expect::FirstKey, b'}') => {
                open.pop();
                i += 1;
                after(&open)
            }
            (Expect::Value | Expect::FirstItem, _) => match b {
                b'[' | b'{' => {
                    open.push(b);
                    i += 1;
                    if b == b'[' {
                        Expect::FirstItem
                    } else {
                        Expect::FirstKey
                    }
                }
                b'"' => {
                    i = string(body, i, &mut checked.lone_surrogates)?;
                    after(&open)
                }
                b'-' | b'0'..=b'9' => {
                    i = number(body, i)?;
                    after(&open)
                }
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match b {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if !body[i..].starts_with(word) {
                        return fail(i, "expected a value");
                    }
                    i += word.len();
                    after(&open)
                }
                _ => return fail(i, "expected a value"),
            },
            (Expect::FirstKey | Expect::Key, b'"') => {
                i = string(body, i, &mut checked.lone_surrogates)?;
                Expect::Colon
            }
            (Expect::FirstKey | Expect::Key, _) => return fail(i, "expected a string key"),
            (Expect::Colon, b':') => {
                i += 1;
                Expect::Value
            }
            (Expect::Colon, _) => return fail(i, "expected ':'"),
            (Expect::CommaOrClose, _) => {
                let inner = open.last().copied();
                match (inner, b) {
                    (Some(b'['), b',') => {
                        i += 1;
                        Expect::Value
                    }
                    (Some(b'{'), b',') => {
                        i += 1;
                        Expect::Key
                    }
                    (Some(b'['), b']') | (Some(b'{'), b'}') => {
                        open.pop();
                        i += 1;
                        after(&open)
                    }
                    (Some(b'['), _) => return fail(i, "expected ',' or ']'"),
                    _ => return fail(i, "expected ',' or '}'"),
                }
            }
        };
    }
}

/// The body as the bundle hands it on: without a byte-order mark, and
/// each lone surrogate escape written `\ufffd` (U+FFFD, the replacement
/// character), so that every JSON parser reads it. `None` if it is not JSON.
pub(crate) fn for_bundle(body: &[u8]) -> Option<String> {
    let checked = check(body).ok()?;
    let start = if checked.bom { BOM.len() } else { 0 };
    let mut text = body[start..].to_vec();
    for at in checked.lone_surrogates {
        // Same length: `\uXXXX` becomes `\ufffd`.
        text[at - start + 2..at - start + 6].copy_from_slice(b"fffd");
    }
    String::from_utf8(text).ok()
}

/// A string starting at `body[i] == b'"'`; the offset just past it.
fn string(body: &[u8], mut i: usize, lone: &mut Vec<usize>) -> Result<usize, Invalid> {
    i += 1;
    loop {
        match body.get(i) {
            None => return Err(invalid(body, i, "unterminated string")),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match body.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    let unit = hex4(body, i)?;
                    if (0xD800..0xDC00).contains(&unit)
                        && body.get(i + 6..i + 8) == Some(&b"\\u"[..])
                        && hex4(body, i + 6).is_ok_and(|low| (0xDC00..0xE000).contains(&low))
                    {
                        i += 12;
                    } else {
                        if (0xD800..0xE000).contains(&unit) {
                            lone.push(i);
                        }
                        i += 6;
                    }
                }
                _ => return Err(invalid(body, i, "invalid escape in a string")),
            },
            Some(&b) if b < 0x20 => {
                return Err(invalid(body, i, "control character in a string"));
            }
            Some(_) => i += 1,
        }
    }
}

/// The code unit of the `\uXXXX` escape at `body[i]`.
fn hex4(body: &[u8], i: usize) -> Result<u32, Invalid> {
    let digits = body
        .get(i + 2..i + 6)
        .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
        .ok_or_else(|| invalid(body, i, "invalid \\u escape in a string"))?;
    let text = std::str::from_utf8(digits).expect("hex digits are ASCII");
    Ok(u32::from_str_radix(text, 16).expect("four hex digits"))
}

/// A number starting at `body[i]`; the offset just past it. Any size: the
/// grammar has no limits, and nothing here computes its value.
fn number(body: &[u8], mut i: usize) -> Result<usize, Invalid> {
    let start = i;
    let digits = |i: &mut usize| {
        let from = *i;
        while body.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    if body.get(i) == Some(&b'-') {
        i += 1;
    }
    match body.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return Err(invalid(body, start, "invalid number")),
    }
    if body.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return Err(invalid(body, start, "invalid number"));
        }
    }
    if matches!(body.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(body.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return Err(invalid(body, start, "invalid number"));
        }
    }
    Ok(i)
}

fn invalid(body: &[u8], byte: usize, what: &'static str) -> Invalid {
    let before = &body[..byte.min(body.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    // Columns count characters, not bytes (nor a byte-order mark).
    let column = String::from_utf8_lossy(&before[line_start..])
        .trim_start_matches('\u{feff}')
        .chars()
        .count()
        + 1;
    Invalid {
        byte,
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        column,
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_grammar_accepts() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let big = format!("{{\"n\":{}}}", "1".repeat(40));
        for ok in [
            &b"{}"[..],
            b"[]",
            b" [1, -0, 0.5, -1.25e+3, 1E-2, 1e400, true, false, null] ",
            br#"{"a":{"b":[{"c":"d"}]},"e":""}"#,
            br#""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
            br#"{"t":"\ud83c"}"#,
            br#"["\udc00x"]"#,
            "\"é ∑ 😀\"".as_bytes(),
            b"\xEF\xBB\xBF{\"a\":1}",
            b"0",
            b"\"\"",
            big.as_bytes(),
            deep.as_bytes(),
        ] {
            assert!(check(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn refuses_what_is_not_json_and_says_where() {
        for (bad, what, byte) in [
            (&b"{abc"[..], "expected a string key", 1),
            (b"[1,]", "expected a value", 3),
            (b"{\"a\":1,}", "expected a string key", 7),
            (b"{\"a\" 1}", "expected ':'", 5),
            (b"[1 2]", "expected ',' or ']'", 3),
            (b"{\"a\":1]", "expected ',' or '}'", 6),
            (b"", "no JSON value: the body is empty", 0),
            (b"  \n", "no JSON value: the body is empty", 3),
            (b"[1", "unexpected end of the body", 2),
            (b"{} {}", "unexpected text after the JSON value", 3),
            (b"\"a\xffb\"", "invalid UTF-8", 2),
            (b"\"a\nb\"", "control character in a string", 2),
            (b"\"\\x\"", "invalid escape in a string", 1),
            (b"\"\\u12\"", "invalid \\u escape in a string", 1),
            (b"\"abc", "unterminated string", 4),
            (b"01", "unexpected text after the JSON value", 1),
            (b"1.", "invalid number", 0),
            (b"-", "invalid number", 0),
            (b"1e+", "invalid number", 0),
            (b"+1", "expected a value", 0),
            (b"NaN", "expected a value", 0),
            (b"tru", "expected a value", 0),
            (b"'a'", "expected a value", 0),
            (b"\xEF\xBB\xBF", "no JSON value: the body is empty", 3),
        ] {
            let error = check(bad).expect_err(&String::from_utf8_lossy(bad));
            assert_eq!((error.what, error.byte), (what, byte), "{bad:?}");
        }
        let error = check(b"{\n  \"a\": 1,\n  }").unwrap_err();
        assert_eq!(
            error.to_string(),
            "expected a string key at line 3, column 3 (byte 14)"
        );
    }

    #[test]
    fn the_bundle_text_drops_the_bom_and_replaces_lone_surrogates() {
        assert_eq!(
            for_bundle(
                b"\xEF\xBB\xBF{\"t\":\"\\ud83c\",\"p\":\"\\ud83d\\ude00\",\"l\":\"\\uDC00\"}"
            )
            .unwrap(),
            r#"{"t":"\ufffd","p":"\ud83d\ude00","l":"\ufffd"}"#
        );
        assert_eq!(for_bundle(b"[1e400]").unwrap(), "[1e400]");
        assert_eq!(for_bundle(b"{abc"), None);
        let text = for_bundle(br#"["\ud83c\ud83c\ude00"]"#).unwrap();
        assert_eq!(text, r#"["\ufffd\ud83c\ude00"]"#);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0], "\u{fffd}\u{1f200}");
    }
}
