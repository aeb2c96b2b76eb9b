//! `spawn_app()`: the real server on a random loopback port over a database of its own.

use std::sync::Arc;

use api::{AppState, Config, app, serve};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use store::Store;

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Arc<Store>,
    // Keeps the SQLite folder alive as long as the app.
    _data_dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server to make test databases on, when the suite runs on PostgreSQL.
fn postgres_admin_url() -> Option<String> {
    std::env::var("PANORAMA_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    spawn_until(config, std::future::pending()).await.0
}

/// A running server that stops (as on SIGTERM) when `stop` is sent, and its task, which ends
/// when the server has stopped.
pub struct Stoppable {
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub server: tokio::task::JoinHandle<()>,
}

pub async fn spawn_stoppable_app(config: Config) -> (TestApp, Stoppable) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (app, server) = spawn_until(config, async move {
        let _ = stopped.await;
    })
    .await;
    (app, Stoppable { stop, server })
}

async fn spawn_until(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (TestApp, tokio::task::JoinHandle<()>) {
    let (url, data_dir) = match postgres_admin_url() {
        Some(admin) => (fresh_postgres_database(&admin).await, None),
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.sqlite").display());
            (url, Some(dir))
        }
    };
    let store = Arc::new(Store::open(&url, 8).await.expect("open store"));
    store.migrate().await.expect("migrate");
    // As `panorama serve` on SQLite; here on PostgreSQL too, the test being its only writer.
    store.remember_current_versions(64 * 1024 * 1024);
    let config = Arc::new(config);
    let state = AppState { store: store.clone(), config: config.clone() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(async move { serve(listener, app(state), &config, shutdown).await });
    let app = TestApp {
        base: format!("http://{address}/fhir"),
        client: Client::new(),
        store,
        _data_dir: data_dir,
    };
    (app, server)
}

/// Creates an empty database for one test and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("panorama_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url).await.expect("connect to PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let (server, _) = admin_url.rsplit_once('/').expect("a PostgreSQL URL with a database");
    format!("{server}/{name}")
}

impl TestApp {
    /// `host:port` of the server, for raw TCP connections.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://").trim_end_matches("/fhir")
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{}", self.base, path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path).send().await.expect("DELETE")
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.request(method, path)
            .header("content-type", "application/fhir+json")
            .body(serde_json::to_vec(body).expect("json"))
            .send()
            .await
            .expect("request")
    }

    /// Creates a resource and returns it as the server stored it.
    pub async fn create(&self, resource: Value) -> Value {
        let path = format!("/{}", resource["resourceType"].as_str().expect("resourceType"));
        let response = self.post(&path, &resource).await;
        assert_eq!(response.status(), 201, "create {path}");
        response.json().await.expect("json")
    }
}

/// The body of a response as JSON.
pub async fn json(response: Response) -> Value {
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("a JSON body")
}

/// Asserts a response is an OperationOutcome with `status`, and returns its first issue.
pub async fn outcome(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("application/fhir+json"), "{content_type}");
    let body = json(response).await;
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    body["issue"][0].clone()
}
