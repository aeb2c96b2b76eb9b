//! The R4 element model (types, their elements and bases), read once from `params/r4.json`.
//!
//! FHIRPath navigation needs it to know an element's type: which JSON keys a choice element
//! such as `Observation.value[x]` may use, what `is`/`as` test, and which code system a
//! `code` element implies through its required binding.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use serde::Deserialize;

/// The generated definitions; shared with the registry, which reads its own part of it.
pub(crate) const R4_JSON: &str = include_str!("../params/r4.json");

#[derive(Deserialize)]
struct RawModel {
    resources: Vec<String>,
    bindings: HashMap<String, String>,
    types: HashMap<String, RawType>,
}

#[derive(Deserialize)]
struct RawType {
    base: Option<String>,
    kind: Option<String>,
    elements: HashMap<String, String>,
}

/// One element of a type: either a plain element or a choice (`value[x]`).
#[derive(Debug, Clone)]
pub(crate) struct ElementDef {
    /// One for a plain element, one per allowed type for a choice.
    pub(crate) variants: Vec<Variant>,
    /// Implicit code system of a `code` element bound (required) to a single code system.
    pub(crate) system: Option<String>,
}

/// One JSON spelling of an element and the type it then has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Variant {
    /// `valueQuantity`
    pub(crate) key: String,
    /// `_valueQuantity`, where JSON puts the id and extensions of a primitive value.
    pub(crate) shadow_key: String,
    pub(crate) type_name: String,
    /// Only primitives have a `_name` sibling worth looking up.
    pub(crate) primitive: bool,
}

/// FNV-1a: the model's keys are short, trusted names looked up on every navigation step,
/// where SipHash's resistance to chosen keys buys nothing and costs a fifth of extraction.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for byte in bytes {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type FastMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

#[derive(Debug)]
struct TypeDef {
    base: Option<String>,
    primitive: bool,
    elements: FastMap<ElementDef>,
}

/// The element model of FHIR R4.
#[derive(Debug)]
pub(crate) struct Model {
    types: FastMap<TypeDef>,
    resources: HashSet<String, BuildHasherDefault<Fnv>>,
}

impl Model {
    /// The model of R4, parsed on first use.
    pub(crate) fn r4() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| Model::from_json(R4_JSON))
    }

    fn from_json(text: &str) -> Model {
        // The file is generated and checked by the tests; a broken one is a build defect.
        let raw: RawModel = serde_json::from_str(text).unwrap_or_else(|e| {
            panic!("search/params/r4.json is not a valid model: {e}");
        });
        let primitives: HashSet<&str> = raw
            .types
            .iter()
            .filter(|(_, t)| t.kind.as_deref() == Some("primitive-type"))
            .map(|(name, _)| name.as_str())
            .collect();
        let mut types: FastMap<TypeDef> = raw
            .types
            .iter()
            .map(|(name, t)| (name.clone(), type_def(name, t, &raw.bindings, &primitives)))
            .collect();
        flatten(&mut types);
        Model { types, resources: raw.resources.into_iter().collect() }
    }

    /// The model's own copy of a type name, so that items can carry `&'static str` types.
    pub(crate) fn type_name(&'static self, name: &str) -> Option<&'static str> {
        self.types.get_key_value(name).map(|(k, _)| k.as_str())
    }

    /// Whether `name` is a concrete resource type (`Patient`, not `DomainResource`).
    pub(crate) fn is_resource(&self, name: &str) -> bool {
        self.resources.contains(name)
    }

    /// Every concrete resource type, unordered.
    pub(crate) fn resources(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().map(String::as_str)
    }

    pub(crate) fn is_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    pub(crate) fn is_primitive(&self, name: &str) -> bool {
        self.types.get(name).is_some_and(|t| t.primitive)
    }

    /// Whether `ty` is `target` or derives from it (`Age` is a `Quantity`, `code` a `string`).
    pub(crate) fn is_a(&self, ty: &str, target: &str) -> bool {
        let mut current = Some(ty);
        while let Some(name) = current {
            if name == target {
                return true;
            }
            current = self.types.get(name).and_then(|t| t.base.as_deref());
        }
        false
    }

    /// The element `name` of type `ty`, inherited ones included.
    pub(crate) fn element(&'static self, ty: &str, name: &str) -> Option<&'static ElementDef> {
        self.types.get(ty)?.elements.get(name)
    }
}

/// Copies inherited elements into every type, so that a lookup is one step at run time.
fn flatten(types: &mut FastMap<TypeDef>) {
    let names: Vec<String> = types.keys().cloned().collect();
    for name in names {
        let mut inherited = Vec::new();
        let mut base = types.get(&name).and_then(|t| t.base.clone());
        while let Some(ancestor) = base.and_then(|b| types.get(&b)) {
            inherited.extend(ancestor.elements.iter().map(|(k, v)| (k.clone(), v.clone())));
            base = ancestor.base.clone();
        }
        let Some(def) = types.get_mut(&name) else { continue };
        for (key, element) in inherited {
            def.elements.entry(key).or_insert(element);
        }
    }
}

fn type_def(
    name: &str,
    raw: &RawType,
    bindings: &HashMap<String, String>,
    primitives: &HashSet<&str>,
) -> TypeDef {
    let elements = raw
        .elements
        .iter()
        .map(|(key, types)| {
            let plain = key.strip_suffix("[x]").unwrap_or(key);
            let system = bindings.get(&format!("{name}.{plain}")).cloned();
            (plain.to_owned(), ElementDef { variants: variants(key, types, primitives), system })
        })
        .collect();
    TypeDef {
        base: raw.base.clone(),
        primitive: raw.kind.as_deref() == Some("primitive-type"),
        elements,
    }
}

/// JSON keys of an element: `value[x]` of `Quantity string` gives `valueQuantity`, `valueString`.
fn variants(key: &str, types: &str, primitives: &HashSet<&str>) -> Vec<Variant> {
    let variant = |key: String, type_name: &str| Variant {
        shadow_key: format!("_{key}"),
        key,
        type_name: type_name.to_owned(),
        primitive: primitives.contains(type_name),
    };
    match key.strip_suffix("[x]") {
        None => vec![variant(key.to_owned(), types)],
        Some(stem) => {
            types.split(' ').map(|ty| variant(format!("{stem}{}", capitalize(ty)), ty)).collect()
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observation_value_is_a_choice_with_quantity_among_its_keys() {
        let element = Model::r4().element("Observation", "value").expect("value[x]");
        let keys: Vec<_> = element.variants.iter().map(|v| (&*v.key, &*v.type_name)).collect();
        assert!(keys.contains(&("valueQuantity", "Quantity")));
        assert!(keys.contains(&("valueDateTime", "dateTime")));
    }

    #[test]
    fn patient_gender_implies_the_administrative_gender_system() {
        let element = Model::r4().element("Patient", "gender").expect("gender");
        assert_eq!(element.system.as_deref(), Some("http://hl7.org/fhir/administrative-gender"));
    }

    #[test]
    fn inherited_elements_are_found_through_the_base_chain() {
        let model = Model::r4();
        assert_eq!(model.element("Patient", "meta").expect("meta").variants[0].type_name, "Meta");
        assert!(model.element("Observation.component", "modifierExtension").is_some());
    }

    #[test]
    fn age_is_a_quantity_and_code_is_a_string() {
        let model = Model::r4();
        assert!(model.is_a("Age", "Quantity"));
        assert!(model.is_a("code", "string"));
        assert!(!model.is_a("string", "code"));
        assert!(model.is_a("Patient", "Resource"));
    }
}
