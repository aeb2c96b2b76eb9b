//! SQLite checkpoints off the write path. In WAL mode, committed pages are appended to the
//! write-ahead log and later copied back into the database file by a checkpoint. Left to
//! SQLite, the checkpoint runs inside the commit that crosses the threshold, and every write
//! queued behind that commit waits for the copy (hundreds of milliseconds under load). Here a
//! task checkpoints every second instead, in passive mode: it copies what it can without
//! stopping writers or readers. SQLite's own threshold stays, far higher, as a safety net.
//!
//! The same task gives back the writing connection's page cache once writes pause (the log
//! did not grow for a whole tick), so that a server keeps little memory between loads.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};
use tokio::sync::oneshot;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_secs(1);

/// The checkpointing task; it stops when this is dropped (with the store).
#[derive(Debug)]
pub(crate) struct Checkpoints {
    _stop: oneshot::Sender<()>,
}

impl Checkpoints {
    /// Checkpoints through `db`; `writes`, the connection writes run on when it is another one,
    /// gets its cache released when writes pause.
    pub(crate) fn start(db: DatabaseConnection, writes: Option<DatabaseConnection>) -> Checkpoints {
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut last_log, mut cache_in_use) = (None, false);
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = ticks.tick() => {
                        let log = match checkpoint(&db).await {
                            Ok(log) => log,
                            Err(error) => {
                                tracing::warn!(%error, "checkpoint failed");
                                continue;
                            }
                        };
                        let paused = last_log == Some(log);
                        last_log = Some(log);
                        if !paused {
                            cache_in_use = true;
                        } else if let (true, Some(writes)) = (cache_in_use, &writes) {
                            release_cache(writes).await;
                            cache_in_use = false;
                        }
                    }
                }
            }
        });
        Checkpoints { _stop: stop }
    }
}

/// Copies what it can of the log into the database; answers the log's size in frames.
async fn checkpoint(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let statement = sea_orm::Statement::from_string(
        sea_orm::DbBackend::Sqlite,
        "PRAGMA wal_checkpoint(PASSIVE)",
    );
    let row: Option<QueryResult> = db.query_one_raw(statement).await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(1)).transpose()?.unwrap_or(0))
}

async fn release_cache(writes: &DatabaseConnection) {
    if let Err(error) = writes.execute_unprepared("PRAGMA shrink_memory").await {
        tracing::warn!(%error, "releasing the writer's page cache failed");
    }
}
