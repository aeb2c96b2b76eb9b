//! Batch and transaction Bundles posted to the base URL.

use serde_json::{Value, json};

use conformance_tests::{json, outcome, spawn_app};

fn entry(method: &str, url: &str, resource: Option<Value>, full_url: Option<&str>) -> Value {
    let mut entry = json!({"request": {"method": method, "url": url}});
    if let Some(resource) = resource {
        entry["resource"] = resource;
    }
    if let Some(full_url) = full_url {
        entry["fullUrl"] = json!(full_url);
    }
    entry
}

#[tokio::test]
async fn a_transaction_rewrites_urn_uuid_references_to_the_ids_it_assigns() {
    let app = spawn_app().await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Observation", Some(json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "x"}, "subject": {"reference": "urn:uuid:0d6c5b3e-1111-4c4c-9a9a-000000000001"}})), None),
        entry("POST", "Patient", Some(json!({"resourceType": "Patient"})),
            Some("urn:uuid:0d6c5b3e-1111-4c4c-9a9a-000000000001")),
    ]});
    let response = app.post("", &bundle).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["type"], "transaction-response");
    let observation_location = body["entry"][0]["response"]["location"].as_str().unwrap();
    let patient_location = body["entry"][1]["response"]["location"].as_str().unwrap();
    assert!(body["entry"][0]["response"]["status"].as_str().unwrap().starts_with("201"));
    let observation = json(app.get(&format!("/{observation_location}")).await).await;
    let patient_ref = patient_location.split("/_history").next().unwrap();
    assert_eq!(observation["subject"]["reference"], patient_ref);
}

#[tokio::test]
async fn a_json_patch_carried_in_a_binary_entry_patches_the_resource() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient", "active": true})).await;
    let id = created["id"].as_str().unwrap();
    let operations = br#"[{"op":"replace","path":"/active","value":false}]"#;
    let data = base64::engine::general_purpose::STANDARD.encode(operations);
    let binary = json!({"resourceType": "Binary", "contentType": "application/json-patch+json",
        "data": data});
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PATCH", &format!("Patient/{id}"), Some(binary), None)]});
    let response = app.post("", &bundle).await;
    assert_eq!(response.status(), 200);
    let patched = json(app.get(&format!("/Patient/{id}")).await).await;
    assert_eq!((&patched["active"], &patched["meta"]["versionId"]), (&json!(false), &json!("2")));

    let wrong = json!({"resourceType": "Binary", "contentType": "text/plain", "data": data});
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PATCH", &format!("Patient/{id}"), Some(wrong), None)]});
    let issue = outcome(app.post("", &bundle).await, 400).await;
    assert_eq!(issue["expression"], json!(["Bundle.entry[0].resource.contentType"]));
}

#[tokio::test]
async fn numbers_in_a_transaction_keep_the_exponent_the_client_wrote() {
    let app = spawn_app().await;
    let sent = r#"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":
        {"resourceType":"Observation","status":"final","code":{"text":"x"},
        "valueQuantity":{"value":1.50E+2}},"request":{"method":"POST","url":"Observation"}}]}"#;
    let response = app
        .request(reqwest::Method::POST, "")
        .header("content-type", "application/fhir+json")
        .body(sent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let location = json(response).await["entry"][0]["response"]["location"].clone();
    let text = app.get(&format!("/{}", location.as_str().unwrap())).await.text().await.unwrap();
    assert!(text.contains("\"value\":1.50E+2}"), "{text}");
}

#[tokio::test]
async fn a_transaction_whose_last_entry_fails_stores_nothing() {
    let app = spawn_app().await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PUT", "Patient/t1", Some(json!({"resourceType": "Patient", "id": "t1"})), None),
        entry("PUT", "Patient/t2", Some(json!({"resourceType": "Patient", "id": "t2"})), None),
        entry("PUT", "Patient/t3", Some(json!({"resourceType": "Patient", "id": "other"})), None),
    ]});
    let issue = outcome(app.post("", &bundle).await, 400).await;
    assert_eq!(issue["expression"], json!(["Bundle.entry[2].resource.id"]));
    assert_eq!(app.get("/Patient/t1").await.status(), 404);
    assert_eq!(app.get("/Patient/t2").await.status(), 404);
}

#[tokio::test]
async fn a_transaction_that_changes_one_resource_twice_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let twice = |second: Value| {
        json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            entry("PUT", "Patient/d0", Some(json!({"resourceType": "Patient", "id": "d0"})), None),
            entry("PUT", "Patient/d1", Some(json!({"resourceType": "Patient", "id": "d1"})), None),
            second,
        ]})
    };
    let put_again =
        entry("PUT", "Patient/d1", Some(json!({"resourceType": "Patient", "id": "d1"})), None);
    for second in [put_again, entry("DELETE", "Patient/d1", None, None)] {
        let issue = outcome(app.post("", &twice(second)).await, 400).await;
        assert!(issue["expression"][0].as_str().unwrap().starts_with("Bundle.entry["));
        assert_eq!(app.get("/Patient/d0").await.status(), 404);
    }
}

