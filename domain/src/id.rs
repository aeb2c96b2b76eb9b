//! Logical ids and version ids, checked once where they enter the server.

use std::fmt;

/// A resource's logical id: 1 to 64 of `A-Z a-z 0-9 - .` (FHIR R4 `id` datatype).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(String);

impl ResourceId {
    pub fn parse(raw: &str) -> Option<Self> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        let valid = (1..=64).contains(&raw.len()) && raw.chars().all(valid_char);
        valid.then(|| ResourceId(raw.to_owned()))
    }

    /// A fresh server-assigned id (a UUID, 36 characters).
    pub fn generate() -> Self {
        ResourceId(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A version of a resource: 1 for the first, one more for each change, with no gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionId(pub i64);

impl VersionId {
    pub const FIRST: VersionId = VersionId(1);

    pub fn parse(raw: &str) -> Option<Self> {
        let digits = !raw.is_empty() && raw.len() <= 18 && raw.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| raw.parse().ok()).flatten().filter(|v| *v > 0).map(VersionId)
    }

    /// Reads an ETag or `ifMatch` value: `W/"3"`, `"3"` or `3`.
    pub fn parse_etag(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let raw = raw.strip_prefix("W/").unwrap_or(raw);
        let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
        VersionId::parse(raw)
    }

    pub fn next(self) -> Self {
        VersionId(self.0 + 1)
    }

    pub fn etag(self) -> String {
        format!("W/\"{}\"", self.0)
    }
}

/// The versions an `If-None-Match` header names (`*`: any version). A read of a named version
/// answers 304; a write that would replace one is refused with 412.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoneMatch {
    Any,
    /// ETags that are not version ETags name nothing.
    Versions(Vec<VersionId>),
}

impl NoneMatch {
    pub fn parse(raw: &str) -> Self {
        if raw.trim() == "*" {
            return NoneMatch::Any;
        }
        NoneMatch::Versions(raw.split(',').filter_map(VersionId::parse_etag).collect())
    }

    pub fn names(&self, version: VersionId) -> bool {
        match self {
            NoneMatch::Any => true,
            NoneMatch::Versions(versions) => versions.contains(&version),
        }
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_reads_a_star_or_a_list_of_etags() {
        let two = VersionId(2);
        assert!(NoneMatch::parse("*").names(two));
        assert!(NoneMatch::parse(r#"W/"1", W/"2""#).names(two));
        assert!(NoneMatch::parse(r#""2""#).names(two));
        assert!(!NoneMatch::parse(r#"W/"1", W/"3""#).names(two));
        assert!(!NoneMatch::parse("").names(two));
    }

    #[test]
    fn ids_follow_the_r4_id_datatype() {
        assert!(ResourceId::parse("example-1.2").is_some());
        assert!(ResourceId::parse(&"a".repeat(64)).is_some());
        assert!(ResourceId::parse(&"a".repeat(65)).is_none());
        assert!(ResourceId::parse("../x").is_none());
        assert!(ResourceId::parse("").is_none());
        assert!(ResourceId::parse("a b").is_none());
        assert!(ResourceId::parse("é").is_none());
    }

    #[test]
    fn etags_parse_in_their_weak_and_plain_forms() {
        assert_eq!(VersionId::parse_etag("W/\"3\""), Some(VersionId(3)));
        assert_eq!(VersionId::parse_etag("\"12\""), Some(VersionId(12)));
        assert_eq!(VersionId::parse_etag("7"), Some(VersionId(7)));
        assert_eq!(VersionId::parse_etag("W/\"x\""), None);
        assert_eq!(VersionId::parse_etag("0"), None);
        assert_eq!(VersionId(4).etag(), "W/\"4\"");
    }
}
