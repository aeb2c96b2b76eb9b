//! Connecting to SQLite or PostgreSQL, running migrations, and the SQL helpers shared by the
//! store's modules.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use domain::{Error, ResourceId, ResourceType};
use migrations::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait, Value,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::cache::CurrentVersions;
use crate::checkpoint::Checkpoints;
use crate::group::GroupCommit;
use crate::index::Staged;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store: a connection pool and, on SQLite, the lock that lets one writer in at a time.
pub struct Store {
    pub(crate) db: DatabaseConnection,
    /// On an SQLite file, the one connection writes run on, whose page cache keeps the index
    /// pages that writes touch; elsewhere writes run on `db`.
    writes: Option<DatabaseConnection>,
    pub(crate) backend: Backend,
    max_connections: u32,
    // SQLite allows one writer; taking turns here avoids `SQLITE_BUSY` when a deferred
    // transaction tries to upgrade to a write lock.
    pub(crate) writer: Arc<Mutex<()>>,
    /// On SQLite, where single writes wait to be committed together.
    pub(crate) group: Option<GroupCommit>,
    /// Current versions kept in memory, once the process says it is the only writer.
    pub(crate) cache: Arc<OnceLock<CurrentVersions>>,
    /// On SQLite, the task that checkpoints the write-ahead log.
    _checkpoints: Option<Checkpoints>,
}

/// A write transaction, with the SQLite writer's turn held until it ends, and the search index
/// changes it has staged.
pub(crate) struct WriteTx<'a> {
    pub(crate) tx: DatabaseTransaction,
    pub(crate) backend: Backend,
    pub(crate) staged: Staged,
    /// The resources written, forgotten by the cache once the transaction commits.
    pub(crate) changed: Vec<(ResourceType, ResourceId)>,
    cache: Arc<OnceLock<CurrentVersions>>,
    _turn: Option<OwnedMutexGuard<()>>,
    _store: std::marker::PhantomData<&'a ()>,
}

impl Store {
    /// Opens `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, Error> {
        let backend = if url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        let db = connect(url, max_connections, READ_CACHE_KIB).await?;
        // An in-memory SQLite database exists once per connection: it cannot have a second pool.
        let own_writer = backend == Backend::Sqlite && !url.contains(":memory:");
        let writes = match own_writer {
            true => Some(connect(url, 1, WRITE_CACHE_KIB).await?),
            false => None,
        };
        let write_db = writes.clone().unwrap_or_else(|| db.clone());
        let writer = Arc::new(Mutex::new(()));
        let cache = Arc::new(OnceLock::new());
        let group = (backend == Backend::Sqlite).then(|| {
            let (turn, cache) = (writer.clone(), cache.clone());
            GroupCommit::start(Writer { db: write_db, backend, turn, cache })
        });
        let checkpoints =
            (backend == Backend::Sqlite).then(|| Checkpoints::start(db.clone(), writes.clone()));
        Ok(Store {
            db,
            writes,
            backend,
            max_connections,
            writer,
            group,
            cache,
            _checkpoints: checkpoints,
        })
    }

    /// Keeps up to about `budget` bytes of current versions in memory for reads. Only for a
    /// process that is its database's only writer: another process's writes would not be seen.
    pub fn remember_current_versions(&self, budget: u64) {
        if budget > 0 {
            let _ = self.cache.set(CurrentVersions::new(budget));
        }
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), Error> {
        migrations::Migrator::up(&self.db, None).await.map_err(|e| internal("migrate", e))?;
        if self.backend == Backend::Sqlite {
            self.reload_statistics().await?;
        }
        Ok(())
    }

    /// Makes every SQLite connection of the pool read the planner statistics again: a
    /// connection reads them when it opens, and those opened before the migrations wrote
    /// them would otherwise plan searches without them. All connections are taken at once,
    /// so that each is a different one.
    async fn reload_statistics(&self) -> Result<(), Error> {
        let open = (0..self.max_connections).map(|_| self.db.begin());
        let mut connections =
            futures::future::try_join_all(open).await.map_err(|e| db_error("begin", e))?;
        if let Some(writes) = &self.writes {
            connections.push(writes.begin().await.map_err(|e| db_error("begin", e))?);
        }
        // One after the other (the others stay taken): reloading takes the write lock.
        for connection in connections {
            connection
                .execute_unprepared("ANALYZE sqlite_schema")
                .await
                .map_err(|e| internal("reload statistics", e))?;
            connection.commit().await.map_err(|e| db_error("commit", e))?;
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.db.ping().await.map_err(|e| unavailable("ping", e))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>, Error> {
        let turn = self.writer.clone();
        let db = self.writes.clone().unwrap_or_else(|| self.db.clone());
        Writer { db, backend: self.backend, turn, cache: self.cache.clone() }.begin().await
    }
}

/// Page cache of each reading connection: a transaction Bundle's reads and a search touch many
/// index pages, which would otherwise be read back from the file again and again.
const READ_CACHE_KIB: u32 = 16 * 1024;
/// Page cache of the one writing connection: inserts land all over the search indexes, and a
/// page read once for a write is likely written again soon. Released when writes pause.
const WRITE_CACHE_KIB: u32 = 96 * 1024;

async fn connect(
    url: &str,
    max_connections: u32,
    cache_kib: u32,
) -> Result<DatabaseConnection, Error> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx would log statements; parameters could hold health data.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts: SqliteConnectOptions| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(false)
                // Statement journals (a multi-row INSERT that could fail halfway) stay in
                // memory rather than in temporary files.
                .pragma("temp_store", "memory")
                .pragma("cache_size", format!("-{cache_kib}"))
                // Checkpoints are a task's work (see `checkpoint`); a commit does one
                // itself only past 256 MB of WAL, should that task fall behind.
                .pragma("wal_autocheckpoint", "65536")
        });
    Database::connect(options).await.map_err(|e| unavailable("connect", e))
}

