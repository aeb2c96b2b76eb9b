//! SQL text and its bound values, built left to right so that every `?` meets its value.

use sea_orm::Value;

/// A fragment of SQL with the values of its `?` placeholders, in order.
#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(super) fn new(text: &str) -> Sql {
        Sql { text: text.to_owned(), values: Vec::new() }
    }

    /// Appends SQL text; it must hold no `?`, which `bind` alone writes.
    pub(super) fn push(&mut self, text: &str) -> &mut Sql {
        debug_assert!(!text.contains('?'), "placeholders are written by bind");
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    /// Appends `(?, ?, ...)` bound to `values`.
    pub(super) fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")");
    }

    pub(super) fn append(&mut self, other: &Sql) -> &mut Sql {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// Appends `parts` joined by `separator` (` OR `, ` AND `), in parentheses.
    pub(super) fn join(&mut self, parts: &[Sql], separator: &str) -> &mut Sql {
        self.push("(");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                self.push(separator);
            }
            self.append(part);
        }
        self.push(")")
    }

    pub(super) fn into_parts(self) -> (String, Vec<Value>) {
        (self.text, self.values)
    }
}

/// A condition that always holds, or never does, written the same on both backends.
pub(super) fn always(holds: bool) -> Sql {
    Sql::new(if holds { "1 = 1" } else { "1 = 0" })
}

/// The smallest string greater than every string that starts with `prefix`, so that a prefix
/// match is the index range `>= prefix AND < upper` under byte order; `None` when there is none.
pub(super) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // UTF-8 keeps code point order, so the next code point sorts right after.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `%text%` for LIKE, with `\` escaping LIKE's own wildcards.
pub(super) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_their_placeholders() {
        let mut sql = Sql::new("a = ");
        sql.bind(1i64).push(" AND b IN ").bind_list(["x", "y"]);
        let (text, values) = sql.into_parts();
        assert_eq!(text, "a = ? AND b IN (?, ?)");
        assert_eq!(values.len(), 3);
    }

    #[test]
    fn the_upper_bound_of_a_prefix_is_its_last_character_moved_on() {
        assert_eq!(prefix_upper_bound("mul").as_deref(), Some("mum"));
        assert_eq!(prefix_upper_bound("zo\u{10FFFF}").as_deref(), Some("zp"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn like_wildcards_in_a_value_are_escaped() {
        assert_eq!(contains_pattern("50%_a"), r"%50\%\_a%");
    }
}
