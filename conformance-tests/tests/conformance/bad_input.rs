//! Bad input gets a clear 4xx OperationOutcome, nothing is stored, and nothing panics or hangs.

use reqwest::Method;
use serde_json::json;

use conformance_tests::{json, outcome, spawn_app};

async fn post_raw(
    app: &conformance_tests::TestApp,
    path: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.request(Method::POST, path)
        .header("content-type", "application/fhir+json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn patient_count(app: &conformance_tests::TestApp) -> u64 {
    json(app.get("/Patient/_history").await).await["total"].as_u64().unwrap()
}

#[tokio::test]
async fn unparseable_bodies_are_400_and_store_nothing() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    let deep_object = format!(
        r#"{{"resourceType":"Patient","x":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let bodies: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"".to_vec(),
        deep,
        deep_object.into_bytes(),
        vec![0xff, 0xfe, 0x00],
        br#"{"resourceType":"Patient","name":[{"family":"caf\xe9"}]}"#.to_vec(),
        br#"{"resourceType":"Patient","gender":"male","gender":"female"}"#.to_vec(),
    ];
    for body in bodies {
        outcome(post_raw(&app, "/Patient", body).await, 400).await;
    }
    assert_eq!(patient_count(&app).await, 0);
}

#[tokio::test]
async fn a_body_of_another_type_than_the_url_is_400() {
    let app = spawn_app().await;
    let issue =
        outcome(app.post("/Patient", &json!({"resourceType": "Observation"})).await, 400).await;
    assert_eq!(issue["diagnostics"], "the body is an Observation but the URL names Patient");
    outcome(app.put("/Patient/a", &json!({"resourceType": "Observation", "id": "a"})).await, 400)
        .await;
}

#[tokio::test]
async fn a_body_id_that_differs_from_the_url_is_400() {
    let app = spawn_app().await;
    outcome(app.put("/Patient/a", &json!({"resourceType": "Patient", "id": "b"})).await, 400).await;
    outcome(app.put("/Patient/a", &json!({"resourceType": "Patient"})).await, 400).await;
}

#[tokio::test]
async fn invalid_ids_are_400() {
    let app = spawn_app().await;
    let long = "a".repeat(65);
    for id in ["..%2Fx", long.as_str(), "a%20b", "%C3%A9"] {
        let response =
            app.put(&format!("/Patient/{id}"), &json!({"resourceType": "Patient"})).await;
        let issue = outcome(response, 400).await;
        assert_eq!(issue["expression"], json!(["Patient.id"]));
    }
    assert_eq!(patient_count(&app).await, 0);
}

