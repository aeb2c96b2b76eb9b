//! Search-value escaping: `,`, `|` and `$` separate parts unless a backslash precedes them,
//! and `\,`, `\|`, `\$`, `\\` stand for the character itself.

/// Splits on every `separator` not preceded by a backslash; escapes are kept for `unescape`.
pub(crate) fn split_unescaped(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == separator => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Removes the backslash of `\,`, `\|`, `\$` and `\\`; other backslashes stay.
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if matches!(next, ',' | '|' | '$' | '\\') => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_commas_do_not_split() {
        assert_eq!(split_unescaped(r"a\,b,c", ','), [r"a\,b", "c"]);
        assert_eq!(unescape(r"a\,b"), "a,b");
    }

    #[test]
    fn an_escaped_backslash_does_not_escape_the_separator() {
        assert_eq!(split_unescaped(r"a\\,b", ','), [r"a\\", "b"]);
        assert_eq!(unescape(r"a\\"), r"a\");
    }

    #[test]
    fn pipes_and_dollars_split_the_same_way() {
        assert_eq!(split_unescaped(r"http://s|c\|d", '|'), ["http://s", r"c\|d"]);
        assert_eq!(split_unescaped("x$y", '$'), ["x", "y"]);
        assert_eq!(split_unescaped("", ','), [""]);
    }
}
