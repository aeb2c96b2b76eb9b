//! `_summary` and `_elements` over HTTP: the exact shape of each resource a read, a vread, a
//! search and their batch entries return for each mode, the SUBSETTED tag, and the requests
//! that are refused.

use conformance_tests::{TestApp, json, outcome, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const SUBSETTED: &str =
    r#"{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED"}"#;
const DIV: &str = r#"<div xmlns="http://www.w3.org/1999/xhtml">narrative</div>"#;

/// A Patient with summary, non-summary and mandatory-in-backbone elements.
fn patient() -> Value {
    json!({
        "resourceType": "Patient", "id": "p",
        "text": {"status": "generated", "div": DIV},
        "extension": [{"url": "http://example.org/e", "valueString": "x"}],
        "active": true,
        "name": [{"extension": [{"url": "http://example.org/e", "valueString": "y"}],
                  "family": "Doe", "given": ["Jane"]}],
        "gender": "female",
        "photo": [{"contentType": "image/png"}],
        "communication": [{"language": {"text": "French"}, "preferred": true}],
        "link": [{"other": {"reference": "Patient/q", "display": "Q"}, "type": "seealso"}]
    })
}

/// An Observation with a mandatory status and code, and a decimal that must keep its text.
const OBSERVATION: &str = r#"{"resourceType":"Observation","id":"o",
    "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">dose</div>"},
    "status":"final","code":{"text":"CTDIvol"},"subject":{"reference":"Patient/p"},
    "valueQuantity":{"value":12.50,"unit":"mGy"},"note":[{"text":"n"}],
    "component":[{"code":{"text":"DLP"},"valueQuantity":{"value":1.0E-5},
    "interpretation":[{"text":"low"}]}]}"#;

async fn store(app: &TestApp, path: &str, body: Vec<u8>) {
    let response = app
        .request(Method::PUT, path)
        .header("content-type", "application/fhir+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{path}");
}

/// A server with the Patient and the Observation stored.
async fn app_with_resources() -> TestApp {
    let app = spawn_app().await;
    store(&app, "/Patient/p", serde_json::to_vec(&patient()).unwrap()).await;
    store(&app, "/Observation/o", OBSERVATION.as_bytes().to_vec()).await;
    app
}

/// The body of a 200 response, as text.
async fn body(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The one match of a search, written compactly (members in the order served).
async fn only_match(app: &TestApp, query: &str) -> String {
    let bundle: Value = serde_json::from_str(&body(app, query).await).unwrap();
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "one match and no outcome entry: {bundle}");
    assert_eq!(entries[0]["search"]["mode"], "match");
    entries[0]["resource"].to_string()
}

/// The stored resource at `path` less the `removed` members, tagged SUBSETTED, as text. The
/// server-managed meta comes from the server's own answer.
async fn expected(app: &TestApp, path: &str, removed: &[&str], tagged: bool) -> Value {
    let mut full: Value = serde_json::from_str(&body(app, path).await).unwrap();
    let object = full.as_object_mut().unwrap();
    for name in removed {
        assert!(object.shift_remove(*name).is_some(), "{name} is in the stored resource");
    }
    if tagged {
        let tag: Value = serde_json::from_str(SUBSETTED).unwrap();
        object["meta"].as_object_mut().unwrap().insert("tag".into(), json!([tag]));
    }
    full
}

/// Checks the read, the vread and the search of one resource against one expected shape.
async fn assert_every_interaction_gives(app: &TestApp, path: &str, query: &str, shape: &Value) {
    let text = shape.to_string();
    assert_eq!(body(app, &format!("{path}?{query}")).await, text, "read");
    assert_eq!(body(app, &format!("{path}/_history/1?{query}")).await, text, "vread");
    let (type_name, id) = path.trim_start_matches('/').split_once('/').unwrap();
    assert_eq!(only_match(app, &format!("/{type_name}?_id={id}&{query}")).await, text, "search");
}

#[tokio::test]
async fn summary_true_returns_the_summary_elements_at_every_level_tagged_subsetted() {
    let app = app_with_resources().await;
    let removed = ["text", "extension", "photo", "communication"];
    let mut shape = expected(&app, "/Patient/p", &removed, true).await;
    // HumanName.extension is not a summary element, HumanName.family and given are.
    shape["name"] = json!([{"family": "Doe", "given": ["Jane"]}]);
    assert_every_interaction_gives(&app, "/Patient/p", "_summary=true", &shape).await;
}

