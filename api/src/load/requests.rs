//! Turns one file into the requests that load it: a transaction or batch Bundle as is, any other
//! resource to its type's endpoint, NDJSON lines and other Bundles' entries as batches of 500.

use std::io::BufRead;

use bytes::Bytes;
use serde_json::Value;

use super::scan::{self, Header};
use super::sink::Method;
use super::source::{Layout, SourceFile};

/// Most entries put in one batch Bundle built from NDJSON lines or a collection's entries.
pub const BATCH_SIZE: usize = 500;

/// One request to send, and which of the file's resources it carries.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// Relative to the base URL; empty for the base itself.
    pub(crate) path: String,
    pub(crate) body: Bytes,
    pub(crate) positions: Positions,
}

/// The resources a request carries, by position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Positions {
    /// The file is one resource.
    Whole,
    /// A Bundle's entries, in order, each with its 1-based position (entry or line) in the file.
    Entries(Vec<u64>),
}

/// What reading a file yields, in file order.
#[derive(Debug)]
pub(crate) enum Item {
    Send(Request),
    /// A resource (or the whole file, with no position) that cannot be sent.
    Fail {
        entry: Option<u64>,
        reason: String,
    },
}

/// Receives each item; returns false to stop reading.
pub(crate) type Emit<'a> = &'a mut dyn FnMut(Item) -> bool;

/// Reads a file and emits its requests; blocking, so it runs off the async workers.
pub(crate) fn produce(file: &SourceFile, emit: Emit<'_>) {
    match file.layout {
        Layout::Json => json_file(file, emit),
        Layout::Ndjson => ndjson_file(file, emit),
    };
}

fn fail(entry: Option<u64>, reason: impl Into<String>) -> Item {
    Item::Fail { entry, reason: reason.into() }
}

fn json_file(file: &SourceFile, emit: Emit<'_>) -> bool {
    let content = match file.read_all() {
        Ok(content) => content,
        Err(error) => return emit(fail(None, format!("cannot read the file: {error}"))),
    };
    let header = match scan::scan_slice(&content) {
        Ok(header) => header,
        Err(error) => return emit(fail(None, error.to_string())),
    };
    match (header.is_bundle(), header.bundle_type.as_deref()) {
        (true, Some("transaction" | "batch")) => emit(Item::Send(bundle_as_is(content, &header))),
        (true, _) => bundle_entries(&content, emit),
        (false, _) => emit(single(content, &header)),
    }
}

fn bundle_as_is(content: Vec<u8>, header: &Header) -> Request {
    let positions = (1..=header.entries.unwrap_or(0)).collect();
    let body = Bytes::from(content);
    Request {
        method: Method::Post,
        path: String::new(),
        body,
        positions: Positions::Entries(positions),
    }
}

fn single(content: Vec<u8>, header: &Header) -> Item {
    match target(header.resource_type.as_deref(), header.id.as_deref()) {
        Ok((method, path)) => {
            let body = Bytes::from(content);
            Item::Send(Request { method, path, body, positions: Positions::Whole })
        }
        Err(reason) => fail(None, reason),
    }
}

/// Sends a collection's (or searchset's, ...) resources as batches.
fn bundle_entries(content: &[u8], emit: Emit<'_>) -> bool {
    let bundle: Value = match serde_json::from_slice(content) {
        Ok(bundle) => bundle,
        Err(error) => return emit(fail(None, json_error(&error))),
    };
    let entries = bundle.get("entry").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut batch = BatchBuilder::default();
    for (index, resource) in entries.iter().enumerate() {
        let Some(resource) = resource.get("resource") else { continue };
        let raw = resource.to_string();
        if !add(&mut batch, index as u64 + 1, resource, raw.as_bytes(), emit) {
            return false;
        }
    }
    batch.take().is_none_or(|request| emit(Item::Send(request)))
}

fn ndjson_file(file: &SourceFile, emit: Emit<'_>) -> bool {
    let mut reader = match file.open() {
        Ok(reader) => reader,
        Err(error) => return emit(fail(None, format!("cannot read the file: {error}"))),
    };
    let (mut line, mut number, mut batch) = (Vec::new(), 0, BatchBuilder::default());
    let unread = loop {
        line.clear();
        number += 1;
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break None,
            Ok(_) if !ndjson_line(&line, number, &mut batch, emit) => return false,
            Ok(_) => {}
            Err(error) => break Some(format!("cannot read the file from here on: {error}")),
        }
    };
    // The lines read before a broken compressed stream still go.
    let sent = batch.take().is_none_or(|request| emit(Item::Send(request)));
    sent && unread.is_none_or(|reason| emit(fail(Some(number), reason)))
}

fn ndjson_line(line: &[u8], number: u64, batch: &mut BatchBuilder, emit: Emit<'_>) -> bool {
    let raw = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line).trim_ascii();
    if raw.is_empty() {
        return true;
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(resource) => add(batch, number, &resource, raw, emit),
        // The line is the position; serde counts from 1 within it.
        Err(error) => {
            emit(fail(Some(number), format!("invalid JSON at column {}", error.column())))
        }
    }
}

