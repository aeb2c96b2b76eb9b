//! The `panorama` binary: parses the command line and runs the chosen subcommand.

use std::io::IsTerminal;
use std::process::ExitCode;

use api::cli::{Cli, Command, LogFormat};
use clap::Parser;
use tracing_subscriber::EnvFilter;

// A server that parses JSON all day allocates many small, short-lived values: mimalloc is
// faster at that than the system allocator and gives freed memory back to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, api::cli::default_log_filter(&cli.command));
    let result = match cli.command {
        Command::Serve(args) => api::cli::serve(args).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate(args) => migrate(args).await.map(|()| ExitCode::SUCCESS),
        Command::Reindex(args) => api::cli::reindex(args).await.map(|()| ExitCode::SUCCESS),
        Command::Load(args) => api::cli::load(args).await,
        Command::Bench(args) => api::cli::bench(args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("panorama: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(args: api::cli::DatabaseArgs) -> anyhow::Result<()> {
    let store = args.open(1).await?;
    store.migrate().await?;
    println!("migrations applied");
    Ok(())
}

/// Logs on stderr; `PANORAMA_LOG` replaces the command's default filter. Colours only on a
/// terminal: in a file or a pipe, escape codes are noise.
fn init_logging(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("PANORAMA_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
    }
}
