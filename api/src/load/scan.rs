//! Reads the top-level facts of a JSON resource (type, id, Bundle type, entry count) in one pass
//! over its bytes, without building it: a 10 MB transaction Bundle costs no extra memory.
//!
//! This is no validator: it follows strings and nesting only, and the server judges the rest.

use std::io::BufRead;

/// Longest string value kept; FHIR ids are at most 64 characters, codes far shorter.
const MAX_KEPT: usize = 128;

/// What the scan learnt about a resource.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) resource_type: Option<String>,
    /// The top-level `type` when it is a string: a Bundle's type.
    pub(crate) bundle_type: Option<String>,
    pub(crate) id: Option<String>,
    /// Number of elements of the top-level `entry` array.
    pub(crate) entries: Option<u64>,
}

impl Header {
    pub(crate) fn is_bundle(&self) -> bool {
        self.resource_type.as_deref() == Some("Bundle")
    }

    /// Whether enough is known to put the file in its phase.
    fn is_sniffed(&self) -> bool {
        match self.resource_type.as_deref() {
            Some("Bundle") => self.bundle_type.is_some(),
            Some(_) => true,
            None => false,
        }
    }
}

/// How far to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Stop as soon as the resource type (and a Bundle's type) is known.
    Sniff,
    /// Read to the end of the object, counting entries.
    Full,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ScanError {
    #[error("the content is not a JSON object")]
    NotAnObject,
    #[error("the JSON ends before the object is closed")]
    Truncated,
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// Where the scanner stands inside the top-level object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Key,
    Value,
}

#[derive(Debug, Default)]
struct Scanner {
    header: Header,
    started: bool,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Capturing the current depth-1 string (a key, or a wanted value).
    capture: Option<Vec<u8>>,
    key: Vec<u8>,
    value_slot: bool,
    counting_entries: bool,
    expecting_entry: bool,
}

/// Scans a JSON object from a reader.
pub(crate) fn scan(mut reader: impl BufRead, depth: Depth) -> Result<Header, ScanError> {
    let mut scanner = Scanner::default();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return scanner.finish();
        }
        let (used, done) = scanner.feed(chunk, depth)?;
        reader.consume(used);
        if done {
            return Ok(scanner.header);
        }
    }
}

/// Scans a JSON object held in memory.
pub(crate) fn scan_slice(bytes: &[u8]) -> Result<Header, ScanError> {
    scan(bytes, Depth::Full)
}

impl Scanner {
    /// Feeds bytes; returns how many were used and whether the scan is over.
    fn feed(&mut self, chunk: &[u8], depth: Depth) -> Result<(usize, bool), ScanError> {
        for (at, &byte) in chunk.iter().enumerate() {
            if self.step(byte)? {
                return Ok((at + 1, true));
            }
            if depth == Depth::Sniff && self.header.is_sniffed() {
                return Ok((at + 1, true));
            }
        }
        Ok((chunk.len(), false))
    }

    fn finish(self) -> Result<Header, ScanError> {
        if self.started { Err(ScanError::Truncated) } else { Err(ScanError::NotAnObject) }
    }

    /// Takes one byte; returns true once the top-level object has closed.
    fn step(&mut self, byte: u8) -> Result<bool, ScanError> {
        if self.in_string {
            self.string_byte(byte);
            return Ok(false);
        }
        if !self.started {
            return self.start(byte);
        }
        if byte.is_ascii_whitespace() {
            return Ok(false);
        }
        if self.depth == 2 && self.counting_entries {
            self.count_entry(byte);
        }
        match byte {
            b'"' => self.open_string(),
            b'{' | b'[' => self.open(byte),
            b'}' | b']' => return Ok(self.close()),
            b':' if self.depth == 1 => self.value_slot = true,
            b',' if self.depth == 1 => self.next_key(),
            _ => {}
        }
        Ok(false)
    }

    fn start(&mut self, byte: u8) -> Result<bool, ScanError> {
        match byte {
            b'{' => {
                self.started = true;
                self.depth = 1;
                Ok(false)
            }
            b' ' | b'\t' | b'\r' | b'\n' => Ok(false),
            0xEF | 0xBB | 0xBF => Ok(false), // a UTF-8 byte order mark
            _ => Err(ScanError::NotAnObject),
        }
    }

    fn slot(&self) -> Slot {
        if self.value_slot { Slot::Value } else { Slot::Key }
    }

    fn next_key(&mut self) {
        self.value_slot = false;
        self.key.clear();
    }

