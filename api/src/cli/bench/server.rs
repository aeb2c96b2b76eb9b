//! The server under test: `panorama serve` as a child process on a free loopback port and a
//! temporary data dir, its memory read from `/proc`, and the few requests the bench makes itself.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use super::generator::Workload;
use crate::load::FHIR_JSON;

/// How long the server may take to answer `/health/ready`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// History pages followed at most while collecting patient ids.
const MAX_PAGES: usize = 1000;

/// Where the server under test keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Database {
    /// A fresh SQLite data dir under the system temp dir.
    Sqlite,
    /// A fresh database on the PostgreSQL server of this URL (a database there that the user
    /// may create databases from), dropped at the end.
    Postgres { admin_url: String },
}

impl Database {
    /// SQLite without a URL; PostgreSQL with one.
    pub(super) fn from_url(url: Option<&str>) -> Self {
        match url {
            Some(url) => Database::Postgres { admin_url: url.to_owned() },
            None => Database::Sqlite,
        }
    }

    /// How the report names it.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite, fresh temporary data dir",
            Database::Postgres { .. } => "postgresql, fresh database",
        }
    }
}

/// How to start the server under test.
#[derive(Debug, Clone)]
pub(super) struct ServerOptions {
    pub(super) database: Database,
    /// False starts it with `--no-search-index`.
    pub(super) search_index: bool,
    /// Leaves the data dir or database in place at the end, for inspection.
    pub(super) keep: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { database: Database::Sqlite, search_index: true, keep: false }
    }
}

/// A running `panorama serve`, killed and its data removed when stopped (only killed when
/// dropped: a PostgreSQL database is dropped by `stop`).
pub(super) struct Server {
    child: Child,
    origin: String,
    base: String,
    client: reqwest::Client,
    storage: Storage,
}

/// What holds the server's data.
enum Storage {
    Dir(DataDir),
    Postgres { admin_url: String, name: String, keep: bool },
}

impl Server {
    /// Spawns this very binary as `panorama serve`, logging at warn, and waits until it is ready.
    pub(super) async fn start(options: &ServerOptions) -> anyhow::Result<Self> {
        let (storage, database_args) = storage(options).await?;
        let port = free_port()?;
        let exe = std::env::current_exe().context("cannot find the panorama binary")?;
        let mut command = Command::new(exe);
        command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).args(database_args);
        if !options.search_index {
            command.arg("--no-search-index");
        }
        let child = command
            .env("PANORAMA_LOG", "warn")
            .env_remove("PANORAMA_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start panorama serve")?;
        let origin = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
        let base = format!("{origin}/fhir");
        let mut server = Server { child, origin, base, client, storage };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Where the data is, for a reader who kept it.
    pub(super) fn data_location(&self) -> String {
        match &self.storage {
            Storage::Dir(dir) => dir.path().join("panorama.sqlite").display().to_string(),
            Storage::Postgres { name, .. } => format!("PostgreSQL database {name}"),
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The FHIR base URL, `http://127.0.0.1:<port>/fhir`.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// `http://127.0.0.1:<port>`, to which the workloads' paths are relative.
    pub(super) fn origin(&self) -> &str {
        &self.origin
    }

    /// The server's resident memory now and at its peak so far.
    pub(super) fn memory(&self) -> anyhow::Result<Memory> {
        let path = format!("/proc/{}/status", self.pid());
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        Memory::parse(&status).with_context(|| format!("no VmRSS or VmHWM in {path}"))
    }

    /// CPU time the server has used so far, user and system, all threads.
    pub(super) fn cpu_time(&self) -> anyhow::Result<Duration> {
        let path = format!("/proc/{}/stat", self.pid());
        let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        cpu_time(&stat).with_context(|| format!("no utime and stime in {path}"))
    }

    /// Kills the server, then removes its data unless it is to be kept.
    pub(super) async fn stop(mut self) -> anyhow::Result<()> {
        self.kill();
        if let Storage::Postgres { admin_url, name, keep: false } = &self.storage {
            store::scratch::drop_database(admin_url, name).await?;
        }
        Ok(())
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let url = format!("{}/health/ready", self.origin);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("panorama serve exited before it was ready ({status})");
            }
            match self.client.get(&url).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                _ if started.elapsed() > START_TIMEOUT => bail!("the server was not ready in time"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The ids of every Patient, from the Patient history, page after page.
    pub(super) async fn patient_ids(&self) -> anyhow::Result<Vec<String>> {
        let mut ids = BTreeSet::new();
        let mut next = Some(format!("{}/Patient/_history?_count=1000", self.base));
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else { break };
            let page: Value = self.get_json(&url).await?;
            ids.extend(history_ids(&page));
            next = next_link(&page).filter(|url| url.starts_with(&self.origin));
        }
        if ids.is_empty() {
            bail!("the server holds no Patient after the load");
        }
        Ok(ids.into_iter().collect())
    }

    /// Sends the first request of `workload` once, so that a rejected body fails the bench
    /// instead of being timed.
    pub(super) async fn check_write(&self, workload: &Workload) -> anyhow::Result<()> {
        let call = workload.calls.first().context("no request to send")?;
        let url = format!("{}{}", self.origin, call.path);
        let body = call.body.clone().unwrap_or_default();
        let response = self.client.post(url).header("content-type", FHIR_JSON).body(body);
        let response = response.send().await?;
        let status = response.status();
        if status.as_u16() != 201 {
            let text = response.text().await.unwrap_or_default();
            bail!("the server refused the benchmark DocumentReference ({status}): {text}");
        }
        Ok(())
    }

    pub(super) async fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        let response = self.client.get(url).header("accept", FHIR_JSON).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("GET {url} answered {status}");
        }
        Ok(response.json().await?)
    }

