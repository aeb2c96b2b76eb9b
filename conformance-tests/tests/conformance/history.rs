//! History of an instance, a type and the system, with `_count`, `_since`, `_at` and paging,
//! over HTTP and as batch entries.

use reqwest::Method;
use serde_json::json;

use conformance_tests::{json, outcome, spawn_app};

#[tokio::test]
async fn instance_history_lists_every_version_newest_first_with_methods() {
    let app = spawn_app().await;
    let body = json!({"resourceType": "Patient", "id": "h"});
    app.put("/Patient/h", &body).await;
    app.put("/Patient/h", &body).await;
    app.delete("/Patient/h").await;
    let history = json(app.get("/Patient/h/_history").await).await;
    assert_eq!(history["type"], "history");
    assert_eq!(history["total"], 3);
    let methods: Vec<&str> = history["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"]["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["DELETE", "PUT", "PUT"]);
    assert!(history["entry"][0].get("resource").is_none());
    assert_eq!(history["entry"][2]["response"]["status"], "201");
}

#[tokio::test]
async fn type_and_system_history_page_with_next_links_that_skip_nothing() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.put(
            &format!("/Patient/p{i}"),
            &json!({"resourceType": "Patient", "id": format!("p{i}")}),
        )
        .await;
    }
    app.create(json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"}}))
        .await;
    let mut seen = vec![];
    let mut url = format!("{}/Patient/_history?_count=3", app.base);
    let first = json(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!(first["total"], 7);
    loop {
        let page = json(app.client.get(&url).send().await.unwrap()).await;
        for entry in page["entry"].as_array().unwrap() {
            seen.push(entry["resource"]["id"].as_str().unwrap().to_owned());
        }
        let next = page["link"].as_array().unwrap().iter().find(|l| l["relation"] == "next");
        match next {
            Some(link) => url = link["url"].as_str().unwrap().to_owned(),
            None => break,
        }
        // A write between pages must not shift what the next page holds.
        app.create(json!({"resourceType": "Patient"})).await;
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("p{i}")).collect();
    assert_eq!(seen, expected);
    let system = json(app.get("/_history?_count=100").await).await;
    assert!(system["total"].as_u64().unwrap() >= 8);
}

#[tokio::test]
async fn since_keeps_only_versions_at_or_after_the_instant() {
    let app = spawn_app().await;
    app.put("/Patient/a", &json!({"resourceType": "Patient", "id": "a"})).await;
    let later =
        json(app.put("/Patient/b", &json!({"resourceType": "Patient", "id": "b"})).await).await;
    let since = later["meta"]["lastUpdated"].as_str().unwrap();
    let url = format!("{}/Patient/_history", app.base);
    let page = json(app.client.get(&url).query(&[("_since", since)]).send().await.unwrap()).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["entry"][0]["resource"]["id"], "b");
}

#[tokio::test]
async fn history_of_an_id_that_never_existed_is_404_but_of_a_deleted_one_is_200() {
    let app = spawn_app().await;
    outcome(app.get("/Patient/never/_history").await, 404).await;
    app.put("/Patient/gone", &json!({"resourceType": "Patient", "id": "gone"})).await;
    app.delete("/Patient/gone").await;
    let history = json(app.get("/Patient/gone/_history").await).await;
    assert_eq!(history["total"], 2);
}

#[tokio::test]
async fn history_with_count_0_gives_the_total_alone() {
    let app = spawn_app().await;
    for id in ["a", "b"] {
        app.put(&format!("/Patient/{id}"), &json!({"resourceType": "Patient", "id": id})).await;
    }
    for path in ["/Patient/_history?_count=0", "/_history?_count=0", "/Patient/a/_history?_count=0"]
    {
        let history = json(app.get(path).await).await;
        assert!(history["total"].as_u64().unwrap() >= 1, "{path}: {history}");
        assert!(history.get("entry").is_none(), "{path}: {history}");
        let links = history["link"].as_array().unwrap();
        assert!(links.iter().all(|l| l["relation"] != "next"), "{path}: {history}");
    }
}

#[tokio::test]
async fn at_keeps_the_versions_current_at_some_moment_of_its_range() {
    let app = spawn_app().await;
    let mut updated = Vec::new();
    for active in [true, false, true] {
        let body = json!({"resourceType": "Patient", "id": "t", "active": active});
        let stored = json(app.put("/Patient/t", &body).await).await;
        updated.push(stored["meta"]["lastUpdated"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let versions_at = |at: String| {
        let app = &app;
        async move {
            let path = format!("/Patient/t/_history?_at={}", at.replace('+', "%2B"));
            let history = json(app.get(&path).await).await;
            let entries = history["entry"].as_array().cloned().unwrap_or_default();
            let versions: Vec<String> = entries
                .iter()
                .map(|e| e["resource"]["meta"]["versionId"].as_str().unwrap().to_owned())
                .collect();
            versions
        }
    };
    assert_eq!(versions_at(updated[1].clone()).await, ["2"]);
    assert_eq!(versions_at(updated[2].clone()).await, ["3"]);
    let year = &updated[0][..4];
    assert_eq!(versions_at(year.to_owned()).await, ["3", "2", "1"]);
    let before: i32 = year.parse::<i32>().unwrap() - 1;
    assert!(versions_at(before.to_string()).await.is_empty());
    outcome(app.get("/Patient/t/_history?_at=yesterday").await, 400).await;
}

#[tokio::test]
async fn history_entries_of_a_batch_answer_as_the_history_interaction_does() {
    let app = spawn_app().await;
    app.put("/Patient/b", &json!({"resourceType": "Patient", "id": "b"})).await;
    let get = |url: &str| json!({"request": {"method": "GET", "url": url}});
    let batch = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        get("Patient/never/_history"), get("Patient/b/_history?_count=0")]});
    let response = json(app.post("", &batch).await).await;
    assert_eq!(response["entry"][0]["response"]["status"], "404 Not Found", "{response}");
    let counted = &response["entry"][1]["resource"];
    assert_eq!((&counted["type"], &counted["total"]), (&json!("history"), &json!(1)), "{response}");
    assert!(counted.get("entry").is_none(), "{response}");
}

#[tokio::test]
async fn list_is_refused_under_strict_handling_and_named_in_a_warning_otherwise() {
    let app = spawn_app().await;
    app.put("/Patient/a", &json!({"resourceType": "Patient", "id": "a"})).await;
    let path = "/Patient/a/_history?_at=2020-01-01&_list=x";
    let strict = app.request(Method::GET, path).header("prefer", "handling=strict");
    let issue = outcome(strict.send().await.unwrap(), 400).await;
    assert!(issue["diagnostics"].as_str().unwrap().ends_with("_list"), "{issue}");

    let path = "/Patient/a/_history?_list=x";
    let history = json(app.get(path).await).await;
    let warning = &history["entry"][0]["response"]["outcome"]["issue"][0];
    assert_eq!(warning["severity"], "warning", "{history}");
    assert!(warning["diagnostics"].as_str().unwrap().ends_with("_list"), "{history}");
    assert_eq!(history["entry"][1]["resource"]["id"], "a");
    let self_link = history["link"][0]["url"].as_str().unwrap();
    assert!(!self_link.contains("_list"), "{self_link}");
}
