//! Evaluation of the supported FHIRPath subset over a resource's JSON, typed by the model.

use serde_json::{Map, Value};

use super::item::{Item, Node, collections_equal, items_equal, truth};
use super::parser::{BinaryOp, Expr, Literal, TypeOp, TypeSpec};
use super::{FhirPathError, Mode};
use crate::model::{Model, Variant};
use crate::reference;

const SYSTEM_TYPES: [&str; 8] =
    ["Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity"];

/// What a type specifier names.
#[derive(Debug, Clone, Copy)]
enum TypeTarget {
    Fhir(&'static str),
    System(&'static str),
    /// A qualified name that no type has (`System.Patient`): matches nothing.
    Nothing,
}

pub(crate) struct Evaluator<'a> {
    pub(crate) root: &'a Value,
    pub(crate) mode: Mode,
    pub(crate) model: &'static Model,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn eval(
        &self,
        expr: &Expr,
        focus: &[Item<'a>],
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        match expr {
            Expr::Literal(literal) => Ok(literal_items(literal)),
            Expr::Identifier(name) => Ok(self.path_start(name, focus)),
            Expr::Member(target, name) => Ok(self.children(&self.eval(target, focus)?, name)),
            Expr::Call { target, name, args } => {
                let input = self.input(target.as_deref(), focus)?;
                self.call(name, args, input)
            }
            Expr::TypeTest { target, op, spec } => {
                let input = self.input(target.as_deref(), focus)?;
                self.type_test(*op, spec, input)
            }
            Expr::Index(target, index) => self.index(target, index, focus),
            Expr::Binary(op, left, right) => self.binary(*op, left, right, focus),
            Expr::Variable(name) if name == "this" => Ok(focus.to_vec()),
            Expr::External(name) if name == "resource" => Ok(vec![super::root(self.root)]),
            _ => Err(FhirPathError::Unsupported("expression outside the subset".into())),
        }
    }

    fn input(
        &self,
        target: Option<&Expr>,
        focus: &[Item<'a>],
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        match target {
            Some(target) => self.eval(target, focus),
            None => Ok(focus.to_vec()),
        }
    }

    /// A capitalised name that is a type filters the focus (`Patient.name` on a Patient);
    /// any other name is a child of it.
    fn path_start(&self, name: &str, focus: &[Item<'a>]) -> Vec<Item<'a>> {
        if name.starts_with(|c: char| c.is_ascii_uppercase()) && self.model.is_type(name) {
            return focus
                .iter()
                .filter(|item| matches!(item, Item::Node(n) if self.model.is_a(n.type_name, name)))
                .cloned()
                .collect();
        }
        self.children(focus, name)
    }

    fn children(&self, items: &[Item<'a>], name: &str) -> Vec<Item<'a>> {
        let mut out = Vec::new();
        for item in items {
            if let Item::Node(node) = item {
                self.push_children(node, name, &mut out);
            }
        }
        out
    }

    fn push_children(&self, node: &Node<'a>, name: &str, out: &mut Vec<Item<'a>>) {
        let Some(object) = node.object() else { return };
        let element = match node.type_name {
            "" => None,
            type_name => self.model.element(type_name, name),
        };
        let Some(element) = element else { return self.push_untyped(object, name, out) };
        let system = element.system.as_deref();
        match element.variants.as_slice() {
            [variant] => self.push_variant(object, object.get(&variant.key), variant, system, out),
            // A choice has up to a dozen spellings; one pass over the keys finds the one used.
            variants => {
                for (key, value) in object.iter().filter(|(key, _)| key.starts_with(name)) {
                    if let Some(variant) = variants.iter().find(|v| v.key == *key) {
                        self.push_variant(object, Some(value), variant, system, out);
                    }
                }
            }
        }
    }

    fn push_variant(
        &self,
        object: &'a Map<String, Value>,
        value: Option<&'a Value>,
        variant: &'static Variant,
        system: Option<&'static str>,
        out: &mut Vec<Item<'a>>,
    ) {
        let shadow = if variant.primitive { object.get(&variant.shadow_key) } else { None };
        self.push_values(value, shadow, &variant.type_name, system, out);
    }

    /// Navigation without the model: an exact key, else a choice key (`valueQuantity`).
    fn push_untyped(&self, object: &'a Map<String, Value>, name: &str, out: &mut Vec<Item<'a>>) {
        let shadow = object.get(&format!("_{name}"));
        if let Some(value) = object.get(name) {
            return self.push_values(Some(value), shadow, "", None, out);
        }
        for (key, value) in object {
            let suffix =
                key.strip_prefix(name).filter(|s| s.starts_with(|c: char| c.is_uppercase()));
            if let Some(suffix) = suffix {
                let shadow = object.get(&format!("_{key}"));
                self.push_values(Some(value), shadow, self.choice_type(suffix), None, out);
            }
        }
    }

    /// The type a choice key's suffix names: `String` -> `string`, `Quantity` -> `Quantity`.
    fn choice_type(&self, suffix: &str) -> &'static str {
        let mut chars = suffix.chars();
        let lowered: String =
            chars.next().map(|c| c.to_ascii_lowercase()).into_iter().chain(chars).collect();
        match self.model.is_primitive(&lowered) {
            true => self.model.type_name(&lowered),
            false => self.model.type_name(suffix),
        }
        .unwrap_or("")
    }

    fn push_values(
        &self,
        value: Option<&'a Value>,
        shadow: Option<&'a Value>,
        type_name: &'static str,
        system: Option<&'static str>,
        out: &mut Vec<Item<'a>>,
    ) {
        let shadows = shadow.and_then(Value::as_array);
        match (value, shadows) {
            (Some(Value::Array(values)), _) => {
                for (i, value) in values.iter().enumerate() {
                    let shadow = shadows.and_then(|s| s.get(i));
                    self.push_one(Some(value), shadow, type_name, system, out);
                }
            }
            (None, Some(shadows)) => {
                for shadow in shadows {
                    self.push_one(None, Some(shadow), type_name, system, out);
                }
            }
            _ => self.push_one(value, shadow, type_name, system, out),
        }
    }

    fn push_one(
        &self,
        value: Option<&'a Value>,
        shadow: Option<&'a Value>,
        type_name: &'static str,
        system: Option<&'static str>,
        out: &mut Vec<Item<'a>>,
    ) {
        let value = value.filter(|v| !v.is_null());
        let shadow = shadow.filter(|v| !v.is_null());
        if value.is_none() && shadow.is_none() {
            return;
        }
        // Only an element typed Resource (contained, Bundle entries) or untyped names its type.
        let names_itself = matches!(type_name, "" | "Resource" | "DomainResource");
        let declared = value
            .filter(|_| names_itself)
            .and_then(|v| v.get("resourceType"))
            .and_then(Value::as_str);
        let type_name = match declared {
            Some(resource_type) => self.model.type_name(resource_type).unwrap_or(""),
            None => type_name,
        };
        let mut node = Node::new(value, shadow, type_name);
        node.implicit_system = system;
        out.push(Item::Node(node));
    }

    fn call(
        &self,
        name: &str,
        args: &[Expr],
        input: Vec<Item<'a>>,
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        Ok(match (name, args) {
            ("where", [criteria]) => self.filter(criteria, input)?,
            ("exists", []) => vec![Item::Boolean(!input.is_empty())],
            ("exists", [criteria]) => {
                vec![Item::Boolean(!self.filter(criteria, input)?.is_empty())]
            }
            ("empty", []) => vec![Item::Boolean(input.is_empty())],
            ("first", []) => input.into_iter().take(1).collect(),
            ("not", []) => truth(&input)?.map(|b| Item::Boolean(!b)).into_iter().collect(),
            ("resolve", []) => input.iter().filter_map(|item| self.resolve(item)).collect(),
            ("extension", [Expr::Literal(Literal::String(url))]) => extensions(&input, url),
            _ => return Err(FhirPathError::Unsupported(format!("function {name}()"))),
        })
    }

    fn filter(
        &self,
        criteria: &Expr,
        input: Vec<Item<'a>>,
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        let mut kept = Vec::new();
        for item in input {
            let result = self.eval(criteria, std::slice::from_ref(&item))?;
            if self.truth(&result)? == Some(true) {
                kept.push(item);
            }
        }
        Ok(kept)
    }

    /// Like `truth`, but search expressions take a non-empty collection as true.
    fn truth(&self, items: &[Item<'a>]) -> Result<Option<bool>, FhirPathError> {
        match (self.mode, items.len()) {
            (Mode::Search, n) if n > 1 => Ok(Some(true)),
            _ => truth(items),
        }
    }

    fn resolve(&self, item: &Item<'a>) -> Option<Item<'a>> {
        let Item::Node(node) = item else { return None };
        let value = node.value?;
        let text = value.get("reference").and_then(Value::as_str).or(value.as_str());
        let from_text = text.and_then(|text| self.referenced_type(text));
        let declared = value.get("type").and_then(Value::as_str);
        Some(Item::Resolved { reference: *node, type_name: from_text.or(declared) })
    }

    fn referenced_type(&self, text: &'a str) -> Option<&'a str> {
        let Some(local) = text.strip_prefix('#') else {
            return reference::target_of(text).map(|(type_name, _)| type_name);
        };
        let contained = self.root.get("contained")?.as_array()?;
        let found = contained.iter().find(|c| c.get("id").and_then(Value::as_str) == Some(local));
        found?.get("resourceType")?.as_str()
    }

    fn type_test(
        &self,
        op: TypeOp,
        spec: &TypeSpec,
        input: Vec<Item<'a>>,
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        let Some(target) = self.type_target(spec)? else { return Ok(Vec::new()) };
        let single = self.mode == Mode::Strict && op != TypeOp::OfType;
        if single && input.len() > 1 {
            return Err(FhirPathError::Evaluation("type test on more than one item".into()));
        }
        Ok(match op {
            TypeOp::Is => input
                .first()
                .map(|item| Item::Boolean(self.is(item, target, false)))
                .into_iter()
                .collect(),
            TypeOp::As | TypeOp::OfType => {
                input.into_iter().filter(|item| self.is(item, target, true)).collect()
            }
        })
    }

    /// `None` for an unknown unqualified type in search mode, an error in strict mode.
    fn type_target(&self, spec: &TypeSpec) -> Result<Option<TypeTarget>, FhirPathError> {
        let system = SYSTEM_TYPES.iter().find(|s| **s == spec.name).map(|s| TypeTarget::System(s));
        let fhir = self.model.type_name(&spec.name).map(TypeTarget::Fhir);
        let target = match spec.namespace.as_deref() {
            Some("FHIR") => Some(fhir.unwrap_or(TypeTarget::Nothing)),
            Some("System") => Some(system.unwrap_or(TypeTarget::Nothing)),
            Some(_) => Some(TypeTarget::Nothing),
            None => fhir.or(system),
        };
        match (target, self.mode) {
            (None, Mode::Strict) => Err(FhirPathError::Evaluation("unknown type".into())),
            (target, _) => Ok(target),
        }
    }

    /// Type membership; `exact` (for `as`/`ofType`) makes primitive types match only
    /// themselves, as the official tests expect (`gender.as(string)` is empty).
    fn is(&self, item: &Item<'a>, target: TypeTarget, exact: bool) -> bool {
        match (item, target) {
            (Item::Node(node), TypeTarget::Fhir(name)) => {
                match exact && self.model.is_primitive(name) {
                    true => node.type_name == name,
                    false => self.model.is_a(node.type_name, name),
                }
            }
            // Search expressions write `value.as(DateTime)` for the FHIR dateTime.
            (Item::Node(node), TypeTarget::System(name)) => {
                self.mode == Mode::Search && system_type_of(node.type_name) == Some(name)
            }
            (Item::Resolved { type_name: Some(found), .. }, TypeTarget::Fhir(name)) => {
                self.model.is_a(found, name)
            }
            (Item::Boolean(_), TypeTarget::System(name)) => name == "Boolean",
            (Item::String(_), TypeTarget::System(name)) => name == "String",
            (Item::Integer(_), TypeTarget::System(name)) => name == "Integer",
            (Item::Decimal(_), TypeTarget::System(name)) => name == "Decimal",
            _ => false,
        }
    }

    fn index(
        &self,
        target: &Expr,
        index: &Expr,
        focus: &[Item<'a>],
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        let items = self.eval(target, focus)?;
        let position = match self.eval(index, focus)?.as_slice() {
            [Item::Integer(i)] => usize::try_from(*i).ok(),
            [] => return Ok(Vec::new()),
            _ => return Err(FhirPathError::Evaluation("an index must be one integer".into())),
        };
        Ok(position.and_then(|i| items.into_iter().nth(i)).into_iter().collect())
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        focus: &[Item<'a>],
    ) -> Result<Vec<Item<'a>>, FhirPathError> {
        let (left, right) = (self.eval(left, focus)?, self.eval(right, focus)?);
        let result = match op {
            BinaryOp::Union => return Ok(union(left, right)),
            BinaryOp::Eq => collections_equal(&left, &right),
            BinaryOp::Ne => collections_equal(&left, &right).map(|equal| !equal),
            BinaryOp::And => and(self.truth(&left)?, self.truth(&right)?),
            BinaryOp::Or => or(self.truth(&left)?, self.truth(&right)?),
            _ => return Err(FhirPathError::Unsupported(format!("operator {op:?}"))),
        };
        Ok(result.map(Item::Boolean).into_iter().collect())
    }
}

fn literal_items(literal: &Literal) -> Vec<Item<'static>> {
    match literal {
        Literal::Empty => Vec::new(),
        Literal::Boolean(b) => vec![Item::Boolean(*b)],
        Literal::String(s) => vec![Item::String(s.clone())],
        Literal::Number(n) => match n.parse::<i64>() {
            Ok(i) if !n.contains('.') => vec![Item::Integer(i)],
            _ => vec![Item::Decimal(n.clone())],
        },
        // Rejected by the subset check before evaluation.
        Literal::DateTime(_) | Literal::Quantity(..) => Vec::new(),
    }
}

fn extensions<'a>(input: &[Item<'a>], url: &str) -> Vec<Item<'a>> {
    let model = Model::r4();
    let extension_type = model.type_name("Extension").unwrap_or("");
    let mut out = Vec::new();
    for item in input {
        let Item::Node(node) = item else { continue };
        let list = node.object().and_then(|o| o.get("extension")).and_then(Value::as_array);
        for extension in list.into_iter().flatten() {
            if extension.get("url").and_then(Value::as_str) == Some(url) {
                out.push(Item::Node(Node::new(Some(extension), None, extension_type)));
            }
        }
    }
    out
}

/// `|`: both collections, without duplicates.
fn union<'a>(left: Vec<Item<'a>>, right: Vec<Item<'a>>) -> Vec<Item<'a>> {
    let mut out: Vec<Item<'a>> = Vec::with_capacity(left.len() + right.len());
    for item in left.into_iter().chain(right) {
        if !out.iter().any(|seen| same_item(seen, &item)) {
            out.push(item);
        }
    }
    out
}

/// Equality for `|`: the same element of the resource, or equal values.
fn same_item(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a, b) {
        (Item::Node(x), Item::Node(y)) if x.value.is_some() && y.value.is_some() => {
            x.value.zip(y.value).is_some_and(|(p, q)| std::ptr::eq(p, q) || p == q)
        }
        _ => items_equal(a, b),
    }
}

fn and(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The system type a FHIR primitive converts to.
fn system_type_of(fhir: &str) -> Option<&'static str> {
    Some(match fhir {
        "boolean" => "Boolean",
        "integer" | "positiveInt" | "unsignedInt" => "Integer",
        "decimal" => "Decimal",
        "date" => "Date",
        "dateTime" | "instant" => "DateTime",
        "time" => "Time",
        "string" | "code" | "id" | "uri" | "url" | "canonical" | "oid" | "uuid" | "markdown" => {
            "String"
        }
        _ => return None,
    })
}
