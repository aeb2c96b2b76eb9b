//! `panorama reindex`: writes every stored resource's search index rows again, after an
//! upgrade changed how values are extracted.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::DatabaseArgs;

/// Reindexes the configured database in place, with a spinner on a terminal, and prints a
/// summary. Servers may keep running: each batch is its own short write transaction.
pub async fn reindex(args: DatabaseArgs) -> anyhow::Result<()> {
    let store = args.open(1).await?;
    store.migrate().await?;
    let bar = spinner();
    let started = Instant::now();
    let done = store.reindex(|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "reindexed {done} resources in {seconds:.1} s ({:.0} resources/s)",
        done as f64 / seconds.max(1e-9)
    );
    Ok(())
}

fn spinner() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{spinner} {human_pos} resources reindexed [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
