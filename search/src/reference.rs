//! Reading the target type and id out of a reference string (`Patient/1`, an absolute URL,
//! a canonical with `|version`), shared by FHIRPath's `resolve()`, extraction and queries.

use crate::model::Model;

/// The `(type, id)` a reference or URL points to, from its last two path segments, when
/// the type is a known resource type; `_history/n` and a canonical's `|version` are ignored.
pub(crate) fn target_of(reference: &str) -> Option<(&str, &str)> {
    let path = reference.split(['|', '?', '#']).next().unwrap_or(reference);
    let mut segments = path.rsplit('/');
    let mut id = segments.next()?;
    let mut type_name = segments.next()?;
    if type_name == "_history" {
        id = segments.next()?;
        type_name = segments.next()?;
    }
    let valid_id = !id.is_empty() && id.len() <= 64 && id.chars().all(is_id_char);
    (valid_id && Model::r4().is_resource(type_name)).then_some((type_name, id))
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_reference_gives_type_and_id() {
        assert_eq!(target_of("Patient/example"), Some(("Patient", "example")));
    }

    #[test]
    fn absolute_url_with_history_gives_type_and_id() {
        let url = "http://example.org/fhir/Observation/o-1/_history/2";
        assert_eq!(target_of(url), Some(("Observation", "o-1")));
    }

    #[test]
    fn canonical_with_version_gives_type_and_id() {
        let canonical = "http://hl7.org/fhir/ValueSet/example|4.0.1";
        assert_eq!(target_of(canonical), Some(("ValueSet", "example")));
    }

    #[test]
    fn urns_and_unknown_types_give_nothing() {
        assert_eq!(target_of("urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d"), None);
        assert_eq!(target_of("Foo/1"), None);
        assert_eq!(target_of("#contained"), None);
    }
}
