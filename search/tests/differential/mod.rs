//! The parts of the differential test against fhirpath.js: the examples and what our evaluator
//! and extractor make of them (`ours`), fhirpath.js in one node process (`fhirpath_js`), the
//! comparison of selected nodes (`compare`) and of index entries (`indexed`), and the
//! disagreements that are understood (`known`).

pub(crate) mod compare;
pub(crate) mod fhirpath_js;
pub(crate) mod indexed;
pub(crate) mod known;
pub(crate) mod ours;

use serde::Deserialize;
use serde_json::Value;

/// One item an engine selected, the way fhirpath.js reports it: its type (`FHIR.HumanName`,
/// `System.Boolean`) and its JSON value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Node {
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    pub(crate) value: Value,
}

/// Which check a disagreement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Check {
    /// One engine raised an error where the other selected nodes.
    Error,
    /// The two engines selected different values.
    Nodes,
    /// The same values, typed differently.
    Types,
    /// A composite's components selected different values on the same main item.
    Components,
    /// fhirpath.js selected a node of an indexable type that our extractor gave no entry for.
    Indexed,
}

/// One difference between fhirpath.js and us, on one parameter of one example.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Disagreement {
    /// The example's file name (`Patient-example.json`).
    pub(crate) example: String,
    /// The id of the SearchParameter (`individual-birthdate`).
    pub(crate) param: String,
    pub(crate) check: Check,
    pub(crate) detail: String,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {} on {}: {}", self.check, self.param, self.example, self.detail)
    }
}
