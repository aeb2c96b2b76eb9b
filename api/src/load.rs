//! `panorama load`: FHIR files into a running server or straight into a data dir.

// FIXME(#2): the loader lands in the next commit.