    fn count_entry(&mut self, byte: u8) {
        match byte {
            b',' => self.expecting_entry = true,
            b']' => {}
            _ if self.expecting_entry => {
                self.expecting_entry = false;
                self.header.entries = Some(self.header.entries.unwrap_or(0) + 1);
            }
            _ => {}
        }
    }

    fn open(&mut self, byte: u8) {
        if self.depth == 1 && byte == b'[' && self.slot() == Slot::Value && self.key == b"entry" {
            self.counting_entries = true;
            self.expecting_entry = true;
            self.header.entries = Some(0);
        }
        self.depth += 1;
    }

    /// Closes an object or array; true when it was the top-level object.
    fn close(&mut self) -> bool {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 1 {
            self.counting_entries = false;
        }
        self.depth == 0
    }

    fn open_string(&mut self) {
        self.in_string = true;
        let wanted = self.depth == 1
            && (self.slot() == Slot::Key
                || matches!(self.key.as_slice(), b"resourceType" | b"type" | b"id"));
        self.capture = wanted.then(Vec::new);
    }

    fn string_byte(&mut self, byte: u8) {
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            self.close_string();
            return;
        }
        if let Some(kept) = self.capture.as_mut().filter(|kept| kept.len() <= MAX_KEPT) {
            kept.push(byte);
        }
    }

    fn close_string(&mut self) {
        let Some(text) = self.capture.take() else { return };
        if self.slot() == Slot::Key {
            self.key = text;
            return;
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        match self.key.as_slice() {
            b"resourceType" => self.header.resource_type = Some(text),
            b"type" => self.header.bundle_type = Some(text),
            b"id" => self.header.id = Some(text),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(json: &str) -> Header {
        scan_slice(json.as_bytes()).expect("scans")
    }

    #[test]
    fn a_bundle_tells_its_type_and_entry_count() {
        let header = full(
            r#"{"resourceType":"Bundle","type":"transaction","entry":[
                {"resource":{"resourceType":"Patient","id":"p","type":"x"}},
                {"resource":{"resourceType":"Observation","entry":[1,2,3]}},
                {"fullUrl":"urn:uuid:1"}
            ]}"#,
        );
        assert!(header.is_bundle());
        assert_eq!(header.bundle_type.as_deref(), Some("transaction"));
        assert_eq!(header.entries, Some(3));
        assert_eq!(header.id, None);
    }

    #[test]
    fn an_empty_entry_array_counts_zero() {
        assert_eq!(full(r#"{"resourceType":"Bundle","entry":[ ]}"#).entries, Some(0));
        assert_eq!(full(r#"{"resourceType":"Bundle"}"#).entries, None);
    }

    #[test]
    fn a_resource_tells_its_type_and_id_whatever_the_key_order() {
        let header = full(
            r#"{"meta":{"id":"no"},"id":"p-1","text":"a \" \\ ] } {","resourceType":"Patient"}"#,
        );
        assert_eq!(header.resource_type.as_deref(), Some("Patient"));
        assert_eq!(header.id.as_deref(), Some("p-1"));
    }

    #[test]
    fn strings_that_look_like_keys_are_not_keys() {
        let header = full(r#"{"note":"\"id\":\"x\"","resourceType":"Basic","code":{"type":"t"}}"#);
        assert_eq!(header.id, None);
        assert_eq!(header.bundle_type, None);
    }

    #[test]
    fn a_non_string_type_is_not_a_bundle_type() {
        let header = full(r#"{"resourceType":"Encounter","type":[{"text":"x"}],"id":"e"}"#);
        assert_eq!(header.bundle_type, None);
        assert_eq!(header.id.as_deref(), Some("e"));
    }

    #[test]
    fn sniffing_stops_once_the_bundle_type_is_known() -> Result<(), ScanError> {
        let json = br#"{"resourceType":"Bundle","type":"batch","entry":[ this is never read"#;
        let header = scan(&json[..], Depth::Sniff)?;
        assert_eq!(header.bundle_type.as_deref(), Some("batch"));
        Ok(())
    }

    #[test]
    fn other_shapes_are_errors() {
        assert!(matches!(scan_slice(b"[]"), Err(ScanError::NotAnObject)));
        assert!(matches!(scan_slice(b""), Err(ScanError::NotAnObject)));
        assert!(matches!(scan_slice(br#"{"resourceType":"Bundle""#), Err(ScanError::Truncated)));
    }
}