#[tokio::test]
async fn concurrent_transactions_over_the_same_resources_in_opposite_orders_all_succeed() {
    let app = spawn_app().await;
    let put = |id: &str| {
        entry(
            "PUT",
            &format!("Patient/{id}"),
            Some(json!({"resourceType": "Patient", "id": id})),
            None,
        )
    };
    let forward = json!({"resourceType": "Bundle", "type": "transaction",
        "entry": [put("o1"), put("o2"), put("o3")]});
    let backward = json!({"resourceType": "Bundle", "type": "transaction",
        "entry": [put("o3"), put("o2"), put("o1")]});
    let sends = (0..20).map(|i| {
        let bundle = if i % 2 == 0 { &forward } else { &backward };
        app.post("", bundle)
    });
    let statuses: Vec<u16> =
        futures::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, vec![200; 20]);
    let patient = json(app.get("/Patient/o2").await).await;
    assert_eq!(patient["meta"]["versionId"], "20");
}

#[tokio::test]
async fn a_batch_runs_each_entry_on_its_own_and_reports_each_outcome() {
    let app = spawn_app().await;
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        entry("PUT", "Patient/b1", Some(json!({"resourceType": "Patient", "id": "b1"})), None),
        entry("GET", "Patient/missing", None, None),
        entry("GET", "Patient/b1", None, None),
    ]});
    let body = json(app.post("", &bundle).await).await;
    assert_eq!(body["type"], "batch-response");
    assert!(body["entry"][0]["response"]["status"].as_str().unwrap().starts_with("201"));
    assert!(body["entry"][1]["response"]["status"].as_str().unwrap().starts_with("404"));
    assert_eq!(body["entry"][1]["response"]["outcome"]["resourceType"], "OperationOutcome");
    assert_eq!(body["entry"][2]["resource"]["id"], "b1");
}

#[tokio::test]
async fn a_transaction_nested_in_a_batch_stays_atomic() {
    let app = spawn_app().await;
    let failing = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PUT", "Patient/n1", Some(json!({"resourceType": "Patient", "id": "n1"})), None),
        entry("DELETE", "Patient?identifier=x", None, None),
        entry("PUT", "Patient/n2", Some(json!({"resourceType": "Patient", "id": "wrong"})), None),
    ]});
    let batch = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        entry("POST", "", Some(failing), None),
        entry("PUT", "Patient/n3", Some(json!({"resourceType": "Patient", "id": "n3"})), None),
    ]});
    let body = json(app.post("", &batch).await).await;
    assert!(body["entry"][0]["response"]["status"].as_str().unwrap().starts_with("400"));
    assert!(body["entry"][1]["response"]["status"].as_str().unwrap().starts_with("201"));
    assert_eq!(app.get("/Patient/n1").await.status(), 404);
    assert_eq!(app.get("/Patient/n3").await.status(), 200);
}

#[tokio::test]
async fn conditional_references_resolve_to_their_single_match_or_fail_the_transaction() {
    let app = spawn_app().await;
    app.create(json!({"resourceType": "Practitioner", "identifier": [{"system": "urn:npi", "value": "7"}]}))
        .await;
    let good = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Encounter", Some(json!({"resourceType": "Encounter", "status": "finished",
            "class": {"code": "AMB"}, "participant": [{"individual":
            {"reference": "Practitioner?identifier=urn:npi|7"}}]})), None)]});
    let body = json(app.post("", &good).await).await;
    let location = body["entry"][0]["response"]["location"].as_str().unwrap();
    let encounter = json(app.get(&format!("/{location}")).await).await;
    let reference = encounter["participant"][0]["individual"]["reference"].as_str().unwrap();
    assert!(reference.starts_with("Practitioner/"), "{reference}");
    let bad = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Encounter", Some(json!({"resourceType": "Encounter", "status": "finished",
            "class": {"code": "AMB"}, "participant": [{"individual":
            {"reference": "Practitioner?identifier=urn:npi|404"}}]})), None)]});
    outcome(app.post("", &bad).await, 412).await;
}

#[tokio::test]
async fn if_none_exist_in_a_transaction_reuses_the_match_with_or_without_the_type_prefix() {
    let app = spawn_app().await;
    app.create(
        json!({"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "x"}]}),
    )
    .await;
    for condition in ["identifier=urn:s|x", "Patient?identifier=urn:s|x"] {
        let mut post = entry("POST", "Patient", Some(json!({"resourceType": "Patient"})), None);
        post["request"]["ifNoneExist"] = json!(condition);
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [post]});
        let body = json(app.post("", &bundle).await).await;
        assert!(body["entry"][0]["response"]["status"].as_str().unwrap().starts_with("200"));
    }
    let found = json(app.get("/Patient?identifier=urn:s|x").await).await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn if_match_in_a_transaction_entry_guards_the_update() {
    let app = spawn_app().await;
    app.put("/Patient/m", &json!({"resourceType": "Patient", "id": "m"})).await;
    let mut put =
        entry("PUT", "Patient/m", Some(json!({"resourceType": "Patient", "id": "m"})), None);
    put["request"]["ifMatch"] = json!("W/\"3\"");
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [put]});
    outcome(app.post("", &bundle).await, 412).await;
}

