//! Scratch PostgreSQL databases, created and dropped whole, for programs that need a database of
//! their own for a while (the benchmarks); the server itself never calls these.

use domain::Error;
use sea_orm::{ConnectionTrait, Database};

/// Creates the empty database `name` on the server of `admin_url` (a URL of a database there
/// that the user may create databases from) and returns the URL of the new one.
pub async fn create_database(admin_url: &str, name: &str) -> Result<String, Error> {
    check_name(name)?;
    run(admin_url, &format!("CREATE DATABASE {name}")).await?;
    Ok(database_url(admin_url, name))
}

/// Drops the database `name`, closing whatever connections are still open on it.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), Error> {
    check_name(name)?;
    run(admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
}

async fn run(admin_url: &str, sql: &str) -> Result<(), Error> {
    let admin = Database::connect(admin_url)
        .await
        .map_err(|e| Error::unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
    let result = admin.execute_unprepared(sql).await;
    let _ = admin.close().await;
    result.map(drop).map_err(|e| Error::internal(format!("{sql} failed: {e}")))
}

/// Names go into SQL as identifiers, so only lowercase letters, digits and `_` are allowed.
fn check_name(name: &str) -> Result<(), Error> {
    let plain = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain && !name.is_empty() && name.len() < 64 {
        Ok(())
    } else {
        Err(Error::bad_request("a scratch database name is lowercase letters, digits and _"))
    }
}

/// `admin_url` with its database name replaced by `name`, keeping any query string.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let server = rest.split_once('/').map_or(rest, |(server, _)| server);
    format!("{scheme}://{server}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_database_replaces_the_admin_database_in_the_url() {
        let url = |admin| database_url(admin, "bench_1");
        assert_eq!(
            url("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/bench_1"
        );
        assert_eq!(
            url("postgres://u@h/db?sslmode=disable"),
            "postgres://u@h/bench_1?sslmode=disable"
        );
        assert_eq!(url("postgres://u@h:5432"), "postgres://u@h:5432/bench_1");
    }

    #[test]
    fn only_plain_names_are_accepted() {
        assert!(check_name("panorama_bench_0a1b").is_ok());
        for name in ["", "Bench", "a;drop", "a-b", &"x".repeat(64)] {
            assert!(check_name(name).is_err(), "{name}");
        }
    }
}
