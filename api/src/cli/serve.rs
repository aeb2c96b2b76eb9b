//! `panorama serve`: open the database, migrate it, and serve until SIGINT or SIGTERM.

use std::sync::Arc;

use std::time::Duration;

use anyhow::Context;

use super::ServeArgs;
use crate::http::{AppState, Config, app};

/// Connections in the database pool. An embedded SQLite connection is a thread of this process
/// with its own page cache, and SQLite writes one transaction at a time: a few are enough.
const POOL_SIZE_SQLITE: u32 = 4;
const POOL_SIZE_POSTGRES: u32 = 16;

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let state = open_state(&args).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %args.listen, base = "/fhir", "panorama is serving");
    let config = state.config.clone();
    crate::http::serve(listener, app(state), &config, shutdown_signal()).await;
    tracing::info!("panorama stopped");
    Ok(())
}

/// The store, migrated, and the configuration every handler sees.
pub(crate) async fn open_state(args: &ServeArgs) -> anyhow::Result<AppState> {
    if args.no_search_index {
        store::disable_search_index_for_benchmarks();
        tracing::warn!("search index disabled: searches will not find what is written");
    }
    let postgres = args.database.database_url.is_some();
    let pool = if postgres { POOL_SIZE_POSTGRES } else { POOL_SIZE_SQLITE };
    args.database.claim_data_dir()?;
    let store = args.database.open(pool).await?;
    store.migrate().await.context("cannot migrate the database")?;
    if !postgres {
        store.remember_current_versions(args.cache_mib * 1024 * 1024);
    }
    tracing::info!(backend = ?store.backend(), "database ready");
    let config = Config {
        max_body_bytes: args.max_body_mib as usize * 1024 * 1024,
        public_base: args.public_base.clone(),
        header_read_timeout: Duration::from_secs(args.header_timeout_secs),
        body_read_timeout: Duration::from_secs(args.body_timeout_secs),
        shutdown_deadline: Duration::from_secs(args.shutdown_deadline_secs),
    };
    Ok(AppState { store: Arc::new(store), config: Arc::new(config) })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
