//! Connecting to SQLite or PostgreSQL, running migrations, and the SQL helpers shared by the
//! store's modules.

use std::time::Duration;

use domain::Error;
use migrations::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait, Value,
};
use tokio::sync::{Mutex, MutexGuard};

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
    pub(crate) backend: Backend,
    // SQLite allows one writer; taking turns here avoids `SQLITE_BUSY` when a deferred
    // transaction tries to upgrade to a write lock.
    writer: Mutex<()>,
}

/// A write transaction, with the SQLite writer's turn held until it ends, and the search index
/// changes it has staged.
pub(crate) struct WriteTx<'a> {
    pub(crate) tx: DatabaseTransaction,
    pub(crate) backend: Backend,
    pub(crate) staged: Staged,
    _turn: Option<MutexGuard<'a, ()>>,
}

impl Store {
    /// Opens `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, Error> {
        let backend = if url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            // sqlx would log statements; parameters could hold health data.
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(false)
                    // Statement journals (a multi-row INSERT that could fail halfway) stay in
                    // memory rather than in temporary files.
                    .pragma("temp_store", "memory")
                    // 16 MB of page cache (the default is 2 MB): a transaction Bundle touches
                    // many index pages, which would otherwise be spilled and read back.
                    .pragma("cache_size", "-16384")
                    // Checkpoint every 32 MB of WAL rather than 4 MB: a page changed many
                    // times between checkpoints is copied back once.
                    .pragma("wal_autocheckpoint", "8192")
            });
        let db = Database::connect(options).await.map_err(|e| unavailable("connect", e))?;
        Ok(Store { db, backend, writer: Mutex::new(()) })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), Error> {
        migrations::Migrator::up(&self.db, None).await.map_err(|e| internal("migrate", e))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.db.ping().await.map_err(|e| unavailable("ping", e))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>, Error> {
        let turn = match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        };
        let tx = self.db.begin().await.map_err(|e| db_error("begin", e))?;
        Ok(WriteTx { tx, backend: self.backend, staged: Staged::default(), _turn: turn })
    }
}

impl WriteTx<'_> {
    pub(crate) async fn commit(mut self) -> Result<(), Error> {
        self.staged.write(&self.tx, self.backend).await?;
        self.tx.commit().await.map_err(|e| db_error("commit", e))
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

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(number_placeholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }
}
