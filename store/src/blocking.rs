//! CPU-heavy work on a large resource (parsing, validation, indexing) without stalling the
//! async runtime: the worker thread hands its other tasks over while the work runs.

/// Bodies from this size on are worked on as blocking work; smaller ones take well under a
/// millisecond, less than handing the work over would cost.
pub const HEAVY_BYTES: usize = 256 * 1024;

/// Runs `work` on a resource of `bytes` bytes, as blocking work when it is large and the
/// runtime can hand this thread's tasks over (a multi-threaded one).
pub fn cpu_bound<T>(bytes: usize, work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let multi_threaded =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if bytes >= HEAVY_BYTES && multi_threaded { tokio::task::block_in_place(work) } else { work() }
}