#[tokio::test]
async fn summary_true_cuts_inside_backbone_elements_and_keeps_decimal_text() {
    let app = app_with_resources().await;
    let read = body(&app, "/Observation/o?_summary=true").await;
    let meta = r#""meta":{"versionId":"1","lastUpdated":"#;
    assert!(read.starts_with(r#"{"resourceType":"Observation","id":"o","#), "{read}");
    assert!(read.contains(meta) && read.contains(&format!(r#""tag":[{SUBSETTED}]}}"#)), "{read}");
    let rest = read.split_once(r#"]},"#).unwrap().1;
    assert_eq!(
        rest,
        concat!(
            r#""status":"final","code":{"text":"CTDIvol"},"subject":{"reference":"Patient/p"},"#,
            r#""valueQuantity":{"value":12.50,"unit":"mGy"},"component":[{"code":{"text":"DLP"},"#,
            r#""valueQuantity":{"value":1.0E-5}}]}"#
        )
    );
}

#[tokio::test]
async fn summary_text_returns_the_narrative_id_meta_and_mandatory_elements() {
    let app = app_with_resources().await;
    let removed = ["subject", "valueQuantity", "note", "component"];
    let shape = expected(&app, "/Observation/o", &removed, true).await;
    assert_eq!(shape.as_object().unwrap().len(), 6, "resourceType id meta text status code");
    assert_every_interaction_gives(&app, "/Observation/o", "_summary=text", &shape).await;
}

#[tokio::test]
async fn summary_data_returns_everything_but_the_narrative() {
    let app = app_with_resources().await;
    let shape = expected(&app, "/Patient/p", &["text"], true).await;
    assert_every_interaction_gives(&app, "/Patient/p", "_summary=data", &shape).await;
}

#[tokio::test]
async fn summary_false_returns_the_whole_resource_untagged() {
    let app = app_with_resources().await;
    let shape = expected(&app, "/Patient/p", &[], false).await;
    assert_every_interaction_gives(&app, "/Patient/p", "_summary=false", &shape).await;
}

#[tokio::test]
async fn elements_returns_the_named_and_mandatory_elements_and_ignores_unknown_names() {
    let app = app_with_resources().await;
    let removed = ["text", "subject", "note", "component"];
    let shape = expected(&app, "/Observation/o", &removed, true).await;
    let query = "_elements=value,shoe-size";
    assert_every_interaction_gives(&app, "/Observation/o", query, &shape).await;
    let read = body(&app, &format!("/Observation/o?{query}")).await;
    assert!(read.contains(r#""valueQuantity":{"value":12.50,"unit":"mGy"}"#), "{read}");
}

#[tokio::test]
async fn elements_naming_everything_present_returns_the_resource_untagged() {
    let app = app_with_resources().await;
    let shape = expected(&app, "/Patient/p", &[], false).await;
    let all = "_elements=text,extension,active,name,gender,photo,communication,link";
    assert_every_interaction_gives(&app, "/Patient/p", all, &shape).await;
}

#[tokio::test]
async fn subsetting_is_neither_reported_nor_refused_and_the_self_link_keeps_it() {
    let app = app_with_resources().await;
    for query in ["Patient?_summary=true", "Patient?_elements=name,gender", "Patient?_summary=data"]
    {
        let response = app
            .request(Method::GET, &format!("/{query}"))
            .header("prefer", "handling=strict")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        let bundle = json(response).await;
        let modes: Vec<&Value> = bundle["entry"].as_array().unwrap().iter().collect();
        assert!(modes.iter().all(|e| e["search"]["mode"] == "match"), "{query}: {bundle}");
        let self_link = bundle["link"][0]["url"].as_str().unwrap();
        let params = query.split_once('?').unwrap().1.replace(',', "%2C");
        assert!(self_link.ends_with(&format!("/Patient?{params}")), "{self_link}");
    }
}

#[tokio::test]
async fn bad_subsetting_requests_are_refused_with_400() {
    let app = app_with_resources().await;
    for path in [
        "/Patient/p?_summary=count",
        "/Patient/p?_summary=yes",
        "/Patient/p/_history/1?_summary=yes",
        "/Patient?_summary=yes",
        "/Patient?_summary=true&_elements=name",
        "/Patient/p?_summary=text&_elements=name",
    ] {
        let issue = outcome(app.get(path).await, 400).await;
        assert!(issue["diagnostics"].as_str().unwrap().contains("_summary"), "{path}: {issue}");
    }
}

#[tokio::test]
async fn a_cut_read_keeps_the_version_headers_and_answers_304_when_unchanged() {
    let app = app_with_resources().await;
    let response = app.get("/Patient/p?_summary=true").await;
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    let response = app
        .request(Method::GET, "/Patient/p?_summary=true")
        .header("if-none-match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
}

fn get_entry(url: &str) -> Value {
    json!({"request": {"method": "GET", "url": url}})
}

#[tokio::test]
async fn batch_read_and_search_entries_are_cut_as_their_urls_ask() {
    let app = app_with_resources().await;
    let data = expected(&app, "/Patient/p", &["text"], true).await;
    let whole = expected(&app, "/Patient/p", &[], false).await;
    let batch = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        get_entry("Patient/p?_summary=data"),
        get_entry("Patient/p/_history/1?_summary=data"),
        get_entry("Patient?_id=p&_summary=data"),
        get_entry("Patient/p"),
    ]});
    let response = json(app.post("", &batch).await).await;
    let entries = response["entry"].as_array().unwrap();
    assert_eq!(entries[0]["resource"], data, "read");
    assert_eq!(entries[1]["resource"], data, "vread");
    let searchset = &entries[2]["resource"];
    assert_eq!(searchset["entry"].as_array().unwrap().len(), 1, "{searchset}");
    assert_eq!(searchset["entry"][0]["resource"], data, "search");
    assert_eq!(entries[3]["resource"], whole, "no parameter, no cut");
}

#[tokio::test]
async fn a_refused_subset_fails_its_batch_entry_alone_and_a_transaction_whole() {
    let app = app_with_resources().await;
    let entries = [get_entry("Patient/p?_summary=count"), get_entry("Patient/p")];
    let batch = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
    let response = json(app.post("", &batch).await).await;
    assert!(response["entry"][0]["response"]["status"].as_str().unwrap().starts_with("400"));
    assert_eq!(response["entry"][1]["resource"]["id"], "p");

    let create = json!({"request": {"method": "POST", "url": "Patient"},
        "resource": {"resourceType": "Patient", "gender": "male"}});
    let transaction = json!({"resourceType": "Bundle", "type": "transaction",
        "entry": [create, get_entry("Patient?_summary=true&_elements=name")]});
    let issue = outcome(app.post("", &transaction).await, 400).await;
    assert_eq!(issue["expression"][0], "Bundle.entry[1]");
    let males = json(app.get("/Patient?gender=male&_summary=count").await).await;
    assert_eq!(males["total"], 0, "nothing of the transaction is stored");
}