/// Adds a resource to the batch, emitting the batch when full or a failure when it cannot go.
fn add(
    batch: &mut BatchBuilder,
    position: u64,
    resource: &Value,
    raw: &[u8],
    emit: Emit<'_>,
) -> bool {
    let resource_type = resource.get("resourceType").and_then(Value::as_str);
    let id = resource.get("id").and_then(Value::as_str);
    match target(resource_type, id) {
        Ok((method, url)) => batch.push(position, method, &url, raw),
        Err(reason) => return emit(fail(Some(position), reason)),
    }
    if !batch.is_full() {
        return true;
    }
    batch.take().is_none_or(|request| emit(Item::Send(request)))
}

/// Where a resource goes: PUT to its id when it has one, so loads repeat, else POST to its type.
fn target(resource_type: Option<&str>, id: Option<&str>) -> Result<(Method, String), &'static str> {
    let resource_type = resource_type
        .filter(|name| is_resource_type(name))
        .ok_or("the resource has no valid resourceType")?;
    match id {
        Some(id) if is_fhir_id(id) => Ok((Method::Put, format!("{resource_type}/{id}"))),
        Some(_) => Err("the resource id is not a valid FHIR id"),
        None => Ok((Method::Post, resource_type.to_owned())),
    }
}

fn is_resource_type(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphabetic())
}

fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Describes a JSON error by position only: serde's own messages may quote content.
fn json_error(error: &serde_json::Error) -> String {
    format!("invalid JSON at line {} column {}", error.line(), error.column())
}

/// Writes a batch Bundle entry by entry, reusing each resource's bytes as read.
#[derive(Debug, Default)]
struct BatchBuilder {
    body: Vec<u8>,
    positions: Vec<u64>,
}

