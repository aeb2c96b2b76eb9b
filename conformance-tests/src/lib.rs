//! Support for Panorama's end-to-end tests: starting the real server over a fresh database, and
//! finding the real data the tests read (the shared FHIR examples, the npm examples package).
//!
//! Tests built on this crate talk to the server over HTTP only, as a FHIR client would.

mod app;
mod data;

pub use app::{Stoppable, TestApp, json, outcome, spawn_app, spawn_app_with, spawn_stoppable_app};
pub use data::{npm_examples, shared_data};
