//! Content negotiation and request bodies: `_format` spellings, FHIR versions, charsets,
//! compression, byte-order marks and bytes that are not UTF-8.

use reqwest::{Method, Response};

use conformance_tests::{TestApp, json, outcome, spawn_app};

const PATIENT: &str = r#"{"resourceType":"Patient","active":true}"#;

async fn post_patient(app: &TestApp, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    let mut request = app.request(Method::POST, "/Patient");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).send().await.unwrap()
}

async fn patient_count(app: &TestApp) -> u64 {
    json(app.get("/Patient/_history").await).await["total"].as_u64().unwrap()
}

#[tokio::test]
async fn format_fhir_json_sent_unencoded_or_in_short_forms_is_accepted() {
    let app = spawn_app().await;
    // `+` unencoded in a query decodes to a space.
    for format in ["application/fhir+json", "application/fhir%2Bjson", "fhir+json", "json"] {
        let response = app.get(&format!("/metadata?_format={format}")).await;
        assert_eq!(response.status(), 200, "{format}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/fhir+json"), "{format}: {content_type}");
    }
    outcome(app.get("/metadata?_format=xml").await, 406).await;
}

#[tokio::test]
async fn fhir_versions_other_than_r4_are_406_when_accepted_and_415_when_sent() {
    let app = spawn_app().await;
    for version in ["3.0", "5.0"] {
        let accept = format!("application/fhir+json; fhirVersion={version}");
        let response =
            app.request(Method::GET, "/metadata").header("accept", accept).send().await.unwrap();
        outcome(response, 406).await;
        let content_type = format!("application/fhir+json; fhirVersion={version}");
        let headers = [("content-type", content_type.as_str())];
        outcome(post_patient(&app, &headers, PATIENT.into()).await, 415).await;
    }
    let r4 = [("content-type", "application/fhir+json; fhirVersion=4.0")];
    assert_eq!(post_patient(&app, &r4, PATIENT.into()).await.status(), 201);
}

#[tokio::test]
async fn a_charset_other_than_utf8_or_a_compressed_body_is_415_and_stores_nothing() {
    let app = spawn_app().await;
    let latin1 = [("content-type", "application/fhir+json; charset=iso-8859-1")];
    outcome(post_patient(&app, &latin1, PATIENT.into()).await, 415).await;
    for encoding in ["gzip", "br"] {
        let headers = [("content-type", "application/fhir+json"), ("content-encoding", encoding)];
        outcome(post_patient(&app, &headers, vec![0x1f, 0x8b, 8, 0]).await, 415).await;
    }
    assert_eq!(patient_count(&app).await, 0);
}

#[tokio::test]
async fn a_body_starting_with_a_byte_order_mark_is_read_and_one_not_in_utf8_is_refused_saying_so() {
    let app = spawn_app().await;
    let fhir_json = [("content-type", "application/fhir+json; charset=utf-8")];
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), PATIENT.as_bytes()].concat();
    assert_eq!(post_patient(&app, &fhir_json, with_bom).await.status(), 201);

    let latin1 = b"{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Andr\xe9\"}]}".to_vec();
    let issue = outcome(post_patient(&app, &fhir_json, latin1).await, 400).await;
    assert!(issue["diagnostics"].as_str().unwrap().contains("not UTF-8"), "{issue}");
    assert_eq!(patient_count(&app).await, 1);
}
