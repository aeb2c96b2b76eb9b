//! fhirpath.js, installed with `npm ci` from the lockfile pinned in `search/tools/fhirpath-js`
//! into the target folder, and one node process that evaluates every task, fed through its
//! stdin while our side works on the next example.

use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Node;
use crate::common;

/// One example and the parameters to evaluate on it, a line of evaluate.js's input.
#[derive(Debug, Serialize)]
pub(crate) struct Task {
    pub(crate) file: PathBuf,
    pub(crate) params: Vec<Expression>,
}

/// A parameter's expression and, for a composite, its components' expressions.
#[derive(Debug, Serialize)]
pub(crate) struct Expression {
    pub(crate) expression: String,
    pub(crate) components: Vec<String>,
}

/// fhirpath.js's answer for one example, one result per parameter of its task.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    pub(crate) file: PathBuf,
    pub(crate) results: Vec<Outcome>,
}

/// What fhirpath.js selected for one parameter, or the error it raised.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Outcome {
    #[serde(default)]
    pub(crate) items: Vec<Node>,
    /// Per main item, per component, the component's items.
    #[serde(default)]
    pub(crate) components: Vec<Vec<Vec<Node>>>,
    /// Whether a singleton `as` had to be read as `ofType` (see `evaluate.js`).
    #[serde(default)]
    pub(crate) lenient: bool,
    pub(crate) error: Option<String>,
}

/// An installed fhirpath.js.
pub(crate) struct FhirpathJs {
    modules: PathBuf,
    pub(crate) version: String,
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/fhirpath-js")
}

/// The version `package.json` pins.
fn pinned_version() -> String {
    let text = std::fs::read_to_string(tools_dir().join("package.json")).expect("package.json");
    let manifest: Value = serde_json::from_str(&text).expect("package.json is JSON");
    manifest["dependencies"]["fhirpath"].as_str().expect("fhirpath is pinned").to_owned()
}

/// A short hash of the lockfile, so that a changed lockfile gets a fresh install.
fn lock_hash() -> String {
    let lock = std::fs::read(tools_dir().join("package-lock.json")).expect("package-lock.json");
    let mut hasher = std::hash::DefaultHasher::new();
    lock.hash(&mut hasher);
    format!("{:08x}", hasher.finish() as u32)
}

impl FhirpathJs {
    /// The pinned fhirpath.js, installed on first use; an error when node or npm cannot run
    /// or the registry cannot be reached.
    pub(crate) fn install() -> Result<FhirpathJs, String> {
        let version = pinned_version();
        common::run(Command::new("node").arg("--version"), &tools_dir())?;
        let dir = common::test_data_dir().join(format!("fhirpath-js-{version}-{}", lock_hash()));
        if !dir.join("node_modules/fhirpath/package.json").exists() {
            common::unpack_into(&dir, |staging| {
                for file in ["package.json", "package-lock.json"] {
                    std::fs::copy(tools_dir().join(file), staging.join(file))
                        .map_err(|e| format!("{file}: {e}"))?;
                }
                let npm = ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"];
                common::run(Command::new("npm").args(npm), staging)
            })?;
        }
        Ok(FhirpathJs { modules: dir.join("node_modules"), version })
    }

    /// Starts the node process that answers tasks as they are sent.
    pub(crate) fn start(&self) -> Result<Session, String> {
        let mut child = Command::new("node")
            .arg(tools_dir().join("evaluate.js"))
            .arg(&self.modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("node: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // Read while tasks are still being written, so that neither side waits on a full pipe.
        let reader = std::thread::spawn(move || read_answers(stdout));
        Ok(Session { child, stdin: BufWriter::new(stdin), reader, sent: Vec::new() })
    }
}

/// A running evaluate.js: tasks go in while earlier ones are being answered.
pub(crate) struct Session {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    reader: JoinHandle<Result<Vec<Answer>, String>>,
    /// The file and parameter count of each task sent, to check the answers against.
    sent: Vec<(PathBuf, usize)>,
}

impl Session {
    pub(crate) fn send(&mut self, task: &Task) -> Result<(), String> {
        self.sent.push((task.file.clone(), task.params.len()));
        serde_json::to_writer(&mut self.stdin, task).map_err(|e| format!("to node: {e}"))?;
        self.stdin.write_all(b"\n").map_err(|e| format!("to node: {e}"))
    }

    /// Closes the input and waits for every answer: one per task, in order.
    pub(crate) fn finish(self) -> Result<Vec<Answer>, String> {
        let Session { mut child, stdin, reader, sent } = self;
        stdin.into_inner().map_err(|e| format!("to node: {e}"))?;
        let answers = reader.join().map_err(|_| "the reader of node's output panicked")?;
        let status = child.wait().map_err(|e| format!("node: {e}"))?;
        if !status.success() {
            return Err(format!("evaluate.js exited with {status} (its stderr is above)"));
        }
        let answers = answers?;
        check_alignment(&sent, &answers)?;
        Ok(answers)
    }
}

fn read_answers(stdout: ChildStdout) -> Result<Vec<Answer>, String> {
    let mut answers = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("from node: {e}"))?;
        answers.push(serde_json::from_str(&line).map_err(|e| format!("evaluate.js: {e}"))?);
    }
    Ok(answers)
}

/// One answer per task, for the same file, with one result per parameter.
fn check_alignment(sent: &[(PathBuf, usize)], answers: &[Answer]) -> Result<(), String> {
    if sent.len() != answers.len() {
        return Err(format!("{} tasks but {} answers", sent.len(), answers.len()));
    }
    for ((file, params), answer) in sent.iter().zip(answers) {
        if *file != answer.file || *params != answer.results.len() {
            return Err(format!("the answer for {} does not match its task", file.display()));
        }
    }
    Ok(())
}
