//! Group commit on SQLite. SQLite lets one writer in at a time, and every write transaction pays
//! fixed costs: its begin and commit, and a round trip to the connection's thread for each
//! statement. Single writes that arrive while another is being written therefore queue here,
//! and a writer task commits each queue as one transaction: under load, many writes share one
//! commit and one statement per index table; alone, a write is committed at once as before.
//!
//! A write that fails in the group is answered with its error and leaves nothing behind (every
//! write checks what it needs before its one row write, and a failed statement writes nothing),
//! so the others go on. A fault of the database itself rolls the group back, and each write is
//! then tried again in a transaction of its own, so that it fails only the write it belongs to.

use domain::{Error, ErrorKind};
use tokio::sync::{mpsc, oneshot};

use crate::db::Writer;
use crate::engine::{Outcome, Write, write_interaction};

/// Writes committed together at most: enough to amortise a commit, few enough that the first
/// write of a group does not wait long for the last.
const MAX_GROUP: usize = 64;

/// The queue of writes waiting for the writer task.
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<Job>,
}

struct Job {
    write: Write,
    answer: oneshot::Sender<Result<Outcome, Error>>,
}

impl GroupCommit {
    /// Starts the writer task; it ends when the store (and so this queue) is dropped.
    pub(crate) fn start(writer: Writer) -> GroupCommit {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, jobs));
        GroupCommit { queue }
    }

    /// Queues `write` and waits for its outcome. The writer task owns the write from here: a
    /// caller that goes away (a client that hung up) does not undo it or its group.
    pub(crate) async fn write(&self, write: Write) -> Result<Outcome, Error> {
        let (answer, outcome) = oneshot::channel();
        self.queue.send(Job { write, answer }).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::unavailable("the database writer has stopped")
}

async fn run(writer: Writer, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&writer, std::mem::take(&mut group)).await;
    }
}

async fn commit_group(writer: &Writer, group: Vec<Job>) {
    if let [_] = group.as_slice() {
        for job in group {
            let outcome = commit_alone(writer, job.write).await;
            let _ = job.answer.send(outcome);
        }
        return;
    }
    // Kept for a second try, one by one, should the group fail as a whole.
    let copies: Vec<Write> = group.iter().map(|job| job.write.clone()).collect();
    match try_group(writer, group.iter().map(|job| job.write.clone()).collect()).await {
        Ok(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                let _ = job.answer.send(outcome);
            }
        }
        Err(error) => {
            tracing::warn!(writes = copies.len(), kind = ?error.kind, "group commit failed; writing one by one");
            for (job, write) in group.into_iter().zip(copies) {
                let _ = job.answer.send(commit_alone(writer, write).await);
            }
        }
    }
}

/// Writes the group in one transaction: each write's outcome, or an error of the database
/// that undid the whole group.
async fn try_group(
    writer: &Writer,
    writes: Vec<Write>,
) -> Result<Vec<Result<Outcome, Error>>, Error> {
    let mut tx = writer.begin().await?;
    let mut outcomes = Vec::with_capacity(writes.len());
    for write in writes {
        let outcome = write_interaction(&mut tx, write).await;
        if let Err(error) = &outcome
            && is_fault(error)
        {
            tx.rollback().await;
            return Err(error.clone());
        }
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}

async fn commit_alone(writer: &Writer, write: Write) -> Result<Outcome, Error> {
    let mut tx = writer.begin().await?;
    let outcome = write_interaction(&mut tx, write).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// An error of the server or its database, rather than of the request: after one, the
/// transaction's state is not trusted.
fn is_fault(error: &Error) -> bool {
    matches!(error.kind, ErrorKind::Internal | ErrorKind::Unavailable)
}

#[cfg(test)]
mod tests {
    // reason: a test reports its failure by panicking
    #![allow(clippy::unwrap_used)]

    use domain::interaction::Interaction;
    use domain::{Resource, ResourceId, ResourceType, VersionId};
    use serde_json::json;

    use super::*;
    use crate::Store;

    fn put(id: &str, gender: &str, if_match: Option<i64>) -> Write {
        let body = json!({"resourceType": "Patient", "id": id, "gender": gender});
        let resource = Resource::parse(body.to_string().as_bytes()).unwrap();
        let id = ResourceId::parse(id).unwrap();
        let if_match = if_match.map(VersionId);
        Write::checked(Interaction::Update { id, resource, if_match, if_none_match: None }).unwrap()
    }

    #[tokio::test]
    async fn a_write_that_fails_in_a_group_fails_alone() {
        let store = Store::open("sqlite::memory:", 1).await.unwrap();
        store.migrate().await.unwrap();
        let writer = Writer {
            db: store.db.clone(),
            backend: store.backend,
            turn: store.writer.clone(),
            cache: store.cache.clone(),
        };
        let writes = vec![
            put("a", "male", None),
            put("a", "female", Some(9)), // stale If-Match: 412
            put("b", "other", None),
            put("a", "unknown", Some(1)), // sees the first write of the group
        ];
        let (jobs, answers): (Vec<Job>, Vec<_>) = writes
            .into_iter()
            .map(|write| {
                let (answer, outcome) = oneshot::channel();
                (Job { write, answer }, outcome)
            })
            .unzip();

        commit_group(&writer, jobs).await;

        let mut statuses = Vec::new();
        for answer in answers {
            statuses.push(match answer.await.unwrap() {
                Ok(Outcome::Resource { version, .. }) => format!("v{}", version.version.0),
                Ok(other) => format!("{other:?}"),
                Err(error) => format!("{:?}", error.kind),
            });
        }
        assert_eq!(statuses, ["v1", "PreconditionFailed", "v1", "v2"]);
        let patient = ResourceType::parse("Patient").unwrap();
        let (version, _, body) =
            store.read_current(patient, &ResourceId::parse("a").unwrap()).await.unwrap();
        assert_eq!(version, VersionId(2));
        assert!(String::from_utf8(body).unwrap().contains("unknown"));
    }
}
