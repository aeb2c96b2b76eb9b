//! SQLite checkpoints off the write path. In WAL mode, committed pages are appended to the
//! write-ahead log and later copied back into the database file by a checkpoint. Left to
//! SQLite, the checkpoint runs inside the commit that crosses the threshold, and every write
//! queued behind that commit waits for the copy (hundreds of milliseconds under load). Here a
//! task checkpoints every second instead, in passive mode: it copies what it can without
//! stopping writers or readers. SQLite's own threshold stays, far higher, as a safety net.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::oneshot;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_secs(1);

/// The checkpointing task; it stops when this is dropped (with the store).
#[derive(Debug)]
pub(crate) struct Checkpoints {
    _stop: oneshot::Sender<()>,
}

impl Checkpoints {
    pub(crate) fn start(db: DatabaseConnection) -> Checkpoints {
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = ticks.tick() => {
                        if let Err(error) = db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
                            tracing::warn!(%error, "checkpoint failed");
                        }
                    }
                }
            }
        });
        Checkpoints { _stop: stop }
    }
}
