//! Every R4 SearchParameter, read once from the generated `params/r4.json`, with each
//! FHIRPath expression parsed once.
//!
//! A parameter shared by several resource types (`clinical-patient`) becomes one
//! [`SearchParam`] per type, holding only that type's branches of the expression's union.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::fhirpath::{self, Expr};
use crate::model::{Model, R4_JSON};
use crate::query::Prefix;

/// The type of a search parameter, as R4 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    Number,
    Date,
    String,
    Token,
    Reference,
    Composite,
    Quantity,
    Uri,
    Special,
}

impl ParamKind {
    fn from_name(name: &str) -> Option<ParamKind> {
        Some(match name {
            "number" => ParamKind::Number,
            "date" => ParamKind::Date,
            "string" => ParamKind::String,
            "token" => ParamKind::Token,
            "reference" => ParamKind::Reference,
            "composite" => ParamKind::Composite,
            "quantity" => ParamKind::Quantity,
            "uri" => ParamKind::Uri,
            "special" => ParamKind::Special,
            _ => return None,
        })
    }
}

/// One search parameter as it applies to one resource type.
#[derive(Debug)]
pub struct SearchParam {
    /// The name used in URLs: `birthdate`, `_id`.
    pub code: String,
    /// The id of the SearchParameter that defines it: `individual-birthdate`.
    pub id: String,
    /// The resource type this entry applies to (`Resource` for `_id` and the like).
    pub base: String,
    pub kind: ParamKind,
    /// This base's part of the FHIRPath expression; `None` for `_text`, `_content`, `_query`.
    pub expression: Option<String>,
    /// Resource types a reference parameter may point to.
    pub targets: Vec<String>,
    /// Composite components: the component parameter's definition url and the expression,
    /// relative to each item the main expression finds.
    pub components: Vec<(String, String)>,
    /// The kind of each component, in order.
    pub component_kinds: Vec<ParamKind>,
    /// Modifiers R4 allows on this parameter type; `type` stands for `:[type]`.
    pub modifiers: Vec<String>,
    /// Prefixes the parameter accepts (`eq`, `gt`...), empty when it takes none.
    pub comparators: Vec<Prefix>,
    pub(crate) parsed: Option<Expr>,
    pub(crate) parsed_components: Vec<Expr>,
}

impl SearchParam {
    /// The canonical url of the defining SearchParameter.
    pub fn url(&self) -> String {
        format!("http://hl7.org/fhir/SearchParameter/{}", self.id)
    }

    /// Whether `modifier` (`exact`, `missing`, `type` for `:[type]`) is allowed.
    pub fn allows_modifier(&self, modifier: &str) -> bool {
        self.modifiers.iter().any(|m| m == modifier)
    }
}

#[derive(Deserialize)]
struct RawFile {
    modifiers: HashMap<String, Vec<String>>,
    compartments: HashMap<String, HashMap<String, Vec<String>>>,
    params: Vec<RawParam>,
}

#[derive(Deserialize)]
struct RawParam {
    code: String,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    bases: BTreeMap<String, Option<String>>,
    #[serde(default)]
    targets: Vec<String>,
    targets_except: Option<Vec<String>>,
    #[serde(default)]
    comparators: Vec<String>,
    #[serde(default)]
    components: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct TypeParams {
    params: Vec<SearchParam>,
    by_code: HashMap<String, usize>,
}

/// The search parameters of every resource type.
#[derive(Debug)]
pub struct Registry {
    types: HashMap<String, TypeParams>,
    /// Per compartment type, the parameters of each resource type that put a resource in it.
    compartments: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Registry {
    /// The R4 registry, built on first use.
    pub fn r4() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| Registry::from_json(R4_JSON))
    }

