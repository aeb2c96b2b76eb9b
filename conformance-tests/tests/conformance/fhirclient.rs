//! The Python SMART client `fhirclient` and its R4 models against the running server, from a
//! virtualenv made under `target/test-venv/` on first use. Without Python or PyPI the test skips,
//! except under `CI=true`.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use conformance_tests::spawn_app;

#[tokio::test]
async fn the_python_fhirclient_creates_reads_updates_searches_and_deletes_imaging_resources() {
    let python = match tokio::task::spawn_blocking(python_with_fhirclient).await.unwrap() {
        Ok(python) => python,
        Err(reason) => {
            assert!(!in_ci(), "CI=true but no Python with fhirclient: {reason}");
            eprintln!("skipped: no Python with fhirclient: {reason}");
            return;
        }
    };
    let app = spawn_app().await;
    let mut check = Command::new(python);
    check.arg(python_dir().join("fhirclient_check.py")).arg(&app.base);

    // The server runs on this runtime: the client waits on a blocking thread, not on it.
    let deadline = Duration::from_secs(300);
    let (status, output) =
        tokio::task::spawn_blocking(move || run(&mut check, deadline)).await.unwrap();
    let status = status.unwrap_or_else(|e| panic!("fhirclient_check.py: {e}\n{output}"));
    assert!(status.success(), "fhirclient_check.py {status}:\n{output}");
    println!("{output}");
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The interpreter of the virtualenv with `requirements.txt` installed, made on first use; an
/// error when Python or PyPI cannot be had.
fn python_with_fhirclient() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("no workspace root")?;
    let target = root.join("target");
    let venv = target.join("test-venv");
    if !is_ready(&venv) {
        make_venv(&target, &venv)?;
    }
    Ok(venv.join("bin/python"))
}

/// A virtualenv is ready when it was made from the current `requirements.txt` and still imports.
fn is_ready(venv: &Path) -> bool {
    let wanted = std::fs::read(python_dir().join("requirements.txt")).ok();
    let stamp = std::fs::read(venv.join("requirements.txt")).ok();
    wanted.is_some()
        && wanted == stamp
        && Command::new(venv.join("bin/python"))
            .args(["-c", "import fhirclient"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Builds the virtualenv in a folder of its own, then renames it into place, so that concurrent
/// test runs never see half of one; the first to finish wins and the others use its.
fn make_venv(target: &Path, venv: &Path) -> Result<(), String> {
    std::fs::create_dir_all(target).map_err(|e| e.to_string())?;
    let staging = tempfile::Builder::new()
        .prefix(".test-venv-")
        .tempdir_in(target)
        .map_err(|e| e.to_string())?;
    let mut create = Command::new("python3");
    succeed(create.args(["-m", "venv"]).arg(staging.path()), Duration::from_secs(120))?;

    let requirements = python_dir().join("requirements.txt");
    let mut install = Command::new(staging.path().join("bin/python"));
    install.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"]);
    succeed(install.arg(&requirements), Duration::from_secs(600))?;
    std::fs::copy(&requirements, staging.path().join("requirements.txt"))
        .map_err(|e| e.to_string())?;

    if is_ready(venv) {
        return Ok(());
    }
    // A stale one, made from other requirements or another Python.
    let _ = std::fs::remove_dir_all(venv);
    match std::fs::rename(staging.path(), venv) {
        Ok(()) => Ok(()),
        Err(_) if is_ready(venv) => Ok(()),
        Err(e) => Err(format!("rename to {}: {e}", venv.display())),
    }
}

/// Runs a command to success, or says what it printed.
fn succeed(command: &mut Command, deadline: Duration) -> Result<(), String> {
    let shown = format!("{command:?}");
    match run(command, deadline) {
        (Ok(status), _) if status.success() => Ok(()),
        (Ok(status), output) => Err(format!("{shown} {status}:\n{output}")),
        (Err(e), output) => Err(format!("{shown}: {e}\n{output}")),
    }
}

/// Runs a command with its stdout and stderr interleaved in one file (no pipe to fill up), and
/// kills it past `deadline`. Returns its exit status and everything it printed.
fn run(command: &mut Command, deadline: Duration) -> (Result<ExitStatus, String>, String) {
    let mut log = match tempfile::tempfile() {
        Ok(file) => file,
        Err(e) => return (Err(e.to_string()), String::new()),
    };
    let status = spawn_and_wait(command, &log, deadline);
    let mut output = String::new();
    let _ = log.rewind().and_then(|()| log.read_to_string(&mut output));
    (status, output)
}

fn spawn_and_wait(
    command: &mut Command,
    log: &File,
    deadline: Duration,
) -> Result<ExitStatus, String> {
    let (out, err) = (log.try_clone(), log.try_clone());
    let (out, err) = (out.map_err(|e| e.to_string())?, err.map_err(|e| e.to_string())?);
    let mut child = command
        .stdout(out)
        .stderr(err)
        .env("PYTHONUNBUFFERED", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("killed after {} s", deadline.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
