//! The other ways in to search: by POST with a form body, and within a compartment.

use conformance_tests::{TestApp, json, outcome, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

use crate::search::{match_ids, observation, patient, put_all, search};

async fn post_form(app: &TestApp, path: &str, form: &str) -> reqwest::Response {
    app.request(Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

async fn two_patients_and_their_observations(app: &TestApp) {
    let subject = |id: &str| json!({"subject": {"reference": format!("Patient/{id}")}});
    let coded = |id: &str, code: &str| {
        let mut extra = subject(id);
        extra["code"] = json!({"coding": [{"system": "http://loinc.org", "code": code}]});
        extra
    };
    put_all(
        app,
        vec![
            patient("a", json!({"gender": "female"})),
            patient("b", json!({"gender": "male"})),
            observation("a1", coded("a", "1-1")),
            observation("a2", coded("a", "2-2")),
            observation("b1", coded("b", "1-1")),
            observation(
                "b2",
                json!({"subject": {"reference": "Group/g"},
                       "performer": [{"reference": "Patient/a"}]}),
            ),
            json!({"resourceType": "DiagnosticReport", "id": "ra", "status": "final",
                   "code": {"text": "CT"}, "subject": {"reference": "Patient/a"}}),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_search_posted_as_a_form_finds_what_the_same_get_finds() {
    let app = spawn_app().await;
    two_patients_and_their_observations(&app).await;
    let response = post_form(&app, "/Observation/_search", "code=http://loinc.org|1-1").await;
    assert_eq!(response.status(), 200);
    let posted = json(response).await;
    let got = search(&app, "Observation?code=http://loinc.org|1-1").await;
    assert_eq!(match_ids(&posted), match_ids(&got));
    assert_eq!(match_ids(&posted), ["a1", "b1"]);

    // Parameters of the URL and of the body both apply; the links are those of a GET.
    let both =
        json(post_form(&app, "/Observation/_search?subject=Patient/a", "code=1-1").await).await;
    assert_eq!(match_ids(&both), ["a1"]);
    let own = both["link"][0]["url"].as_str().unwrap();
    assert!(own.contains("/Observation?") && !own.contains("_search"), "{own}");
    assert!(own.contains("code=1-1") && own.contains("subject=Patient%2Fa"), "{own}");
}

#[tokio::test]
async fn a_search_post_without_a_form_body_is_415() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/Observation/_search")
        .header("content-type", "application/fhir+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    outcome(response, 415).await;
}

#[tokio::test]
async fn a_compartment_search_finds_the_resources_in_that_patients_compartment() {
    let app = spawn_app().await;
    two_patients_and_their_observations(&app).await;
    // b2 is in a's compartment as its performer, though its subject is a group.
    let all = search(&app, "Patient/a/Observation").await;
    assert_eq!(match_ids(&all), ["a1", "a2", "b2"]);
    let coded = search(&app, "Patient/a/Observation?code=1-1").await;
    assert_eq!(match_ids(&coded), ["a1"]);
    assert_eq!(match_ids(&search(&app, "Patient/a/DiagnosticReport").await), ["ra"]);
    assert_eq!(match_ids(&search(&app, "Patient/b/DiagnosticReport").await), Vec::<String>::new());
    let posted = json(post_form(&app, "/Patient/b/Observation/_search", "code=1-1").await).await;
    assert_eq!(match_ids(&posted), ["b1"]);
}

#[tokio::test]
async fn a_type_outside_the_compartment_has_nothing_in_it() {
    let app = spawn_app().await;
    two_patients_and_their_observations(&app).await;
    let bundle: Value = search(&app, "Patient/a/Organization").await;
    assert_eq!(bundle["total"], 0);
    assert_eq!(app.get("/Nothing/a/Observation").await.status(), 404);
}

/// `type/id` of the matches, in the Bundle's order.
fn typed_matches(bundle: &Value) -> Vec<String> {
    let entries = bundle["entry"].as_array().into_iter().flatten();
    entries
        .filter(|e| e["search"]["mode"] == "match")
        .map(|e| format!("{}/{}", e["resource"]["resourceType"], e["resource"]["id"]))
        .map(|s| s.replace('"', ""))
        .collect()
}

#[tokio::test]
async fn a_search_across_types_finds_resources_of_each_type() {
    let app = spawn_app().await;
    two_patients_and_their_observations(&app).await;
    let tag = json!({"meta": {"tag": [{"system": "urn:t", "code": "review"}]}});
    put_all(&app, vec![patient("t", tag.clone()), observation("t", tag)]).await;

    let by_id = search_system(&app, "?_id=a,a1,ra").await;
    assert_eq!(typed_matches(&by_id), ["Patient/a", "Observation/a1", "DiagnosticReport/ra"]);
    let tagged = search_system(&app, "?_tag=urn:t|review").await;
    assert_eq!(typed_matches(&tagged), ["Patient/t", "Observation/t"]);
    let typed = search_system(&app, "?_type=Observation,DiagnosticReport&_id=a,a1,ra").await;
    assert_eq!(typed_matches(&typed), ["Observation/a1", "DiagnosticReport/ra"]);
    // A parameter every listed type has applies to each of them.
    let coded = search_system(&app, "?_type=Observation,DiagnosticReport&subject=Patient/a").await;
    assert_eq!(typed_matches(&coded), ["Observation/a1", "Observation/a2", "DiagnosticReport/ra"]);
    let sorted = search_system(&app, "?_id=a,a1,ra&_sort=-_lastUpdated").await;
    assert_eq!(typed_matches(&sorted), ["DiagnosticReport/ra", "Observation/a1", "Patient/a"]);

    let posted = json(post_form(&app, "/_search", "_id=a,ra").await).await;
    assert_eq!(typed_matches(&posted), ["Patient/a", "DiagnosticReport/ra"]);
}

async fn search_system(app: &TestApp, query: &str) -> Value {
    let response = app.get(query).await;
    assert_eq!(response.status(), 200, "{query}");
    json(response).await
}