    fn from_json(text: &str) -> Registry {
        // The file is generated and checked by the tests; a broken one is a build defect.
        let raw: RawFile = serde_json::from_str(text).unwrap_or_else(|e| {
            panic!("search/params/r4.json has no valid parameters: {e}");
        });
        let kinds: HashMap<&str, ParamKind> = raw
            .params
            .iter()
            .filter_map(|p| Some((p.id.as_str(), ParamKind::from_name(&p.kind)?)))
            .collect();
        let mut types: HashMap<String, TypeParams> = HashMap::new();
        for param in &raw.params {
            for (base, expression) in &param.bases {
                let entry = build(param, base, expression.as_deref(), &raw.modifiers, &kinds);
                let Some(entry) = entry else { continue };
                let slot = types.entry(base.clone()).or_default();
                slot.by_code.insert(entry.code.clone(), slot.params.len());
                slot.params.push(entry);
            }
        }
        Registry { types, compartments: raw.compartments }
    }

    /// The parameters of `resource_type` whose reference to a `compartment_type` resource puts
    /// a resource in that resource's compartment (R4's CompartmentDefinitions); `None` when
    /// `resource_type` is never in such a compartment.
    pub fn compartment_params(
        &self,
        compartment_type: &str,
        resource_type: &str,
    ) -> Option<&[String]> {
        self.compartments.get(compartment_type)?.get(resource_type).map(Vec::as_slice)
    }

    /// The parameter `code` of `resource_type`, the Resource-level ones (`_id`,
    /// `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source`) included. A name that is
    /// not a concrete resource type (`Resource` itself) sees only the Resource-level ones.
    pub fn get(&self, resource_type: &str, code: &str) -> Option<&SearchParam> {
        self.chain(resource_type).find_map(|t| t.by_code.get(code).map(|&i| &t.params[i]))
    }

    /// Every parameter of `resource_type`, its own first, then the Resource-level ones.
    pub fn for_type(&self, resource_type: &str) -> impl Iterator<Item = &SearchParam> {
        self.chain(resource_type).flat_map(|t| t.params.iter())
    }

    /// Whether `name` is a concrete R4 resource type.
    pub fn is_resource_type(&self, name: &str) -> bool {
        Model::r4().is_resource(name)
    }

    /// Every concrete R4 resource type, sorted.
    pub fn resource_types(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Model::r4().resources().collect();
        names.sort_unstable();
        names
    }

    /// The type's own parameters, then those of its abstract ancestors.
    fn chain(&self, resource_type: &str) -> impl Iterator<Item = &TypeParams> {
        let model = Model::r4();
        let own = Some(resource_type).filter(|t| model.is_resource(t));
        let domain = own.filter(|t| model.is_a(t, "DomainResource")).map(|_| "DomainResource");
        [own, domain, Some("Resource")].into_iter().flatten().filter_map(|t| self.types.get(t))
    }
}

fn build(
    raw: &RawParam,
    base: &str,
    expression: Option<&str>,
    modifiers: &HashMap<String, Vec<String>>,
    kinds: &HashMap<&str, ParamKind>,
) -> Option<SearchParam> {
    let kind = ParamKind::from_name(&raw.kind)?;
    let component_ids = raw.components.iter().map(|(url, _)| url.rsplit('/').next().unwrap_or(url));
    Some(SearchParam {
        code: raw.code.clone(),
        id: raw.id.clone(),
        base: base.to_owned(),
        kind,
        expression: expression.map(str::to_owned),
        targets: targets(raw),
        components: raw.components.clone(),
        component_kinds: component_ids
            .map(|id| kinds.get(id).copied())
            .collect::<Option<_>>()
            .unwrap_or_default(),
        modifiers: modifiers.get(&raw.kind).cloned().unwrap_or_default(),
        comparators: raw.comparators.iter().filter_map(|c| Prefix::from_code(c)).collect(),
        parsed: expression.and_then(|e| fhirpath::parse(e).ok()),
        parsed_components: parse_all(raw.components.iter().map(|(_, e)| e.as_str())),
    })
}

/// All parsed, or none: a composite with a component it cannot evaluate indexes nothing.
fn parse_all<'e>(expressions: impl Iterator<Item = &'e str>) -> Vec<Expr> {
    expressions.map(fhirpath::parse).collect::<Result<_, _>>().unwrap_or_default()
}

