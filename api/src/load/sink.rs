//! Where requests go: the `Sink` trait, and `HttpSink`, which sends them to a FHIR server over
//! plain HTTP on the loopback interface.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

/// The FHIR JSON media type, sent with every request.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The HTTP methods a load uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// Receives the requests of a load: a FHIR server over HTTP, or one called in process.
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// Sends one request with `Content-Type: application/fhir+json`; `path` is relative to the
    /// base ("" for the base itself). Returns the HTTP status and the body parsed as JSON, if it
    /// is JSON. An `Err` is a failure to reach the server, which the loader retries.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(u16, Option<serde_json::Value>)>;
}

/// Sends requests to a FHIR base URL with one keep-alive connection pool.
#[derive(Debug, Clone)]
pub struct HttpSink {
    client: reqwest::Client,
    base: String,
}

impl HttpSink {
    /// Accepts only `http://` URLs on a loopback host: this build has no TLS, and health data
    /// does not travel the network in clear text.
    pub fn new(base_url: &str) -> anyhow::Result<Self> {
        let url =
            reqwest::Url::parse(base_url).with_context(|| format!("invalid URL {base_url}"))?;
        if url.scheme() != "http" || !is_loopback(url.host_str().unwrap_or_default()) {
            bail!("{base_url}: only http:// URLs on a loopback host (127.0.0.1, [::1], localhost)");
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self { client, base: base_url.trim_end_matches('/').to_owned() })
    }

    fn url(&self, path: &str) -> String {
        if path.is_empty() { self.base.clone() } else { format!("{}/{path}", self.base) }
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[async_trait::async_trait]
impl Sink for HttpSink {
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(u16, Option<serde_json::Value>)> {
        let request = match method {
            Method::Post => self.client.post(self.url(path)),
            Method::Put => self.client.put(self.url(path)),
        };
        let response = request
            .header(CONTENT_TYPE, FHIR_JSON)
            .header(ACCEPT, FHIR_JSON)
            .header("Prefer", "return=minimal")
            .body(body)
            .send()
            .await
            .map_err(reqwest::Error::without_url)?; // the URL may carry a resource id
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(reqwest::Error::without_url)?;
        Ok((status, serde_json::from_slice(&bytes).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_accepted() {
        for url in ["http://127.0.0.1:8080/fhir", "http://localhost/fhir/", "http://[::1]:1/"] {
            assert!(HttpSink::new(url).is_ok(), "{url}");
        }
        for url in ["https://127.0.0.1/fhir", "http://10.0.0.1/fhir", "http://example.org", "x"] {
            assert!(HttpSink::new(url).is_err(), "{url}");
        }
    }

    #[test]
    fn paths_join_the_base_without_double_slashes() -> anyhow::Result<()> {
        let sink = HttpSink::new("http://127.0.0.1:8080/fhir/")?;
        assert_eq!(sink.url(""), "http://127.0.0.1:8080/fhir");
        assert_eq!(sink.url("Patient/1"), "http://127.0.0.1:8080/fhir/Patient/1");
        Ok(())
    }
}

/// Calls the application's router in process: `panorama load` straight into a data dir.
#[derive(Clone)]
pub struct RouterSink(pub axum::Router);

#[async_trait::async_trait]
impl Sink for RouterSink {
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(u16, Option<serde_json::Value>)> {
        use tower::ServiceExt;
        let uri = if path.is_empty() { "/fhir".to_owned() } else { format!("/fhir/{path}") };
        let request = axum::http::Request::builder()
            .method(method.as_str())
            .uri(uri)
            .header("content-type", FHIR_JSON)
            .header("prefer", "return=minimal")
            .body(axum::body::Body::from(body))?;
        let response = self.0.clone().oneshot(request).await?;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok((status, serde_json::from_slice(&bytes).ok()))
    }
}
