//! Panorama's HTTP layer: the FHIR REST API on axum, its OpenAPI description, health checks,
//! and the command-line entry points of the `panorama` binary.
//!
//! This is the only crate that knows HTTP. Handlers are thin: they read the request into a
//! `domain::interaction::Interaction`, hand it to the store, and write the outcome back.

pub mod cli;
pub mod http;
pub mod load;

pub use http::{AppState, Config, app, serve};
