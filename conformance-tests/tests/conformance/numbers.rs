//! Numbers are served as the client wrote them (`1.0E-5`, `1e2`, `412.30`, `128`) through every
//! response: read, search, history, batch and transaction responses, and `_pretty`.

use reqwest::Method;
use serde_json::json;

use conformance_tests::{TestApp, json, spawn_app};

const NUMBERS: [&str; 4] = ["1.0E-5", "1e2", "412.30", "128"];

fn observation(id: &str) -> String {
    let components: Vec<String> = NUMBERS
        .iter()
        .map(|n| format!(r#"{{"code":{{"text":"c"}},"valueQuantity":{{"value":{n}}}}}"#))
        .collect();
    format!(
        r#"{{"resourceType":"Observation","id":"{id}","status":"final","code":{{"text":"x"}},
        "component":[{}]}}"#,
        components.join(",")
    )
}

async fn send(app: &TestApp, method: Method, path: &str, body: String) -> String {
    let response = app
        .request(method, path)
        .header("content-type", "application/fhir+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.text().await.unwrap()
}

async fn get_text(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn assert_spelled_as_sent(text: &str, what: &str) {
    for number in NUMBERS {
        let compact = format!("\"value\":{number}}}");
        let pretty = format!("\"value\": {number}\n");
        assert!(text.contains(&compact) || text.contains(&pretty), "{what}: {number} in {text}");
    }
}

#[tokio::test]
async fn numbers_keep_their_spelling_in_search_history_and_pretty_responses() {
    let app = spawn_app().await;
    send(&app, Method::PUT, "/Observation/n", observation("n")).await;

    assert_spelled_as_sent(&get_text(&app, "/Observation/n").await, "read");
    assert_spelled_as_sent(&get_text(&app, "/Observation?_id=n").await, "search");
    assert_spelled_as_sent(&get_text(&app, "/Observation/n/_history").await, "instance history");
    assert_spelled_as_sent(&get_text(&app, "/Observation/_history").await, "type history");
    assert_spelled_as_sent(&get_text(&app, "/_history").await, "system history");
    assert_spelled_as_sent(&get_text(&app, "/Observation/n/_history/1").await, "vread");
    assert_spelled_as_sent(&get_text(&app, "/Observation/n?_pretty=true").await, "pretty read");
    assert_spelled_as_sent(&get_text(&app, "/Observation?_pretty=true").await, "pretty search");
    let pretty_history = get_text(&app, "/Observation/n/_history?_pretty=true").await;
    assert_spelled_as_sent(&pretty_history, "pretty history");
}

#[tokio::test]
async fn numbers_keep_their_spelling_in_batch_and_transaction_responses() {
    let app = spawn_app().await;
    for (kind, id) in [("transaction", "t"), ("batch", "b")] {
        let bundle = format!(
            r#"{{"resourceType":"Bundle","type":"{kind}","entry":[{{"resource":{},
            "request":{{"method":"PUT","url":"Observation/{id}"}}}}]}}"#,
            observation(id)
        );
        let response = send(&app, Method::POST, "", bundle).await;
        assert_spelled_as_sent(&response, kind);
        let read = format!(
            r#"{{"resourceType":"Bundle","type":"{kind}","entry":[
            {{"request":{{"method":"GET","url":"Observation/{id}"}}}},
            {{"request":{{"method":"GET","url":"Observation?_id={id}"}}}}]}}"#
        );
        let response = send(&app, Method::POST, "?_pretty=true", read).await;
        assert_eq!(response.matches("\"value\": 1.0E-5\n").count(), 2, "{kind}: {response}");
        assert_spelled_as_sent(&response, kind);
    }
    let stored = json(app.get("/Observation/t").await).await;
    assert_eq!(stored["id"], json!("t"));
}
