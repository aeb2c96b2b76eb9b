//! The 146 resource types of FHIR R4, parsed once at the edge.

use std::fmt;

/// Every concrete R4 resource type, from the official StructureDefinitions (4.0.1).
const R4_RESOURCE_TYPES: &str = include_str!("resource_type_list.txt");

/// A resource type name known to FHIR R4, e.g. `Patient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceType(&'static str);

impl ResourceType {
    /// Returns the type named `name`, or `None` when R4 has no such resource type.
    pub fn parse(name: &str) -> Option<Self> {
        R4_RESOURCE_TYPES.lines().find(|known| *known == name).map(ResourceType)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// All R4 resource types, in alphabetical order.
    pub fn all() -> impl Iterator<Item = ResourceType> {
        R4_RESOURCE_TYPES.lines().filter(|line| !line.is_empty()).map(ResourceType)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r4_has_146_resource_types() {
        assert_eq!(ResourceType::all().count(), 146);
    }

    #[test]
    fn known_types_parse_and_unknown_ones_do_not() {
        assert_eq!(
            ResourceType::parse("ImagingStudy").map(ResourceType::as_str),
            Some("ImagingStudy")
        );
        assert_eq!(ResourceType::parse("imagingstudy"), None);
        assert_eq!(ResourceType::parse("Resource"), None);
        assert_eq!(ResourceType::parse(""), None);
    }
}
