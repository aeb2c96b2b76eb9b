//! Narrative XHTML: well-formed XML, one `div` in the XHTML namespace at the root, and none of
//! what R4 forbids in a narrative (scripts, forms, frames, event attributes...).

use std::borrow::Cow;

const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// Elements R4 does not allow in a narrative (txt-1).
const FORBIDDEN: &[&str] = &[
    "applet", "base", "basefont", "body", "button", "embed", "form", "frame", "frameset", "head",
    "html", "iframe", "input", "link", "meta", "noframes", "noscript", "object", "param", "script",
    "select", "style", "textarea", "title",
];

/// Why a narrative is refused, without quoting any of it (it is health data).
pub(super) fn check(div: &str) -> Result<(), &'static str> {
    let text = with_html_entities_neutral(div);
    let document =
        roxmltree::Document::parse(&text).map_err(|_| "Narrative must be well-formed XHTML")?;
    let root = document.root_element();
    if root.tag_name().name() != "div" || root.tag_name().namespace() != Some(XHTML) {
        return Err("Narrative must be a <div> element in the XHTML namespace");
    }
    for node in root.descendants() {
        if node.is_pi() {
            return Err("Narrative must not hold processing instructions");
        }
        if !node.is_element() {
            continue;
        }
        if FORBIDDEN.contains(&node.tag_name().name().to_ascii_lowercase().as_str()) {
            return Err("Narrative holds an element R4 does not allow (txt-1)");
        }
        if node.attributes().any(|a| a.name().to_ascii_lowercase().starts_with("on")) {
            return Err("Narrative holds an event attribute R4 does not allow (txt-1)");
        }
    }
    Ok(())
}

/// Narratives commonly use HTML's named entities (`&nbsp;`, `&eacute;`), which XML does not
/// define; for the well-formedness check each becomes a character reference.
fn with_html_entities_neutral(div: &str) -> Cow<'_, str> {
    if !div.contains('&') {
        return Cow::Borrowed(div);
    }
    let mut out = String::with_capacity(div.len());
    let mut rest = div;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let name_len = rest[1..].bytes().take_while(u8::is_ascii_alphanumeric).count();
        let named = name_len > 0 && rest.as_bytes().get(1 + name_len) == Some(&b';');
        let name = &rest[1..1 + name_len];
        if named && !matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            out.push_str("&#160;");
            rest = &rest[name_len + 2..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = r#"xmlns="http://www.w3.org/1999/xhtml""#;

    #[test]
    fn a_plain_narrative_with_html_entities_is_accepted() {
        let div =
            format!("<div {NS}><p>Scanner&nbsp;thoracique &amp; <b>r&eacute;sultat</b></p></div>");
        assert_eq!(check(&div), Ok(()));
    }

    #[test]
    fn malformed_markup_is_refused() {
        assert!(check(&format!("<div {NS}><p>open</div>")).is_err());
        assert!(check(&format!("<div {NS}>a & b</div>")).is_err());
        assert!(check("<div {NS}>").is_err());
    }

    #[test]
    fn a_root_other_than_an_xhtml_div_is_refused() {
        assert!(check("<div>no namespace</div>").is_err());
        assert!(check(&format!("<p {NS}>x</p>")).is_err());
    }

    #[test]
    fn scripts_forms_and_event_attributes_are_refused() {
        assert!(check(&format!("<div {NS}><script>x()</script></div>")).is_err());
        assert!(check(&format!("<div {NS}><form/></div>")).is_err());
        assert!(check(&format!(r#"<div {NS}><img src="a.png" onerror="x()"/></div>"#)).is_err());
        assert!(check(&format!(r#"<div {NS}><img src="a.png" alt="a"/></div>"#)).is_ok());
    }

    #[test]
    fn a_document_type_declaration_is_refused() {
        let div = format!(r#"<!DOCTYPE div [<!ENTITY x "y">]><div {NS}>&x;</div>"#);
        assert!(check(&div).is_err());
    }
}
