//! Panorama's persistence: the current and past versions of every resource and their search
//! indexes, on embedded SQLite or on PostgreSQL, plus the FHIR interactions that run on them.
//!
//! This is the only crate that knows SQL. It knows nothing of HTTP: it takes
//! `domain::interaction::Interaction`s and returns `Outcome`s; the API turns those into responses.

mod blocking;
mod cache;
mod checkpoint;
mod db;
mod engine;
mod group;
mod history;
mod index;
mod patch;
mod query;
mod reindex;
mod rows;
pub mod scratch;
mod transaction;

pub use blocking::{HEAVY_BYTES, cpu_bound};
pub use db::{Backend, Store};
pub use engine::{Outcome, SearchPage};
pub use history::{DEFAULT_COUNT, MAX_COUNT};
pub use history::{HistoryPage, HistoryScope, HistoryWindow};
pub use index::disable_search_index_for_benchmarks;
pub use query::{CURSOR_PARAM, DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT};
pub use rows::{StoredMethod, Version};
pub use transaction::{EntryOutcome, EntryResult};
