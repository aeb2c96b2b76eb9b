//! `panorama load`: over HTTP to a running server, or in process straight into a data dir.

use std::process::ExitCode;
use std::sync::Arc;

use super::LoadArgs;
use crate::load::{self, HttpSink, RouterSink, Sink};

pub async fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let sink: Arc<dyn Sink> = match &args.url {
        Some(url) => Arc::new(HttpSink::new(url)?),
        None => {
            let serve = super::ServeArgs {
                listen: ([127, 0, 0, 1], 0).into(),
                database: args.database.clone(),
                max_body_mib: 256,
                public_base: Some("http://localhost/fhir".into()),
                header_timeout_secs: 30,
                body_timeout_secs: 60,
                shutdown_deadline_secs: 30,
                cache_mib: 0,
                no_search_index: false,
            };
            let state = super::serve::open_state(&serve).await?;
            Arc::new(RouterSink(crate::http::app(state)))
        }
    };
    let concurrency = args.concurrency.unwrap_or_else(load::default_concurrency);
    let report = load::load(sink, &args.paths, concurrency, true).await?;
    print!("{report}");
    Ok(if report.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
