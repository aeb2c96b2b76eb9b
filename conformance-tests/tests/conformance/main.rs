//! End-to-end tests of the FHIR API: each test starts the real server on a random port over a fresh
//! database (SQLite by default, PostgreSQL when `PANORAMA_TEST_DATABASE_URL` is set) and talks
//! to it over HTTP.

// reason: helpers shared by tests, where a panic is how a test reports the failure
#![allow(clippy::unwrap_used)]

mod bad_input;
mod conditional;
mod connections;
mod crud;
mod examples;
mod fhirclient;
mod history;
mod house_rules;
mod include;
mod negotiation;
mod numbers;
mod official_bundles;
mod search;
mod search_routes;
mod summary;
mod synthea;
mod transactions;
