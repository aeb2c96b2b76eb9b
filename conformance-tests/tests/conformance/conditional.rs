//! Conditional requests: `If-Match` on writes, `If-None-Match` on reads and updates.

use reqwest::{Method, Response};
use serde_json::json;

use conformance_tests::{TestApp, json, outcome, spawn_app};

/// A Patient `id` at version 2.
async fn patient_at_version_2(app: &TestApp, id: &str) {
    let body = json!({"resourceType": "Patient", "id": id});
    app.put(&format!("/Patient/{id}"), &body).await;
    let second = app.put(&format!("/Patient/{id}"), &body).await;
    assert_eq!(second.headers()["etag"], "W/\"2\"");
}

async fn with_header(
    app: &TestApp,
    method: Method,
    path: &str,
    name: &str,
    value: &str,
) -> Response {
    app.request(method, path).header(name, value).send().await.unwrap()
}

#[tokio::test]
async fn delete_with_a_stale_if_match_is_412_and_deletes_nothing() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "d").await;
    let stale = with_header(&app, Method::DELETE, "/Patient/d", "if-match", "W/\"1\"").await;
    outcome(stale, 412).await;
    assert_eq!(app.get("/Patient/d").await.status(), 200);

    let current = with_header(&app, Method::DELETE, "/Patient/d", "if-match", "W/\"2\"").await;
    assert_eq!(current.status(), 204);
    assert_eq!(app.get("/Patient/d").await.status(), 410);
}

#[tokio::test]
async fn delete_with_a_malformed_if_match_is_400_and_deletes_nothing() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "d").await;
    let malformed =
        with_header(&app, Method::DELETE, "/Patient/d", "if-match", "version two").await;
    outcome(malformed, 400).await;
    assert_eq!(app.get("/Patient/d").await.status(), 200);
}

#[tokio::test]
async fn put_with_if_none_match_star_only_creates() {
    let app = spawn_app().await;
    let body = json!({"resourceType": "Patient", "id": "n", "active": true});
    let create_only = |body: serde_json::Value| {
        app.request(Method::PUT, "/Patient/n")
            .header("content-type", "application/fhir+json")
            .header("if-none-match", "*")
            .body(body.to_string())
            .send()
    };
    assert_eq!(create_only(body.clone()).await.unwrap().status(), 201);
    let changed = json!({"resourceType": "Patient", "id": "n", "active": false});
    outcome(create_only(changed).await.unwrap(), 412).await;
    let stored = json(app.get("/Patient/n").await).await;
    assert_eq!((&stored["active"], &stored["meta"]["versionId"]), (&json!(true), &json!("1")));
}

#[tokio::test]
async fn concurrent_puts_with_if_none_match_star_create_exactly_once() {
    let app = spawn_app().await;
    let puts = (0..16).map(|i| {
        let body = json!({"resourceType": "Patient", "id": "once", "birthDate": format!("2000-01-{:02}", i + 1)});
        let request = app
            .request(Method::PUT, "/Patient/once")
            .header("content-type", "application/fhir+json")
            .header("if-none-match", "*")
            .body(body.to_string());
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(puts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 412), "{statuses:?}");
    let history = json(app.get("/Patient/once/_history").await).await;
    assert_eq!(history["total"], 1);
}

#[tokio::test]
async fn read_with_if_none_match_star_or_a_list_naming_the_current_version_is_304() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "r").await;
    for tags in ["*", "W/\"1\", W/\"2\"", "W/\"2\""] {
        let response = with_header(&app, Method::GET, "/Patient/r", "if-none-match", tags).await;
        assert_eq!(response.status(), 304, "{tags}");
        assert_eq!(response.headers()["etag"], "W/\"2\"");
    }
    let older = with_header(&app, Method::GET, "/Patient/r", "if-none-match", "W/\"1\"").await;
    assert_eq!(older.status(), 200);
}

#[tokio::test]
async fn vread_honours_if_none_match() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "v").await;
    let path = "/Patient/v/_history/1";
    let same = with_header(&app, Method::GET, path, "if-none-match", "W/\"1\"").await;
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"], "W/\"1\"");
    let other = with_header(&app, Method::GET, path, "if-none-match", "W/\"2\"").await;
    assert_eq!(other.status(), 200);
    assert_eq!(json(other).await["meta"]["versionId"], "1");
}
