//! The walk over a resource's JSON: each property is matched against the schema and checked.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::primitive;
use super::schema::{BindTarget, Binding, Element, Node, NodeId, Prop, Schema, Ty, Variant};
use crate::outcome::{Issue, IssueType};

/// Past this many issues the walk stops: the client has enough to fix.
const MAX_ISSUES: usize = 100;
/// Objects nested deeper than this are refused rather than risking the stack (serde_json's
/// parser stops at 128 levels anyway, but a `Value` can be built by other means).
const MAX_DEPTH: u32 = 200;

type Object = Map<String, Value>;

pub(super) struct Walker<'s> {
    schema: &'s Schema,
    issues: Vec<Issue>,
    /// The FHIRPath location of the value being checked, grown and truncated as the walk goes
    /// so that nothing is allocated per element, only per issue.
    path: String,
    depth: u32,
}

impl<'s> Walker<'s> {
    pub(super) fn new(schema: &'s Schema) -> Self {
        Walker { schema, issues: Vec::new(), path: String::with_capacity(128), depth: 0 }
    }

    pub(super) fn finish(self) -> Result<(), Vec<Issue>> {
        if self.issues.is_empty() { Ok(()) } else { Err(self.issues) }
    }

    /// Checks a resource at the current path; at the root, the path starts with its type.
    pub(super) fn resource(&mut self, value: &Value) {
        let Some(obj) = value.as_object() else {
            return self.report(IssueType::Invalid, "A resource must be a JSON object");
        };
        let Some((name, node)) = self.resource_type(obj) else { return };
        if self.path.is_empty() {
            self.path.push_str(name);
        }
        self.object(node, obj, true);
    }