/// What a write transaction is begun from: the pool and, on SQLite, the writer's turn.
pub(crate) struct Writer {
    pub(crate) db: DatabaseConnection,
    pub(crate) backend: Backend,
    pub(crate) turn: Arc<Mutex<()>>,
    pub(crate) cache: Arc<OnceLock<CurrentVersions>>,
}

impl Writer {
    /// Begins a write transaction, once it is this writer's turn on SQLite.
    pub(crate) async fn begin<'a>(&self) -> Result<WriteTx<'a>, Error> {
        let turn = match self.backend {
            Backend::Sqlite => Some(self.turn.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let tx = self.db.begin().await.map_err(|e| db_error("begin", e))?;
        Ok(WriteTx {
            tx,
            backend: self.backend,
            staged: Staged::default(),
            changed: Vec::new(),
            cache: self.cache.clone(),
            _turn: turn,
            _store: std::marker::PhantomData,
        })
    }
}

impl WriteTx<'_> {
    pub(crate) async fn commit(mut self) -> Result<(), Error> {
        self.staged.write(&self.tx, self.backend).await?;
        self.tx.commit().await.map_err(|e| db_error("commit", e))?;
        if let Some(cache) = self.cache.get() {
            cache.committed(&self.changed);
        }
        Ok(())
    }

    /// Undoes the transaction now, rather than when its connection is next used.
    pub(crate) async fn rollback(self) {
        let _ = self.tx.rollback().await;
    }

    /// The transaction, once the staged index changes are written: for a query that reads the
    /// search index.
    pub(crate) async fn flushed(&mut self) -> Result<&DatabaseTransaction, Error> {
        if !self.staged.is_empty() {
            self.staged.write(&self.tx, self.backend).await?;
        }
        Ok(&self.tx)
    }

    /// On PostgreSQL, waits for any other transaction writing `key` to finish, so concurrent
    /// writers of one resource (or one condition) take turns. SQLite writers already do.
    pub(crate) async fn lock_key(&self, key: &str) -> Result<(), Error> {
        if self.backend == Backend::Sqlite {
            return Ok(());
        }
        let sql = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";
        execute(&self.tx, self.backend, sql, vec![key.into()]).await
    }
}

/// Builds a statement from SQL written with `?` placeholders, numbering them for PostgreSQL.
pub(crate) fn statement(backend: Backend, sql: &str, values: Vec<Value>) -> Statement {
    match backend {
        Backend::Sqlite => Statement::from_sql_and_values(DbBackend::Sqlite, sql, values),
        Backend::Postgres => {
            Statement::from_sql_and_values(DbBackend::Postgres, number_placeholders(sql), values)
        }
    }
}

fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) async fn execute(
    conn: &impl ConnectionTrait,
    backend: Backend,
    sql: &str,
    values: Vec<Value>,
) -> Result<(), Error> {
    conn.execute_raw(statement(backend, sql, values)).await.map_err(|e| db_error("execute", e))?;
    Ok(())
}

