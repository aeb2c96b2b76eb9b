//! The official transaction examples run with the per-entry outcomes R4 requires.

use conformance_tests::{json, outcome, shared_data, spawn_app};
use serde_json::{Value, json};

fn example(name: &str) -> Option<Value> {
    let folder = shared_data("fhir-r4/examples")?;
    let text = std::fs::read(folder.join(name)).expect("example");
    Some(serde_json::from_slice(&text).expect("json"))
}

fn statuses(response: &Value) -> Vec<String> {
    let entries = response["entry"].as_array().expect("entries");
    entries.iter().map(|e| e["response"]["status"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn bundle_xds_creates_everything_and_points_the_document_at_the_new_ids() {
    let Some(bundle) = example("Bundle-xds.json") else { return };
    let app = spawn_app().await;
    let response = app.post("", &bundle).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert!(statuses(&body).iter().all(|s| s.starts_with("201")), "{:?}", statuses(&body));

    let location = body["entry"][0]["response"]["location"].as_str().unwrap();
    let document = json(app.get(&format!("/{location}")).await).await;
    let patient = location_of(&body, 1);
    assert_eq!(document["subject"]["reference"], patient);
    assert_eq!(document["author"][0]["reference"], location_of(&body, 2));
    assert_eq!(document["content"][0]["attachment"]["url"], location_of(&body, 4));
    assert_eq!(app.get(&format!("/{patient}")).await.status(), 200);

    // Sent again: the example's ifNoneExist writes `system!value` where a token needs
    // `system|value`, so it searches for a code nobody has and creates a second Patient.
    let again = json(app.post("", &bundle).await).await;
    assert!(statuses(&again)[1].starts_with("201"), "{:?}", statuses(&again));
    assert_ne!(location_of(&again, 1), patient);
}

/// `Type/id` of the entry's new resource, from its `response.location`.
fn location_of(response: &Value, entry: usize) -> String {
    let location = response["entry"][entry]["response"]["location"].as_str().unwrap();
    location.split("/_history").next().unwrap().to_owned()
}

#[tokio::test]
async fn bundle_transaction_is_refused_whole_for_its_unsupported_operation_entry() {
    let Some(bundle) = example("Bundle-bundle-transaction.json") else { return };
    let app = spawn_app().await;
    let issue = outcome(app.post("", &bundle).await, 501).await;
    assert_eq!(issue["expression"][0], "Bundle.entry[7]");
    let history = json(app.get("/_history").await).await;
    assert_eq!(history["total"], 0, "nothing of a failed transaction is stored");
}

#[tokio::test]
async fn bundle_transaction_without_its_operation_entry_gives_each_entry_its_status() {
    let Some(mut bundle) = example("Bundle-bundle-transaction.json") else { return };
    let app = spawn_app().await;
    // What the example's conditional entries expect to find.
    app.put("/Patient/123a", &json!({"resourceType": "Patient", "id": "123a"})).await;
    app.put("/Patient/123a", &json!({"resourceType": "Patient", "id": "123a"})).await;
    // Found by the entry `GET Patient?name=peter` unless the entry deleting it ran first.
    let peter = json!({"resourceType": "Patient", "id": "234", "name": [{"given": ["Peter"]}]});
    app.put("/Patient/234", &peter).await;
    for _ in 0..4 {
        app.put("/Patient/12334", &json!({"resourceType": "Patient", "id": "12334"})).await;
    }
    let entries = bundle["entry"].as_array_mut().unwrap();
    entries.retain(|e| e["request"]["url"] != "ValueSet/$lookup");

    let response = app.post("", &bundle).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    let statuses = statuses(&body);
    let expected = [
        "201", // POST Patient
        "201", // POST Patient with ifNoneExist, nothing matches
        "201", // PUT Patient/123
        "201", // PUT Patient?identifier=..., nothing matches: created
        "200", // PUT Patient/123a with ifMatch W/"2"
        "204", // DELETE Patient/234
        "204", // DELETE Patient?identifier=123456, nothing matches
        "200", // GET Patient?name=peter: after the writes, so the 5 Peters written, not 234
        "304", // GET Patient/12334 with ifNoneMatch W/"4"
    ];
    let prefixes: Vec<&str> = statuses.iter().map(|s| &s[..3]).collect();
    assert_eq!(prefixes, expected, "{statuses:?}");
    let found = &body["entry"][7]["resource"];
    assert_eq!(found["total"], 5, "{found}");
    let ids: Vec<&str> = found["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["id"].as_str())
        .collect();
    assert!(!ids.contains(&"234"), "{ids:?}");
    assert_eq!(app.get("/Patient/234").await.status(), 410);
}