    fn resource_type<'v>(&mut self, obj: &'v Object) -> Option<(&'v str, NodeId)> {
        let message = match obj.get("resourceType") {
            None => "A resource must have a resourceType",
            Some(Value::String(name)) => match self.schema.resource(name) {
                Some(node) => return Some((name, node)),
                None => "resourceType is not a known FHIR R4 resource type",
            },
            Some(_) => "resourceType must be a JSON string",
        };
        self.report(IssueType::Invalid, message);
        None
    }

    /// Checks the properties of an object against a node, then what the node requires.
    fn object(&mut self, id: NodeId, obj: &Object, is_resource: bool) {
        if obj.is_empty() {
            return self.report(IssueType::Structure, "Objects must not be empty");
        }
        if self.depth >= MAX_DEPTH {
            return self.report(IssueType::TooCostly, "Content is nested too deeply");
        }
        self.depth += 1;
        let node = self.schema.node(id);
        let mut choices = Choices::default();
        for (key, value) in obj {
            if self.issues.len() >= MAX_ISSUES {
                break;
            }
            match node.props.get(key.as_str()) {
                Some(&prop) => self.property(node, prop, value, obj, &mut choices),
                None if is_resource && key == "resourceType" => {}
                None => self.unknown(node, key),
            }
        }
        self.missing(node, obj);
        self.depth -= 1;
    }

    fn unknown(&mut self, node: &Node, key: &str) {
        let mark = self.enter(key);
        self.report(IssueType::Structure, format!("Unknown element in {}", node.name));
        self.path.truncate(mark);
    }

    fn property(
        &mut self,
        node: &Node,
        prop: Prop,
        value: &Value,
        obj: &Object,
        choices: &mut Choices,
    ) {
        let element = &node.elements[usize::from(prop.element)];
        let variant = &element.variants[usize::from(prop.variant)];
        let mark = self.enter(&variant.json);
        if element.choice && choices.clashes(prop) {
            let message = format!("Only one type of {}[x] may be present", element.name);
            self.report(IssueType::Structure, message);
        }
        if prop.companion {
            self.companion(element, value, obj.get(&*variant.json));
        } else {
            let companion = variant.companion.as_deref().and_then(|name| obj.get(name));
            self.value(element, variant, value, companion);
        }
        self.path.truncate(mark);
    }

    /// Reports the required elements of `node` that `obj` lacks; a primitive present only
    /// through its `_name` companion counts as present.
    fn missing(&mut self, node: &Node, obj: &Object) {
        for &index in &node.required {
            let element = &node.elements[usize::from(index)];
            if !element.variants.iter().any(|v| v.present_in(obj)) {
                let mark = self.enter(&element.name);
                self.report(IssueType::Required, "Required element is missing (min 1)");
                self.path.truncate(mark);
            }
        }
    }

    /// Checks a property's value against the element's cardinality, then each item.
    fn value(
        &mut self,
        element: &Element,
        variant: &Variant,
        value: &Value,
        companion: Option<&Value>,
    ) {
        match value {
            Value::Array(items) if element.many => self.items(variant, items, companion),
            Value::Array(_) => self.report(IssueType::Structure, MAX_ONE),
            Value::Null => self.report(IssueType::Structure, NULL),
            _ if element.many => {
                self.report(IssueType::Structure, MAX_MANY);
                self.item(variant, value);
            }
            _ => self.item(variant, value),
        }
    }

    fn items(&mut self, variant: &Variant, items: &[Value], companion: Option<&Value>) {
        if items.is_empty() {
            return self.report(IssueType::Structure, EMPTY_ARRAY);
        }
        let partners = companion.and_then(Value::as_array);
        for (index, item) in items.iter().enumerate() {
            let mark = self.enter_index(index);
            if !item.is_null() {
                self.item(variant, item);
            } else if !has_item(partners, index) {
                self.report(IssueType::Structure, NULL);
            }
            self.path.truncate(mark);
        }
    }

    /// Checks `_name`, the companion of a primitive, which carries its id and extensions.
    fn companion(&mut self, element: &Element, value: &Value, main: Option<&Value>) {
        let element_node = self.schema.element_node;
        match value {
            Value::Array(items) if element.many => self.companion_items(items, main),
            Value::Array(_) => self.report(IssueType::Structure, MAX_ONE),
            Value::Null => self.report(IssueType::Structure, NULL),
            _ if element.many => self.report(IssueType::Structure, MAX_MANY),
            Value::Object(obj) => self.object(element_node, obj, false),
            _ => self.report(IssueType::Structure, COMPANION_OBJECT),
        }
    }

    fn companion_items(&mut self, items: &[Value], main: Option<&Value>) {
        if items.is_empty() {
            return self.report(IssueType::Structure, EMPTY_ARRAY);
        }
        let partners = main.and_then(Value::as_array);
        if partners.is_some_and(|p| p.len() != items.len()) {
            self.report(IssueType::Structure, "A `_` array must line up with its primitive array");
        }
        for (index, item) in items.iter().enumerate() {
            let mark = self.enter_index(index);
            match item {
                Value::Null if has_item(partners, index) => {}
                Value::Null => self.report(IssueType::Structure, NULL),
                Value::Object(obj) => self.object(self.schema.element_node, obj, false),
                _ => self.report(IssueType::Structure, COMPANION_OBJECT),
            }
            self.path.truncate(mark);
        }
    }

    /// Checks one non-null value of an element against the variant's type.
    fn item(&mut self, variant: &Variant, value: &Value) {
        match (variant.ty, value) {
            (Ty::Primitive(index), _) => self.primitive(index, value, variant.binding),
            (Ty::Complex(id), Value::Object(obj)) => {
                self.object(id, obj, false);
                if let Some(binding) = variant.binding {
                    self.coded(binding, obj);
                }
            }
            (Ty::Complex(id), _) => {
                let message =
                    format!("A value of type {} must be a JSON object", self.type_name(id));
                self.report(IssueType::Structure, message);
            }
            (Ty::Resource, _) => self.resource(value),
        }
    }

    fn type_name(&self, id: NodeId) -> &'s str {
        &self.schema.node(id).name
    }

    fn primitive(&mut self, index: u8, value: &Value, binding: Option<Binding>) {
        if let Err((code, message)) = primitive::check(self.schema.primitive(index), value) {
            return self.report(code, message);
        }
        let (Some(binding), Value::String(code)) = (binding, value) else { return };
        let value_set = self.schema.value_set(binding.value_set);
        if !value_set.allows_code(code) {
            self.report(IssueType::CodeInvalid, not_in_value_set(&value_set.url));
        }
    }

    /// Checks the codings of a Coding or CodeableConcept bound to a required value set.
    fn coded(&mut self, binding: Binding, obj: &Object) {
        match binding.target {
            BindTarget::Coding => self.coding(binding, obj),
            BindTarget::CodeableConcept => {
                let Some(Value::Array(codings)) = obj.get("coding") else { return };
                for (index, coding) in codings.iter().enumerate() {
                    let Some(coding) = coding.as_object() else { continue };
                    let mark = self.enter("coding");
                    self.enter_index(index);
                    self.coding(binding, coding);
                    self.path.truncate(mark);
                }
            }
            BindTarget::Code => {}
        }
    }

    fn coding(&mut self, binding: Binding, coding: &Object) {
        let value_set = self.schema.value_set(binding.value_set);
        if !value_set.allows_coding(coding) {
            let mark = self.enter("code");
            self.report(IssueType::CodeInvalid, not_in_value_set(&value_set.url));
            self.path.truncate(mark);
        }
    }

    /// Appends `.name` to the path; returns the length to truncate back to.
    fn enter(&mut self, name: &str) -> usize {
        let mark = self.path.len();
        self.path.push('.');
        self.path.push_str(name);
        mark
    }

    fn enter_index(&mut self, index: usize) -> usize {
        let mark = self.path.len();
        // Writing to a String cannot fail.
        let _ = write!(self.path, "[{index}]");
        mark
    }

    /// Records an issue at the current path (none at the root, before the type is known).
    fn report(&mut self, code: IssueType, diagnostics: impl Into<String>) {
        if self.issues.len() >= MAX_ISSUES {
            return;
        }
        let issue = Issue::error(code, diagnostics);
        let issue = if self.path.is_empty() { issue } else { issue.at(self.path.as_str()) };
        self.issues.push(issue);
    }
}

