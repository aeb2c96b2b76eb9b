//! Real input: the 120 Synthea patients load through transactions, after the organization and
//! practitioner batches, with every conditional reference resolved.

use std::io::Read;

use conformance_tests::{TestApp, json, shared_data, spawn_app};
use serde_json::Value;

/// Resources in the Synthea set (`../shared/data/README.md`).
const SYNTHEA_RESOURCES: u64 = 92_114;

#[tokio::test]
async fn the_synthea_set_loads_through_transactions_with_every_reference_resolved() {
    let Some(folder) = shared_data("synthea") else { return };
    let app = spawn_app().await;
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("synthea folder")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bz2"))
        .collect();
    // The organization and practitioner batches (`0-...`) sort first: transactions refer to them.
    files.sort();

    let mut entries = 0;
    for file in &files {
        let mut text = Vec::new();
        bzip2::read::BzDecoder::new(std::fs::File::open(file).expect("file"))
            .read_to_end(&mut text)
            .expect("bz2");
        let response = app
            .request(reqwest::Method::POST, "")
            .header("content-type", "application/fhir+json")
            .body(text)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 200, "{}", file.display());
        let body = json(response).await;
        for entry in body["entry"].as_array().expect("entries") {
            let status = entry["response"]["status"].as_str().unwrap_or("");
            assert!(status.starts_with("201") || status.starts_with("200"), "{status}");
            entries += 1;
        }
    }
    assert_eq!(entries, SYNTHEA_RESOURCES);
    let history = json(app.get("/_history?_count=1").await).await;
    assert_eq!(history["total"], SYNTHEA_RESOURCES);
    assert_eq!(unresolved_references(&app).await, 0);
    for (query, peer) in PEER_COUNTS {
        assert_eq!(count(&app, query).await, peer, "{query}");
    }
}

/// Searches and the totals a peer server gives for them on this set (`README.md` of the data).
const PEER_COUNTS: [(&str, u64); 8] = [
    ("Patient?gender=male", 56),
    ("Patient?gender=female", 64),
    ("Observation?category=laboratory", 29_206),
    ("Observation?patient.gender=male", 20_466),
    ("Observation?patient.gender=female", 22_463),
    ("Observation?date=2020", 17_419),
    ("Observation?date=1990", 19),
    ("Observation?date=gt2020", 983),
];

/// The total of a search, asked for without its entries.
async fn count(app: &TestApp, query: &str) -> u64 {
    let response = app.get(&format!("/{query}&_summary=count")).await;
    assert_eq!(response.status(), 200, "{query}");
    let bundle = json(response).await;
    assert!(bundle.get("entry").is_none(), "{query}");
    bundle["total"].as_u64().expect("a total")
}

/// Stored references still written as a search (`Type?param=value`).
async fn unresolved_references(app: &TestApp) -> usize {
    let mut url = format!("{}/_history?_count=1000", app.base);
    let mut unresolved = 0;
    loop {
        let page = json(app.client.get(&url).send().await.expect("history")).await;
        for entry in page["entry"].as_array().into_iter().flatten() {
            unresolved += count_conditional(&entry["resource"]);
        }
        let next = page["link"].as_array().into_iter().flatten().find(|l| l["relation"] == "next");
        match next.and_then(|l| l["url"].as_str()) {
            Some(next) => url = next.to_owned(),
            None => return unresolved,
        }
    }
}

fn count_conditional(value: &Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match (k.as_str(), v) {
                ("reference", Value::String(r)) if r.contains('?') => 1,
                _ => count_conditional(v),
            })
            .sum(),
        Value::Array(items) => items.iter().map(count_conditional).sum(),
        _ => 0,
    }
}