#[tokio::test]
async fn if_none_match_star_in_a_transaction_entry_only_creates() {
    let app = spawn_app().await;
    app.put("/Patient/k", &json!({"resourceType": "Patient", "id": "k"})).await;
    let create_only = |id: &str| {
        let body = json!({"resourceType": "Patient", "id": id, "active": true});
        let mut put = entry("PUT", &format!("Patient/{id}"), Some(body), None);
        put["request"]["ifNoneMatch"] = json!("*");
        put
    };
    let bundle = json!({"resourceType": "Bundle", "type": "transaction",
        "entry": [create_only("new"), create_only("k")]});
    outcome(app.post("", &bundle).await, 412).await;
    assert_eq!(app.get("/Patient/new").await.status(), 404);
    let bundle =
        json!({"resourceType": "Bundle", "type": "transaction", "entry": [create_only("new")]});
    let response = json(app.post("", &bundle).await).await;
    assert_eq!(response["entry"][0]["response"]["status"], "201 Created");
}

#[tokio::test]
async fn a_reference_to_a_urn_uuid_no_entry_has_fails_the_transaction() {
    let app = spawn_app().await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Observation", Some(json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "x"}, "subject": {"reference": "urn:uuid:99999999-0000-4000-8000-000000000000"}})),
            None)]});
    let issue = outcome(app.post("", &bundle).await, 400).await;
    assert_eq!(issue["expression"][0], "Bundle.entry[0]");
    assert_eq!(json(app.get("/Observation").await).await["total"], 0);
}

/// `Patient/<id>` at version 2.
async fn patient_at_version_2(app: &conformance_tests::TestApp, id: &str) {
    let body = json!({"resourceType": "Patient", "id": id});
    app.put(&format!("/Patient/{id}"), &body).await;
    app.put(&format!("/Patient/{id}"), &body).await;
}

fn delete_if_match(url: &str, if_match: &str) -> Value {
    let mut delete = entry("DELETE", url, None, None);
    delete["request"]["ifMatch"] = json!(if_match);
    delete
}

#[tokio::test]
async fn a_transaction_delete_with_a_stale_if_match_fails_whole_and_deletes_nothing() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "x1").await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PUT", "Patient/x2", Some(json!({"resourceType": "Patient", "id": "x2"})), None),
        delete_if_match("Patient/x1", "W/\"1\""),
    ]});
    let issue = outcome(app.post("", &bundle).await, 412).await;
    assert_eq!(issue["expression"][0], "Bundle.entry[1]");
    assert_eq!(app.get("/Patient/x1").await.status(), 200);
    assert_eq!(app.get("/Patient/x2").await.status(), 404);
}

#[tokio::test]
async fn a_batch_delete_with_a_stale_or_malformed_if_match_fails_that_entry_alone() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "y1").await;
    patient_at_version_2(&app, "y2").await;
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        delete_if_match("Patient/y1", "W/\"1\""),
        delete_if_match("Patient/y1", "two"),
        delete_if_match("Patient/y2", "W/\"2\""),
    ]});
    let body = json(app.post("", &bundle).await).await;
    let status = |i: usize| body["entry"][i]["response"]["status"].as_str().unwrap().to_owned();
    assert!(status(0).starts_with("412"), "{body}");
    assert!(status(1).starts_with("400"), "{body}");
    assert!(status(2).starts_with("204"), "{body}");
    assert_eq!(app.get("/Patient/y1").await.status(), 200);
    assert_eq!(app.get("/Patient/y2").await.status(), 410);
}

#[tokio::test]
async fn a_batch_read_of_a_resource_at_version_2_is_answered_as_a_read_not_a_write() {
    let app = spawn_app().await;
    patient_at_version_2(&app, "g").await;
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        entry("GET", "Patient/g", None, None),
        entry("PUT", "Patient/g", Some(json!({"resourceType": "Patient", "id": "g"})), None),
    ]});
    let response = app
        .request(reqwest::Method::POST, "")
        .header("content-type", "application/fhir+json")
        .header("prefer", "return=minimal")
        .body(bundle.to_string())
        .send()
        .await
        .unwrap();
    let body = json(response).await;
    let (read, write) = (&body["entry"][0], &body["entry"][1]);
    assert_eq!(read["resource"]["meta"]["versionId"], "2", "{body}");
    assert!(read["response"].get("location").is_none(), "{body}");
    assert_eq!(write["response"]["location"], "Patient/g/_history/3");
    assert!(write.get("resource").is_none(), "return=minimal drops the written resource");
}

#[tokio::test]
async fn an_invalid_resource_in_a_transaction_is_located_by_one_path_through_its_entry() {
    let app = spawn_app().await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Patient", Some(json!({"resourceType": "Patient"})), None),
        entry("POST", "Patient", Some(json!({"resourceType": "Patient"})), None),
        entry("POST", "Patient", Some(json!({"resourceType": "Patient", "birthDate": "1970-13"})),
            None),
    ]});
    let issue = outcome(app.post("", &bundle).await, 422).await;
    assert_eq!(issue["expression"], json!(["Bundle.entry[2].resource.birthDate"]));
}