/// The file writes "every resource type but these" for the long lists.
fn targets(raw: &RawParam) -> Vec<String> {
    let Some(except) = &raw.targets_except else { return raw.targets.clone() };
    let mut all: Vec<String> = Model::r4()
        .resources()
        .filter(|t| !except.iter().any(|e| e == t))
        .map(str::to_owned)
        .collect();
    all.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compartments_name_the_parameters_that_put_a_resource_in_them() {
        let registry = Registry::r4();
        let observation = registry.compartment_params("Patient", "Observation").unwrap();
        assert_eq!(observation, ["subject", "performer"]);
        let report = registry.compartment_params("Patient", "DiagnosticReport").unwrap();
        assert_eq!(report, ["subject"]);
        assert!(registry.compartment_params("Encounter", "Observation").is_some());
        assert_eq!(registry.compartment_params("Patient", "Organization"), None);
        assert_eq!(registry.compartment_params("Observation", "Patient"), None);
    }

    #[test]
    fn every_r4_expression_parses_within_the_supported_subset() {
        let registry = Registry::r4();
        let mut failures = Vec::new();
        for params in registry.types.values() {
            for param in &params.params {
                if param.expression.is_some() && param.parsed.is_none() {
                    failures.push(format!("{} {}", param.base, param.code));
                }
                if param.parsed_components.len() != param.components.len() {
                    failures.push(format!("{} {} components", param.base, param.code));
                }
            }
        }
        assert_eq!(failures, Vec::<String>::new());
    }

    #[test]
    fn shared_parameter_keeps_only_its_own_branch_of_the_union() {
        let param = Registry::r4().get("Observation", "code").expect("Observation code");
        assert_eq!(param.expression.as_deref(), Some("Observation.code"));
        assert_eq!(param.kind, ParamKind::Token);
        assert_eq!(param.id, "clinical-code");
    }

    #[test]
    fn union_branches_keep_the_order_the_definition_writes_them_in() {
        let param = Registry::r4().get("Observation", "combo-code-value-quantity").expect("combo");
        assert_eq!(param.expression.as_deref(), Some("Observation | Observation.component"));
    }

    #[test]
    fn resource_level_parameters_apply_to_every_type() {
        let registry = Registry::r4();
        let id = registry.get("Patient", "_id").expect("_id");
        assert_eq!(id.expression.as_deref(), Some("Resource.id"));
        let updated = registry.get("Bundle", "_lastUpdated").expect("_lastUpdated");
        assert_eq!(updated.kind, ParamKind::Date);
        assert!(registry.get("Bundle", "_text").is_none(), "Bundle is not a DomainResource");
        assert!(registry.get("Patient", "_text").is_some());
    }

    #[test]
    fn patient_has_its_parameters_and_the_resource_ones() {
        let codes: Vec<&str> =
            Registry::r4().for_type("Patient").map(|p| p.code.as_str()).collect();
        for code in ["birthdate", "gender", "identifier", "name", "_id", "_tag", "_source"] {
            assert!(codes.contains(&code), "{code} missing");
        }
    }

    #[test]
    fn reference_targets_expand_the_all_but_form() {
        let subject = Registry::r4().get("Basic", "subject").expect("Basic subject");
        assert!(subject.targets.iter().any(|t| t == "Patient"));
        assert!(!subject.targets.iter().any(|t| t == "Parameters"));
        let patient = Registry::r4().get("Observation", "patient").expect("patient");
        assert_eq!(patient.targets, ["Patient"]);
    }

    #[test]
    fn composite_components_know_their_kinds() {
        let param = Registry::r4().get("Observation", "code-value-quantity").expect("composite");
        assert_eq!(param.component_kinds, [ParamKind::Token, ParamKind::Quantity]);
        assert_eq!(param.components[1].1, "value.as(Quantity)");
    }

    #[test]
    fn unknown_types_and_codes_give_nothing() {
        assert!(Registry::r4().get("Patient", "no-such-param").is_none());
        assert!(Registry::r4().get("NoSuchType", "name").is_none());
        assert!(Registry::r4().get("NoSuchType", "_id").is_some());
    }
}