pub(crate) async fn query_all(
    conn: &impl ConnectionTrait,
    backend: Backend,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<sea_orm::QueryResult>, Error> {
    conn.query_all_raw(statement(backend, sql, values)).await.map_err(|e| db_error("query", e))
}

pub(crate) async fn query_one(
    conn: &impl ConnectionTrait,
    backend: Backend,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<sea_orm::QueryResult>, Error> {
    conn.query_one_raw(statement(backend, sql, values)).await.map_err(|e| db_error("query", e))
}

/// A database failure: 503 when the database cannot be reached, 500 otherwise.
pub(crate) fn db_error(step: &str, error: DbErr) -> Error {
    let described = describe(&error);
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => unavailable(step, described),
        _ => internal(step, described),
    }
}

/// What went wrong, without the database's own message: PostgreSQL quotes the offending key
/// values in it (`Key (id)=(...) already exists`), and those can be identifiers of a person.
fn describe(error: &DbErr) -> String {
    use sea_orm::RuntimeErr;
    let runtime = match error {
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        DbErr::ConnectionAcquire(e) => return format!("cannot acquire a connection: {e}"),
        _ => return "an error inside the database layer".to_owned(),
    };
    match runtime {
        RuntimeErr::SqlxError(e) => match e.as_database_error() {
            Some(db) => format!(
                "database error, code {}, constraint {}",
                db.code().as_deref().unwrap_or("-"),
                db.constraint().unwrap_or("-")
            ),
            None => format!("driver error: {}", e.as_ref()),
        },
        _ => "an error inside the database layer".to_owned(),
    }
}

fn internal(step: &str, error: impl std::fmt::Display) -> Error {
    Error::internal(format!("database {step} failed: {error}"))
}

fn unavailable(step: &str, error: impl std::fmt::Display) -> Error {
    Error::unavailable(format!("database {step} failed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT_SEARCH_PLAN: &str = "EXPLAIN QUERY PLAN SELECT r.rid FROM resources r \
        WHERE r.deleted = 0 AND r.resource_type = 'Observation' AND r.rid IN (SELECT t.rid \
        FROM search_reference t WHERE t.param = 'patient' AND t.resource_type = 'Observation' \
        AND t.target_id = 'x')";

    /// A search for one patient's resources starts from the patient's index rows and finds
    /// each resource by its key, rather than walking every resource of the type: on every
    /// connection of the pool, those opened before the migrations included.
    #[tokio::test]
    async fn sqlite_plans_a_search_from_the_index_rows_on_every_connection() {
        let path =
            std::env::temp_dir().join(format!("panorama-plan-{}.sqlite", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = Store::open(&url, 3).await.expect("open");
        let before = (0..3).map(|_| store.db.begin());
        for connection in futures::future::try_join_all(before).await.expect("connections") {
            connection.commit().await.expect("commit");
        }
        store.migrate().await.expect("migrate");

        let all =
            futures::future::try_join_all((0..3).map(|_| store.db.begin())).await.expect("all");
        for connection in &all {
            let rows = query_all(connection, store.backend, PATIENT_SEARCH_PLAN, vec![])
                .await
                .expect("plan");
            let plan: Vec<String> =
                rows.iter().map(|row| row.try_get_by_index::<String>(3).expect("detail")).collect();
            assert!(plan.iter().any(|step| step.contains("INTEGER PRIMARY KEY")), "{plan:?}");
        }
        drop(all);
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(number_placeholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }
}