const MAX_ONE: &str = "Element has cardinality max 1 and must not be an array";
const MAX_MANY: &str = "Element has cardinality max * and must be an array";
const EMPTY_ARRAY: &str = "Arrays must not be empty";
const NULL: &str = "null is only allowed in an array, lined up with a value of its `_` companion";
const COMPANION_OBJECT: &str = "The `_` companion of a primitive must be a JSON object";

/// Whether the other array of a primitive/companion pair has a value at `index`, which is what
/// allows a `null` placeholder here.
fn has_item(partners: Option<&Vec<Value>>, index: usize) -> bool {
    partners.and_then(|p| p.get(index)).is_some_and(|v| !v.is_null())
}

fn not_in_value_set(url: &str) -> String {
    format!("Code is not in the required value set {url}")
}

/// The choice elements (`value[x]`) seen in one object and the variant each used, to catch a
/// second variant. Objects have few choice elements; past eight, further ones go unchecked.
#[derive(Default)]
struct Choices {
    seen: [(u16, u16); 8],
    len: usize,
}

impl Choices {
    fn clashes(&mut self, prop: Prop) -> bool {
        let seen = &self.seen[..self.len];
        if let Some(&(_, variant)) = seen.iter().find(|(element, _)| *element == prop.element) {
            return variant != prop.variant;
        }
        if self.len < self.seen.len() {
            self.seen[self.len] = (prop.element, prop.variant);
            self.len += 1;
        }
        false
    }
}
