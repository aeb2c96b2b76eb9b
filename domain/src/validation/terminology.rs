//! Required bindings: the codes of the R4 value sets that can be expanded from the package alone.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};

/// A value set as generated: codes by system, for the systems that could be expanded.
#[derive(Deserialize)]
pub(super) struct RawValueSet {
    url: String,
    complete: bool,
    systems: BTreeMap<String, Vec<String>>,
}

/// The checkable part of a required value set.
pub(super) struct ValueSet {
    pub(super) url: Box<str>,
    /// Every code of the value set, when all of its includes could be expanded; a bare `code`
    /// (which has no system) can only be checked then.
    all: Option<HashSet<Box<str>>>,
    /// The codes of each system whose include could be expanded. Codings of other systems are
    /// not checked: the generator could not know their codes.
    systems: HashMap<Box<str>, HashSet<Box<str>>>,
}

impl From<RawValueSet> for ValueSet {
    fn from(raw: RawValueSet) -> Self {
        let systems: HashMap<Box<str>, HashSet<Box<str>>> = raw
            .systems
            .into_iter()
            .map(|(system, codes)| (system.into(), codes.into_iter().map(Into::into).collect()))
            .collect();
        let all = raw.complete.then(|| systems.values().flatten().cloned().collect());
        ValueSet { url: raw.url.into(), all, systems }
    }
}

impl ValueSet {
    /// False only when the code is known not to be in the value set.
    pub(super) fn allows_code(&self, code: &str) -> bool {
        self.all.as_ref().is_none_or(|all| all.contains(code))
    }

    /// False only when the coding's system is one this value set fully lists and its code is
    /// not in it.
    pub(super) fn allows_coding(&self, coding: &Map<String, Value>) -> bool {
        let system = coding.get("system").and_then(Value::as_str);
        let code = coding.get("code").and_then(Value::as_str);
        let (Some(system), Some(code)) = (system, code) else { return true };
        self.systems.get(system).is_none_or(|codes| codes.contains(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gender() -> ValueSet {
        let raw = json!({
            "url": "http://hl7.org/fhir/ValueSet/administrative-gender",
            "complete": true,
            "systems": {"http://hl7.org/fhir/administrative-gender": ["male", "female"]}
        });
        ValueSet::from(serde_json::from_value::<RawValueSet>(raw).expect("valid raw value set"))
    }

    #[test]
    fn a_code_outside_a_complete_value_set_is_refused() {
        assert!(gender().allows_code("male"));
        assert!(!gender().allows_code("mail"));
    }

    #[test]
    fn codings_of_other_systems_are_not_judged() {
        let vs = gender();
        let other = json!({"system": "http://example.org", "code": "mail"});
        let same = json!({"system": "http://hl7.org/fhir/administrative-gender", "code": "mail"});
        assert!(vs.allows_coding(other.as_object().expect("object")));
        assert!(!vs.allows_coding(same.as_object().expect("object")));
    }
}
