//! What a name (of a hook, scenario or connection) may contain: characters
//! a person can see and tell apart in a listing.

/// A character that shows nothing, or that reorders the text around it:
/// controls, and Unicode's format characters (general category `Cf`: zero
/// width spaces and joiners, bidirectional embeddings, overrides and
/// isolates, the byte order mark, tags...), plus the fillers that render
/// as blank. With one, `\u{200b}zw` and `zw` look the same in `hooks list`,
/// and U+202E turns the rest of a row around.
pub fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// The first character of `name` a name cannot hold, said so a person can
/// find it (most of them are invisible), e.g. `U+202E (invisible or
/// bidirectional control)`.
pub fn refused_char(name: &str) -> Option<String> {
    name.chars().find_map(|c| {
        if c.is_whitespace() {
            Some(format!("whitespace (U+{:04X})", u32::from(c)))
        } else if invisible(c) {
            Some(format!(
                "U+{:04X}, an invisible, control or bidirectional character",
                u32::from(c)
            ))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_bidirectional_characters_are_refused() {
        for c in [
            '\u{0}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{AD}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{E0041}',
        ] {
            let name = format!("a{c}b");
            assert!(refused_char(&name).is_some(), "U+{:04X}", u32::from(c));
        }
        for name in [
            "github-push",
            "café.orders_v2",
            "日本語",
            "Ωmega",
            "emoji🚀",
            "a+b@c",
        ] {
            assert_eq!(refused_char(name), None, "{name}");
        }
        assert_eq!(
            refused_char("two words").as_deref(),
            Some("whitespace (U+0020)")
        );
    }
}