#[tokio::test]
async fn a_50_mb_body_is_413() {
    let app = spawn_app().await;
    let big = format!(r#"{{"resourceType":"Patient","text":"{}"}}"#, "a".repeat(50 * 1024 * 1024));
    outcome(post_raw(&app, "/Patient", big.into_bytes()).await, 413).await;
    assert_eq!(patient_count(&app).await, 0);
}

#[tokio::test]
async fn wrong_content_type_is_415_and_wrong_method_is_405() {
    let app = spawn_app().await;
    let xml = app
        .request(Method::POST, "/Patient")
        .header("content-type", "application/fhir+xml")
        .body("<Patient/>")
        .send()
        .await
        .unwrap();
    outcome(xml, 415).await;
    let trace = app.request(Method::PATCH, "/Patient").send().await.unwrap();
    outcome(trace, 405).await;
}

#[tokio::test]
async fn unknown_paths_are_404_operation_outcomes() {
    let app = spawn_app().await;
    outcome(app.get("/Patient/1/2/3/4/5").await, 404).await;
    outcome(app.client.get(app.base.replace("/fhir", "/nothing")).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn bundles_of_other_types_are_refused_at_the_base_url() {
    let app = spawn_app().await;
    let collection = json!({"resourceType": "Bundle", "type": "collection"});
    outcome(app.post("", &collection).await, 422).await;
    let issue = outcome(app.post("", &json!({"resourceType": "Patient"})).await, 400).await;
    let said = issue["diagnostics"].as_str().unwrap();
    assert_eq!(said, "the base URL takes only batch and transaction Bundles, not a Patient");
}

#[tokio::test]
async fn vread_of_a_version_that_does_not_exist_says_so() {
    let app = spawn_app().await;
    app.put("/Patient/v", &json!({"resourceType": "Patient", "id": "v"})).await;
    let issue = outcome(app.get("/Patient/v/_history/9").await, 404).await;
    let said = issue["diagnostics"].as_str().unwrap();
    assert!(said.starts_with("no such version"), "{said}");
    let issue = outcome(app.get("/Patient/v/_history/x").await, 400).await;
    assert_eq!(issue["expression"], json!(["Patient.meta.versionId"]));
}

#[tokio::test]
async fn a_fhir_json_patch_that_is_not_a_parameters_resource_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    app.put("/Patient/p", &json!({"resourceType": "Patient", "id": "p"})).await;
    let bodies = [
        r#"[{"op":"replace","path":"/active","value":true}]"#,
        r#"{"foo":1}"#,
        r#"{"resourceType":"Patient"}"#,
        r#"{"resourceType":"Parameters"}"#,
    ];
    for content_type in ["application/fhir+json", "application/json"] {
        for body in bodies {
            let response = app
                .request(Method::PATCH, "/Patient/p")
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(status == 400 || status == 422, "{body}: {status}");
            outcome(response, status).await;
        }
    }
    let stored = json(app.get("/Patient/p").await).await;
    assert_eq!(stored["meta"]["versionId"], "1");
}

#[tokio::test]
async fn strings_with_control_characters_are_422_naming_the_element_and_store_nothing() {
    let app = spawn_app().await;
    for (text, expression) in [
        (r#"{"resourceType":"Patient","name":[{"family":"a\u0000b"}]}"#, "Patient.name[0].family"),
        (r#"{"resourceType":"Patient","gender":"ma\u0001le"}"#, "Patient.gender"),
        (r#"{"resourceType":"Patient","meta":{"source":"x\u001f"}}"#, "Patient.meta.source"),
    ] {
        let issue = outcome(post_raw(&app, "/Patient", text.as_bytes().to_vec()).await, 422).await;
        assert_eq!(issue["expression"], json!([expression]), "{text}");
    }
    let allowed = r#"{"resourceType":"Patient","name":[{"text":"a\tb\r\nc"}]}"#;
    assert_eq!(post_raw(&app, "/Patient", allowed.as_bytes().to_vec()).await.status(), 201);
    assert_eq!(patient_count(&app).await, 1);
}

#[tokio::test]
async fn a_search_or_condition_with_a_control_character_is_400() {
    let app = spawn_app().await;
    for query in ["name=%00", "name=a%01b", "family:exact=%1F", "identifier=x%7C%00"] {
        let issue = outcome(app.get(&format!("/Patient?{query}")).await, 400).await;
        assert!(issue["diagnostics"].as_str().unwrap().contains("control character"), "{query}");
    }
    let conditional = app
        .request(Method::POST, "/Patient")
        .header("content-type", "application/fhir+json")
        .header("if-none-exist", "identifier=%00")
        .body(r#"{"resourceType":"Patient"}"#)
        .send()
        .await
        .unwrap();
    outcome(conditional, 400).await;
    let update = app.put("/Patient?identifier=%01", &json!({"resourceType": "Patient"})).await;
    outcome(update, 400).await;
    outcome(app.delete("/Patient?identifier=%00").await, 400).await;
    let entry = json!({"resource": {"resourceType": "Patient"},
        "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=%00"}});
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [entry]});
    outcome(app.post("", &bundle).await, 400).await;
    assert_eq!(patient_count(&app).await, 0);
}