impl BatchBuilder {
    fn push(&mut self, position: u64, method: Method, url: &str, resource: &[u8]) {
        if self.positions.is_empty() {
            self.body.extend_from_slice(br#"{"resourceType":"Bundle","type":"batch","entry":["#);
        } else {
            self.body.push(b',');
        }
        self.body.extend_from_slice(br#"{"resource":"#);
        self.body.extend_from_slice(resource);
        self.body.extend_from_slice(br#","request":{"method":""#);
        self.body.extend_from_slice(method.as_str().as_bytes());
        self.body.extend_from_slice(br#"","url":"#);
        self.body.extend_from_slice(Value::from(url).to_string().as_bytes());
        self.body.extend_from_slice(b"}}");
        self.positions.push(position);
    }

    fn is_full(&self) -> bool {
        self.positions.len() >= BATCH_SIZE
    }

    fn take(&mut self) -> Option<Request> {
        if self.positions.is_empty() {
            return None;
        }
        self.body.extend_from_slice(b"]}");
        let body = Bytes::from(std::mem::take(&mut self.body));
        let positions = Positions::Entries(std::mem::take(&mut self.positions));
        Some(Request { method: Method::Post, path: String::new(), body, positions })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;

    fn items_of(name: &str, content: &str) -> anyhow::Result<Vec<Item>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(name);
        std::fs::write(&path, content)?;
        let file = SourceFile::from_path(path).ok_or_else(|| anyhow::anyhow!("not loadable"))?;
        let mut items = Vec::new();
        produce(&file, &mut |item| {
            items.push(item);
            true
        });
        Ok(items)
    }

    fn body(item: &Item) -> Value {
        match item {
            Item::Send(request) => serde_json::from_slice(&request.body).expect("valid JSON"),
            Item::Fail { .. } => panic!("expected a request, got {item:?}"),
        }
    }

    #[test]
    fn ndjson_lines_make_batches_of_500_putting_ids_and_posting_the_rest() -> anyhow::Result<()> {
        let lines: Vec<String> = (0..1001)
            .map(|n| match n % 2 {
                0 => format!(r#"{{"resourceType":"Patient","id":"p{n}"}}"#),
                _ => r#"{"resourceType":"Observation","status":"final"}"#.to_owned(),
            })
            .collect();
        let items = items_of("x.ndjson", &(lines.join("\n") + "\n\n"))?;
        assert_eq!(items.len(), 3);
        let first = body(&items[0]);
        assert_eq!(first["type"], "batch");
        assert_eq!(first["entry"].as_array().map(Vec::len), Some(500));
        assert_eq!(
            first["entry"][0]["request"],
            serde_json::json!({"method":"PUT","url":"Patient/p0"})
        );
        assert_eq!(
            first["entry"][1]["request"],
            serde_json::json!({"method":"POST","url":"Observation"})
        );
        assert_eq!(first["entry"][1]["resource"]["status"], "final");
        assert_eq!(body(&items[2])["entry"].as_array().map(Vec::len), Some(1));
        let Item::Send(last) = &items[2] else { panic!("expected a request") };
        assert_eq!(last.positions, Positions::Entries(vec![1001]));
        Ok(())
    }

    #[test]
    fn broken_ndjson_lines_fail_alone_by_line_number() -> anyhow::Result<()> {
        let content = [
            r#"{"resourceType":"Patient"}"#,
            "",
            "{oops",
            r#"{"id":"x"}"#,
            r#"{"resourceType":"Patient","id":"a b"}"#,
            r#"{"resourceType":"Patient"}"#,
        ]
        .join("\n");
        let items = items_of("x.ndjson", &content)?;
        let failures: Vec<_> = items
            .iter()
            .filter_map(|item| match item {
                Item::Fail { entry, reason } => Some((*entry, reason.as_str())),
                Item::Send(_) => None,
            })
            .collect();
        assert_eq!(
            failures,
            [
                (Some(3), "invalid JSON at column 2"),
                (Some(4), "the resource has no valid resourceType"),
                (Some(5), "the resource id is not a valid FHIR id"),
            ]
        );
        let Some(Item::Send(request)) = items.last() else { panic!("expected a request") };
        assert_eq!(request.positions, Positions::Entries(vec![1, 6]));
        Ok(())
    }

    #[test]
    fn a_transaction_is_sent_as_is_to_the_base() -> anyhow::Result<()> {
        let content =
            r#"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{}},{}]}"#;
        let items = items_of("t.json", content)?;
        let [Item::Send(request)] = items.as_slice() else { panic!("one request expected") };
        assert_eq!((request.method, request.path.as_str()), (Method::Post, ""));
        assert_eq!(request.body, content.as_bytes());
        assert_eq!(request.positions, Positions::Entries(vec![1, 2]));
        Ok(())
    }

    #[test]
    fn a_single_resource_goes_to_its_type_put_by_id_or_posted() -> anyhow::Result<()> {
        let with_id = items_of("p.json", r#"{"resourceType":"Patient","id":"p1"}"#)?;
        let [Item::Send(request)] = with_id.as_slice() else { panic!("one request expected") };
        assert_eq!((request.method, request.path.as_str()), (Method::Put, "Patient/p1"));
        let without = items_of("p.json", r#"{"resourceType":"Patient"}"#)?;
        let [Item::Send(request)] = without.as_slice() else { panic!("one request expected") };
        assert_eq!((request.method, request.path.as_str()), (Method::Post, "Patient"));
        assert_eq!(request.positions, Positions::Whole);
        Ok(())
    }

    #[test]
    fn a_collection_becomes_batches_of_its_resources_by_entry_position() -> anyhow::Result<()> {
        let content = r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"Patient","id":"a"}},{"fullUrl":"x"},
            {"resource":{"resourceType":"Observation","valueQuantity":{"value":1.50}}}]}"#;
        let items = items_of("c.json", content)?;
        let [item @ Item::Send(request)] = items.as_slice() else { panic!("one request expected") };
        assert_eq!(request.positions, Positions::Entries(vec![1, 3]));
        let batch = body(item);
        assert_eq!(batch["entry"][0]["request"]["url"], "Patient/a");
        assert_eq!(batch["entry"][1]["request"]["method"], "POST");
        assert!(
            String::from_utf8_lossy(&request.body).contains("1.50"),
            "decimals keep their digits"
        );
        Ok(())
    }

    #[test]
    fn a_broken_compressed_ndjson_sends_the_lines_before_the_break() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("cut.ndjson.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for n in 0..2000 {
            writeln!(encoder, r#"{{"resourceType":"Patient","id":"p{n}","gender":"female"}}"#)?;
        }
        let gzip = encoder.finish()?;
        std::fs::write(&path, &gzip[..gzip.len() * 3 / 4])?;
        let file = SourceFile::from_path(path).ok_or_else(|| anyhow::anyhow!("not loadable"))?;
        let mut items = Vec::new();
        produce(&file, &mut |item| {
            items.push(item);
            true
        });
        let sent: usize = items
            .iter()
            .map(|item| match item {
                Item::Send(Request { positions: Positions::Entries(entries), .. }) => entries.len(),
                _ => 0,
            })
            .sum();
        assert!(sent > 500, "{sent} lines sent");
        let Some(Item::Fail { entry: Some(line), reason }) = items.last() else {
            panic!("the break is reported last")
        };
        assert_eq!(*line as usize, sent + 1);
        assert!(reason.starts_with("cannot read the file from here on"), "{reason}");
        Ok(())
    }

    #[test]
    fn unreadable_files_fail_as_a_whole() -> anyhow::Result<()> {
        let items = items_of("bad.json", "[1,2]")?;
        assert!(matches!(items.as_slice(), [Item::Fail { entry: None, .. }]));
        let file = SourceFile::from_path(PathBuf::from("/nonexistent/a.json.gz"));
        let mut items = Vec::new();
        produce(&file.ok_or_else(|| anyhow::anyhow!("not loadable"))?, &mut |item| {
            items.push(item);
            true
        });
        assert!(matches!(items.as_slice(), [Item::Fail { entry: None, .. }]));
        Ok(())
    }
}
