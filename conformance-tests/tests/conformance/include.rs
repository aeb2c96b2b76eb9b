//! `_include` and `_revinclude` over HTTP: what each adds to a page, marked `include`, once.

use conformance_tests::{TestApp, json, spawn_app};
use serde_json::{Value, json};

use crate::search::{match_ids, observation, patient, put_all, search};

/// The `type/id` of the included resources of a Bundle, sorted.
fn included(bundle: &Value) -> Vec<String> {
    let entries = bundle["entry"].as_array().into_iter().flatten();
    let mut found: Vec<String> = entries
        .filter(|e| e["search"]["mode"] == "include")
        .map(|e| format!("{}/{}", e["resource"]["resourceType"], e["resource"]["id"]))
        .map(|s| s.replace('"', ""))
        .collect();
    found.sort();
    found
}

/// Two patients, a practitioner, observations of each patient and a report on two of them.
async fn clinic(app: &TestApp) {
    let subject = |id: &str| json!({"subject": {"reference": format!("Patient/{id}")}});
    put_all(
        app,
        vec![
            patient("p1", json!({})),
            patient("p2", json!({})),
            json!({"resourceType": "Practitioner", "id": "dr"}),
            observation("o1", subject("p1")),
            observation("o2", subject("p1")),
            observation(
                "o3",
                json!({"subject": {"reference": "Patient/p2"},
                       "performer": [{"reference": "Practitioner/dr"}]}),
            ),
            json!({"resourceType": "DiagnosticReport", "id": "r1", "status": "final",
                   "code": {"text": "CT"}, "subject": {"reference": "Patient/p1"},
                   "result": [{"reference": "Observation/o1"}, {"reference": "Observation/o3"}]}),
        ],
    )
    .await;
}

#[tokio::test]
async fn include_adds_each_resource_the_matches_point_to_once() {
    let app = spawn_app().await;
    clinic(&app).await;
    let bundle = search(&app, "Observation?_include=Observation:subject").await;
    assert_eq!(match_ids(&bundle), ["o1", "o2", "o3"]);
    assert_eq!(included(&bundle), ["Patient/p1", "Patient/p2"]);
    assert_eq!(bundle["total"], 3);
}

#[tokio::test]
async fn include_can_name_the_target_type_or_every_reference() {
    let app = spawn_app().await;
    clinic(&app).await;
    let typed =
        search(&app, "Observation?_id=o3&_include=Observation:performer:Practitioner").await;
    assert_eq!(included(&typed), ["Practitioner/dr"]);
    let other =
        search(&app, "Observation?_id=o3&_include=Observation:performer:Organization").await;
    assert_eq!(included(&other), Vec::<String>::new());
    let every = search(&app, "Observation?_id=o3&_include=Observation:*").await;
    assert_eq!(included(&every), ["Patient/p2", "Practitioner/dr"]);
}

#[tokio::test]
async fn revinclude_adds_the_resources_that_point_to_the_matches() {
    let app = spawn_app().await;
    clinic(&app).await;
    let bundle = search(&app, "Patient?_id=p1&_revinclude=Observation:subject").await;
    assert_eq!(match_ids(&bundle), ["p1"]);
    assert_eq!(included(&bundle), ["Observation/o1", "Observation/o2"]);
    let both = search(
        &app,
        "Patient?_id=p1&_revinclude=Observation:subject&_revinclude=DiagnosticReport:subject",
    )
    .await;
    assert_eq!(included(&both), ["DiagnosticReport/r1", "Observation/o1", "Observation/o2"]);
}

#[tokio::test]
async fn iterate_follows_references_from_included_resources_too() {
    let app = spawn_app().await;
    clinic(&app).await;
    let once = search(
        &app,
        "DiagnosticReport?_include=DiagnosticReport:result&_include=Observation:subject",
    )
    .await;
    assert_eq!(included(&once), ["Observation/o1", "Observation/o3"]);
    let iterated = search(
        &app,
        "DiagnosticReport?_include=DiagnosticReport:result&_include:iterate=Observation:subject",
    )
    .await;
    assert_eq!(match_ids(&iterated), ["r1"]);
    assert_eq!(
        included(&iterated),
        ["Observation/o1", "Observation/o3", "Patient/p1", "Patient/p2"]
    );
}

#[tokio::test]
async fn a_match_is_not_repeated_as_an_include_and_deleted_resources_are_left_out() {
    let app = spawn_app().await;
    clinic(&app).await;
    assert_eq!(app.delete("/Patient/p2").await.status(), 204);
    let bundle = search(&app, "Observation?_include=Observation:subject").await;
    assert_eq!(included(&bundle), ["Patient/p1"]);
    // p1 is a match and the subject of included observations: it is served once, as a match.
    let iterated = search(
        &app,
        "Patient?_revinclude=Observation:subject&_include:iterate=Observation:subject",
    )
    .await;
    assert_eq!(match_ids(&iterated), ["p1"]);
    assert_eq!(included(&iterated), ["Observation/o1", "Observation/o2"]);
}

#[tokio::test]
async fn includes_are_applied_on_every_page_and_kept_in_the_links() {
    let app = spawn_app().await;
    clinic(&app).await;
    let first = search(&app, "Observation?_include=Observation:subject&_count=2").await;
    assert_eq!(match_ids(&first), ["o1", "o2"]);
    assert_eq!(included(&first), ["Patient/p1"]);
    let links = first["link"].as_array().unwrap();
    let next = links.iter().find(|l| l["relation"] == "next").unwrap()["url"].as_str().unwrap();
    assert!(
        next.contains("_include=Observation%3Asubject")
            || next.contains("_include=Observation:subject"),
        "{next}"
    );
    let second = json(app.client.get(next).send().await.unwrap()).await;
    assert_eq!(match_ids(&second), ["o3"]);
    assert_eq!(included(&second), ["Patient/p2"]);
}

#[tokio::test]
async fn include_is_not_reported_as_ignored_even_under_strict_handling() {
    let app = spawn_app().await;
    clinic(&app).await;
    let response = app
        .request(reqwest::Method::GET, "/Observation?_include=Observation:subject")
        .header("prefer", "handling=strict")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bundle = json(response).await;
    let outcomes = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "outcome")
        .count();
    assert_eq!(outcomes, 0);
}
