//! Create, read, vread, update, patch and delete, with the HTTP semantics R4 asks for.

use reqwest::Method;
use serde_json::json;

use conformance_tests::{json, outcome, spawn_app};

#[tokio::test]
async fn create_assigns_id_and_meta_and_answers_201_with_location_and_etag() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/Patient",
            &json!({"resourceType": "Patient", "meta": {"source": "urn:x", "tag": [
            {"system": "s", "code": "t"}]}, "gender": "female"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    assert!(response.headers().contains_key("last-modified"));
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body = json(response).await;
    let id = body["id"].as_str().unwrap();
    assert_eq!(location, format!("{}/Patient/{id}/_history/1", app.base));
    assert_eq!(body["meta"]["versionId"], "1");
    assert_eq!(body["meta"]["source"], "urn:x");
    assert_eq!(body["meta"]["tag"][0]["code"], "t");
    assert!(body["meta"]["lastUpdated"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn decimals_are_served_with_the_exact_text_received() {
    let app = spawn_app().await;
    let sent = r#"{"resourceType":"Observation","status":"final","code":{"text":"dose"},
        "valueQuantity":{"value":412.30,"unit":"mGy"},"component":[{"code":{"text":"a"},
        "valueQuantity":{"value":128}},{"code":{"text":"b"},"valueQuantity":{"value":1.0E-5}}]}"#;
    let response = app
        .request(Method::POST, "/Observation")
        .header("content-type", "application/fhir+json")
        .body(sent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = json(response).await["id"].as_str().unwrap().to_owned();
    let text = app.get(&format!("/Observation/{id}")).await.text().await.unwrap();
    assert!(text.contains("\"value\":412.30"), "{text}");
    assert!(text.contains("\"value\":128}"), "{text}");
    assert!(text.contains("\"value\":1.0E-5"), "{text}");

    let patch = r#"[{"op":"add","path":"/valueQuantity/comparator","value":"<"},
        {"op":"add","path":"/component/0/valueQuantity/unit","value":"mGy"},
        {"op":"add","path":"/component/-","value":{"code":{"text":"c"},"valueQuantity":{"value":2E3}}}]"#;
    let response = app
        .request(Method::PATCH, &format!("/Observation/{id}"))
        .header("content-type", "application/json-patch+json")
        .body(patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = app.get(&format!("/Observation/{id}")).await.text().await.unwrap();
    assert!(text.contains("\"value\":412.30"), "{text}");
    assert!(text.contains("\"value\":1.0E-5}"), "{text}");
    assert!(text.contains("\"value\":2E3}"), "{text}");
}

#[tokio::test]
async fn read_returns_the_current_version_with_etag() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient", "active": true})).await;
    let id = created["id"].as_str().unwrap();
    let response = app.get(&format!("/Patient/{id}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    assert_eq!(json(response).await, created);
}

#[tokio::test]
async fn read_of_an_unknown_id_is_404_and_of_an_unknown_type_is_404() {
    let app = spawn_app().await;
    let issue = outcome(app.get("/Patient/nope").await, 404).await;
    assert_eq!(issue["code"], "not-found");
    outcome(app.get("/Patientx/1").await, 404).await;
}

#[tokio::test]
async fn update_creates_then_increments_the_version() {
    let app = spawn_app().await;
    let body = json!({"resourceType": "Patient", "id": "p1", "active": true});
    let first = app.put("/Patient/p1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().contains_key("location"));
    let second = app.put("/Patient/p1", &body).await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["etag"], "W/\"2\"");
    let v1 = json(app.get("/Patient/p1/_history/1").await).await;
    assert_eq!(v1["meta"]["versionId"], "1");
}

#[tokio::test]
async fn update_with_a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let body = json!({"resourceType": "Patient", "id": "p1"});
    app.put("/Patient/p1", &body).await;
    app.put("/Patient/p1", &body).await;
    let stale = app
        .request(Method::PUT, "/Patient/p1")
        .header("content-type", "application/fhir+json")
        .header("if-match", "W/\"1\"")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    outcome(stale, 412).await;
    let fresh = app
        .request(Method::PUT, "/Patient/p1")
        .header("content-type", "application/fhir+json")
        .header("if-match", "W/\"2\"")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_eq!(fresh.headers()["etag"], "W/\"3\"");
}

#[tokio::test]
async fn concurrent_updates_never_lose_a_write_or_leave_a_gap_in_history() {
    let app = spawn_app().await;
    app.put("/Patient/c", &json!({"resourceType": "Patient", "id": "c"})).await;
    let writers = (0..20).map(|i| {
        let body = json!({"resourceType": "Patient", "id": "c", "birthDate": format!("20{i:02}")});
        let request = app
            .request(Method::PUT, "/Patient/c")
            .header("content-type", "application/fhir+json")
            .body(body.to_string());
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(writers).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let history = json(app.get("/Patient/c/_history?_count=100").await).await;
    let mut versions: Vec<i64> = history["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["meta"]["versionId"].as_str().unwrap().parse().unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, (1..=21).collect::<Vec<_>>());
}

#[tokio::test]
async fn delete_then_read_is_410_and_vread_of_the_deletion_is_410() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient"})).await;
    let id = created["id"].as_str().unwrap();
    let deleted = app.delete(&format!("/Patient/{id}")).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(deleted.headers()["etag"], "W/\"2\"");
    let issue = outcome(app.get(&format!("/Patient/{id}")).await, 410).await;
    assert_eq!(issue["code"], "deleted");
    outcome(app.get(&format!("/Patient/{id}/_history/2")).await, 410).await;
    assert_eq!(app.get(&format!("/Patient/{id}/_history/1")).await.status(), 200);
    assert_eq!(app.delete(&format!("/Patient/{id}")).await.status(), 204);
}

#[tokio::test]
async fn update_after_delete_recreates_with_the_next_version() {
    let app = spawn_app().await;
    let body = json!({"resourceType": "Patient", "id": "r"});
    app.put("/Patient/r", &body).await;
    app.delete("/Patient/r").await;
    let again = app.put("/Patient/r", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["etag"], "W/\"3\"");
}

#[tokio::test]
async fn json_patch_changes_the_resource_and_makes_a_new_version() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient", "active": true})).await;
    let id = created["id"].as_str().unwrap();
    let patch = json!([{"op": "replace", "path": "/active", "value": false},
        {"op": "add", "path": "/gender", "value": "other"}]);
    let response = app
        .request(Method::PATCH, &format!("/Patient/{id}"))
        .header("content-type", "application/json-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["active"], false);
    assert_eq!(body["gender"], "other");
    assert_eq!(body["meta"]["versionId"], "2");
}

#[tokio::test]
async fn a_patch_that_does_not_apply_is_422() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient"})).await;
    let id = created["id"].as_str().unwrap();
    let patch = json!([{"op": "remove", "path": "/nothing/here"}]);
    let response = app
        .request(Method::PATCH, &format!("/Patient/{id}"))
        .header("content-type", "application/json-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    outcome(response, 422).await;
}

#[tokio::test]
async fn prefer_return_minimal_and_operation_outcome_shape_the_write_response() {
    let app = spawn_app().await;
    let minimal = app
        .request(Method::POST, "/Patient")
        .header("content-type", "application/fhir+json")
        .header("prefer", "return=minimal")
        .body(r#"{"resourceType":"Patient"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(minimal.status(), 201);
    assert!(minimal.headers().contains_key("location"));
    assert!(minimal.bytes().await.unwrap().is_empty());
    let oo = app
        .request(Method::POST, "/Patient")
        .header("content-type", "application/fhir+json")
        .header("prefer", "return=OperationOutcome")
        .body(r#"{"resourceType":"Patient"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json(oo).await["resourceType"], "OperationOutcome");
}

#[tokio::test]
async fn conditional_reads_answer_304_when_nothing_changed() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient"})).await;
    let path = format!("/Patient/{}", created["id"].as_str().unwrap());
    let same = app.request(Method::GET, &path).header("if-none-match", "W/\"1\"").send().await;
    assert_eq!(same.unwrap().status(), 304);
    let other = app.request(Method::GET, &path).header("if-none-match", "W/\"9\"").send().await;
    assert_eq!(other.unwrap().status(), 200);
    let later = app
        .request(Method::GET, &path)
        .header("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT")
        .send()
        .await;
    assert_eq!(later.unwrap().status(), 304);
}

#[tokio::test]
async fn format_and_pretty_choose_the_media_type_and_indentation() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient"})).await;
    let path = format!("/Patient/{}", created["id"].as_str().unwrap());
    let plain = app.get(&format!("{path}?_format=application/json&_pretty=true")).await;
    assert!(plain.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(plain.text().await.unwrap().contains("\n  \"resourceType\""));
    let xml = app.get(&format!("{path}?_format=xml")).await;
    outcome(xml, 406).await;
}

#[tokio::test]
async fn conditional_create_returns_the_existing_match_instead_of_a_duplicate() {
    let app = spawn_app().await;
    let body =
        json!({"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "42"}]});
    let create = || {
        app.request(Method::POST, "/Patient")
            .header("content-type", "application/fhir+json")
            .header("if-none-exist", "identifier=urn:s|42")
            .body(body.to_string())
            .send()
    };
    assert_eq!(create().await.unwrap().status(), 201);
    assert_eq!(create().await.unwrap().status(), 200);
    let found = json(app.get("/Patient?identifier=urn:s|42").await).await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn concurrent_identical_conditional_creates_create_exactly_one_resource() {
    let app = spawn_app().await;
    let body =
        json!({"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "c"}]});
    let requests = (0..16).map(|_| {
        let request = app
            .request(Method::POST, "/Patient")
            .header("content-type", "application/fhir+json")
            .header("if-none-exist", "identifier=urn:s|c")
            .body(body.to_string());
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let mut statuses = futures::future::join_all(requests).await;
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{statuses:?}");
    let found = json(app.get("/Patient?identifier=urn:s|c").await).await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn conditional_update_and_delete_act_on_the_single_match() {
    let app = spawn_app().await;
    let body =
        json!({"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "u"}]});
    let first = app.put("/Patient?identifier=urn:s|u", &body).await;
    assert_eq!(first.status(), 201);
    let id = json(first).await["id"].as_str().unwrap().to_owned();
    let second = app.put("/Patient?identifier=urn:s|u", &body).await;
    assert_eq!(second.status(), 200);
    assert_eq!(json(second).await["id"], id.as_str());
    assert_eq!(app.delete("/Patient?identifier=urn:s|u").await.status(), 204);
    assert_eq!(app.get(&format!("/Patient/{id}")).await.status(), 410);
}

#[tokio::test]
async fn conditional_writes_that_match_several_resources_are_412() {
    let app = spawn_app().await;
    let body =
        json!({"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "m"}]});
    app.create(body.clone()).await;
    app.create(body.clone()).await;
    outcome(app.put("/Patient?identifier=urn:s|m", &body).await, 412).await;
    outcome(app.delete("/Patient?identifier=urn:s|m").await, 412).await;
}

#[tokio::test]
async fn fhirpath_patch_adds_and_replaces_elements() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient", "name": [{"family": "A"}]})).await;
    let id = created["id"].as_str().unwrap();
    let patch = json!({"resourceType": "Parameters", "parameter": [
        {"name": "operation", "part": [{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"}, {"name": "name", "valueString": "birthDate"},
            {"name": "value", "valueDate": "1950-02-03"}]},
        {"name": "operation", "part": [{"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.name[0].family"},
            {"name": "value", "valueString": "B"}]}]});
    let response = app.send_json(Method::PATCH, &format!("/Patient/{id}"), &patch).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["birthDate"], "1950-02-03");
    assert_eq!(body["name"][0]["family"], "B");
    assert_eq!(body["meta"]["versionId"], "2");
}

#[tokio::test]
async fn a_fhirpath_patch_that_would_make_the_resource_invalid_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let created = app.create(json!({"resourceType": "Patient"})).await;
    let id = created["id"].as_str().unwrap();
    let patch = json!({"resourceType": "Parameters", "parameter": [
        {"name": "operation", "part": [{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"}, {"name": "name", "valueString": "gender"},
            {"name": "value", "valueCode": "mail"}]}]});
    let response = app.send_json(Method::PATCH, &format!("/Patient/{id}"), &patch).await;
    outcome(response, 422).await;
    let current = json(app.get(&format!("/Patient/{id}")).await).await;
    assert_eq!(current["meta"]["versionId"], "1");
}

#[tokio::test]
async fn writes_arriving_together_each_get_their_own_outcome() {
    let app = spawn_app().await;
    app.put("/Patient/x", &json!({"resourceType": "Patient", "id": "x"})).await;
    let send = |method: Method, path: String, body: serde_json::Value, if_match: Option<&str>| {
        let mut request = app
            .request(method, &path)
            .header("content-type", "application/fhir+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location =
                response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            (status, location)
        }
    };
    let mut writes = Vec::new();
    for i in 0..30 {
        let body = json!({"resourceType": "Patient", "name": [{"family": format!("Group{i}")}]});
        writes.push(send(Method::POST, "/Patient".into(), body, None));
    }
    for _ in 0..5 {
        let body = json!({"resourceType": "Patient", "id": "x", "gender": "other"});
        writes.push(send(Method::PUT, "/Patient/x".into(), body, Some("W/\"7\"")));
    }
    let results = futures::future::join_all(writes).await;

    let (created, stale) = results.split_at(30);
    assert!(created.iter().all(|(status, _)| *status == 201), "{created:?}");
    assert!(stale.iter().all(|(status, _)| *status == 412), "{stale:?}");
    for (_, location) in created {
        let path = location.as_deref().unwrap().split("/fhir").nth(1).unwrap().to_owned();
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
    let found = json(app.get("/Patient?family=Group&_summary=count").await).await;
    assert_eq!(found["total"], 30);
    let x = json(app.get("/Patient/x").await).await;
    assert_eq!(x["meta"]["versionId"], "1", "the stale updates changed nothing");
}

#[tokio::test]
async fn a_read_after_a_write_sees_the_write() {
    let app = spawn_app().await;
    app.put("/Patient/r", &json!({"resourceType": "Patient", "id": "r", "gender": "male"})).await;
    for (version, gender) in [("2", "female"), ("3", "other")] {
        // Read first, so that the version read is the one kept in memory.
        let before = json(app.get("/Patient/r").await).await;
        assert_ne!(before["gender"], gender);
        let body = json!({"resourceType": "Patient", "id": "r", "gender": gender});
        assert_eq!(app.put("/Patient/r", &body).await.status(), 200);
        let after = app.get("/Patient/r").await;
        assert_eq!(after.headers()["etag"], format!("W/\"{version}\"").as_str());
        assert_eq!(json(after).await["gender"], gender);
    }
    assert_eq!(app.delete("/Patient/r").await.status(), 204);
    assert_eq!(app.get("/Patient/r").await.status(), 410);
}