    fn kill(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn history_ids(page: &Value) -> impl Iterator<Item = String> + '_ {
    let entries = page["entry"].as_array().map(Vec::as_slice).unwrap_or_default();
    entries.iter().filter_map(|entry| entry["resource"]["id"].as_str().map(str::to_owned))
}

fn next_link(page: &Value) -> Option<String> {
    let links = page["link"].as_array()?;
    let next = links.iter().find(|link| link["relation"] == "next")?;
    next["url"].as_str().map(str::to_owned)
}

/// Clock ticks per second in `/proc/<pid>/stat`: `USER_HZ`, 100 on every Linux ABI in use.
const TICKS_PER_SECOND: u64 = 100;

/// utime + stime from `/proc/<pid>/stat`: fields 14 and 15, counted after the parenthesized
/// command name (which may itself hold spaces).
fn cpu_time(stat: &str) -> Option<Duration> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / TICKS_PER_SECOND))
}

/// The machine's one-minute load average, to tell whether other work competed with the bench.
pub(super) fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// A port nobody listens on now; the server binds it a moment later.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free port")?;
    Ok(listener.local_addr()?.port())
}

/// Resident memory of a process, from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Memory {
    /// `VmRSS`: resident now.
    pub(super) resident_kib: u64,
    /// `VmHWM`: the most that was ever resident.
    pub(super) peak_kib: u64,
}

impl Memory {
    fn parse(status: &str) -> Option<Memory> {
        let field = |name: &str| {
            let line = status.lines().find_map(|line| line.strip_prefix(name))?;
            line.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        };
        Some(Memory { resident_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
    }
}

/// KiB as megabytes of 10^6 bytes.
pub(super) fn megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// A fresh data dir or PostgreSQL database, and the `serve` arguments that point at it.
async fn storage(options: &ServerOptions) -> anyhow::Result<(Storage, Vec<String>)> {
    match &options.database {
        Database::Sqlite => {
            let dir = DataDir::create(options.keep)?;
            let args = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
            Ok((Storage::Dir(dir), args))
        }
        Database::Postgres { admin_url } => {
            let name = format!("panorama_bench_{}", uuid::Uuid::new_v4().simple());
            let url = store::scratch::create_database(admin_url, &name)
                .await
                .with_context(|| format!("cannot create the database {name}"))?;
            let admin_url = admin_url.clone();
            let storage = Storage::Postgres { admin_url, name, keep: options.keep };
            Ok((storage, vec!["--database-url".to_owned(), url]))
        }
    }
}

/// A fresh folder under the system temp dir, removed with everything in it when dropped
/// unless it is to be kept.
struct DataDir {
    path: PathBuf,
    keep: bool,
}

impl DataDir {
    fn create(keep: bool) -> anyhow::Result<Self> {
        let name = format!("panorama-bench-{}", uuid::Uuid::new_v4());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(DataDir { path, keep })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn memory_is_read_from_the_status_file() {
        let status = "Name:\tpanorama\nVmPeak:\t 900000 kB\nVmHWM:\t  183204 kB\n\
                      VmRSS:\t  150116 kB\nThreads:\t3\n";
        let memory = Memory::parse(status);
        assert_eq!(memory, Some(Memory { resident_kib: 150116, peak_kib: 183204 }));
        assert_eq!(Memory::parse("Name:\tpanorama\n"), None);
    }

    #[test]
    fn cpu_time_adds_user_and_system_ticks() {
        let stat = "4242 (panorama (x)) S 1 4242 4242 0 -1 4194560 9517 0 0 0 1204 1463 0 0 20 0 \
                    35 0 1234 987654 5678";
        assert_eq!(cpu_time(stat), Some(Duration::from_millis(26_670)));
        assert_eq!(cpu_time("4242 (panorama) S 1"), None);
    }

    #[test]
    fn megabytes_are_millions_of_bytes() {
        assert!((megabytes(195_313) - 200.0).abs() < 0.01);
    }

    #[test]
    fn history_pages_yield_resource_ids_and_the_next_link() {
        let page = json!({"entry": [{"resource": {"id": "a"}}, {"request": {}},
                                    {"resource": {"id": "b"}}],
                          "link": [{"relation": "self", "url": "s"},
                                   {"relation": "next", "url": "n"}]});
        assert_eq!(history_ids(&page).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(next_link(&page).as_deref(), Some("n"));
        assert_eq!(next_link(&json!({"link": []})), None);
    }
}
