//! The accept loop: HTTP/1.1 connections with a header read timeout, a graceful shutdown that
//! lets in-flight requests finish but not past a deadline, and an OperationOutcome body for the
//! error responses hyper writes by itself (a request it cannot parse never reaches the router).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::Config;
use super::errors::outcome_for_parse_error;

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets the
/// requests in flight finish, and returns once they have, or at the shutdown deadline.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &Config,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(config.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let connection = connection(&builder, stream, app.clone());
                    connections.spawn(graceful.watch(connection));
                }
                Err(error) => accept_failed(error).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    finish(graceful, connections, config.shutdown_deadline).await;
}

fn connection(
    builder: &http1::Builder,
    stream: TcpStream,
    app: Router,
) -> http1::Connection<TokioIo<OutcomeOnParseErrors>, TowerToHyperService<Router>> {
    // Responses go out as soon as they are written, not when the next segment fills.
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(OutcomeOnParseErrors { inner: stream, pending: Vec::new() });
    builder.serve_connection(io, TowerToHyperService::new(app))
}

/// Too many open files and the like pass; waiting a little keeps the loop from spinning.
async fn accept_failed(error: io::Error) {
    tracing::warn!(error = %error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Asks every connection to close once its request in flight is answered, waits for them up to
/// `deadline`, then drops those still open.
async fn finish(
    graceful: GracefulShutdown,
    mut connections: JoinSet<Result<(), hyper::Error>>,
    deadline: Duration,
) {
    let open = connections.len();
    tracing::info!(open, "waiting for requests in flight");
    if tokio::time::timeout(deadline, graceful.shutdown()).await.is_err() {
        let open = connections.len();
        tracing::warn!(open, "connections still open at the shutdown deadline are dropped");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// A TCP connection whose writes pass through, except the bare error response hyper writes
/// when it cannot parse a request: that one gets an OperationOutcome body.
struct OutcomeOnParseErrors {
    inner: TcpStream,
    /// Bytes of a rewritten response not yet written.
    pending: Vec<u8>,
}

impl OutcomeOnParseErrors {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for OutcomeOnParseErrors {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for OutcomeOnParseErrors {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        // Not vectored (the default), so hyper hands a whole bodiless response to one write.
        if let Some(rewritten) = outcome_for_parse_error(buf) {
            self.pending = rewritten;
            // What cannot be written now is written by the flush that follows.
            if let Poll::Ready(Err(error)) = self.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
