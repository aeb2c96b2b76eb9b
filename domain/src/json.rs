//! JSON parsing that loses nothing: numbers keep their text (serde_json's `arbitrary_precision`),
//! members keep their order, and an object that names a member twice is an error rather than a
//! silent choice of one of the two values.

use std::{fmt, io};

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use serde_json::{Map, Number, Value};

/// The key under which serde_json hands over a number's text when `arbitrary_precision` is on.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Parses a JSON document, refusing duplicate member names.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == NUMBER_TOKEN {
                let text: String = map.next_value()?;
                let number = text.parse::<Number>().map_err(de::Error::custom)?;
                return Ok(Value::Number(number));
            }
            let value = map.next_value_seed(StrictValue)?;
            if object.insert(key, value).is_some() {
                return Err(de::Error::custom("an object names the same member twice"));
            }
        }
        Ok(Value::Object(object))
    }
}

/// How a client wrote the numbers that serde_json would write back differently.
///
/// serde_json keeps a number's digits (`arbitrary_precision`) but writes its exponent its own
/// way: `1.0E-5` comes back as `1.0e-5` and `2e5` as `2e+5`. The spellings of a document are
/// read from its bytes and used again when it is written, so that what is served is what was
/// sent. Every number with an exponent is recorded, in document order, even one serde_json
/// would write as sent, and each is used once: a document written whole (or several documents
/// written one after the other, as the entries of a Bundle) gets back every spelling in place.
/// A document that spells one value two ways can see the two swapped only when it is written
/// with numbers left out or added (`_elements`, a patch), or when it is one entry of a
/// transaction (each entry starts from the whole Bundle's list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spellings(Vec<Spelling>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Spelling {
    /// The text serde_json holds and would write.
    normalized: String,
    /// The text the client sent.
    original: String,
}

impl Spellings {
    /// The numbers of `bytes` (a JSON document) whose text serde_json could write otherwise.
    pub fn scan(bytes: &[u8]) -> Self {
        let mut spellings = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => i = string_end(bytes, i + 1),
                b'-' | b'0'..=b'9' => {
                    let end = number_end(bytes, i);
                    spellings.extend(exponent_spelling(&bytes[i..end]));
                    i = end;
                }
                _ => i += 1,
            }
        }
        Spellings(spellings)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These spellings followed by `other`'s (a patch's values after the document's).
    pub fn and(mut self, other: &Spellings) -> Self {
        self.extend(other);
        self
    }

    /// Adds `other`'s spellings after these (the next document written into the same output).
    pub fn extend(&mut self, other: &Spellings) {
        self.0.extend(other.0.iter().cloned());
    }
}

/// The index just past the string whose content starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn number_end(bytes: &[u8], start: usize) -> usize {
    let rest = &bytes[start..];
    let length = rest
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .unwrap_or(rest.len());
    start + length
}

fn exponent_spelling(token: &[u8]) -> Option<Spelling> {
    if !token.iter().any(|b| matches!(b, b'e' | b'E')) {
        return None;
    }
    let original = std::str::from_utf8(token).ok()?;
    let normalized = original.parse::<Number>().ok()?.to_string();
    Some(Spelling { normalized, original: original.to_owned() })
}

/// Writes `value` compactly, numbers spelled as `spellings` say.
pub fn write(value: &Value, spellings: &Spellings) -> Vec<u8> {
    if spellings.is_empty() {
        // Writing a JSON value into memory cannot fail.
        return serde_json::to_vec(value).unwrap_or_default();
    }
    write_with(value, Respelling::new(spellings, CompactFormatter))
}

/// Writes `value` indented by two spaces, numbers spelled as `spellings` say.
pub fn write_pretty(value: &Value, spellings: &Spellings) -> Vec<u8> {
    write_with(value, Respelling::new(spellings, PrettyFormatter::new()))
}

fn write_with(value: &Value, formatter: impl Formatter) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    // Into memory, a JSON value always serializes.
    let _ = value.serialize(&mut serializer);
    bytes
}

/// The output of `inner` (compact or indented), but for numbers a client spelled its own way.
struct Respelling<'a, F> {
    spellings: &'a [Spelling],
    used: Vec<bool>,
    inner: F,
}

impl<'a, F> Respelling<'a, F> {
    fn new(spellings: &'a Spellings, inner: F) -> Self {
        Respelling { spellings: &spellings.0, used: vec![false; spellings.0.len()], inner }
    }
}

impl<F: Formatter> Formatter for Respelling<'_, F> {
    fn write_number_str<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        let unused = self
            .spellings
            .iter()
            .zip(self.used.iter_mut())
            .find(|(spelling, used)| !**used && spelling.normalized == value);
        match unused {
            Some((spelling, used)) => {
                *used = true;
                writer.write_all(spelling.original.as_bytes())
            }
            None => writer.write_all(value.as_bytes()),
        }
    }

    // The layout is the inner formatter's.

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text_and_members_their_order() {
        let value = parse(br#"{"b":412.30,"a":128,"c":[1.50,-0.0]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"b":412.30,"a":128,"c":[1.50,-0.0]}"#
        );
    }

    #[test]
    fn exponents_are_written_back_as_the_client_spelled_them() {
        let sent = br#"{"a":1.0E-5,"b":[2e5,2E+5,"3E5"],"c":-4.5e-1,"d":6e+2}"#;
        let value = parse(sent).unwrap();
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"a":1.0e-5,"b":[2e+5,2e+5,"3E5"],"c":-4.5e-1,"d":6e+2}"#
        );
        assert_eq!(write(&value, &Spellings::scan(sent)), sent);
    }

    #[test]
    fn one_value_spelled_two_ways_keeps_each_spelling_in_place() {
        let sent = br#"{"a":1e+2,"b":1e2,"c":[1E2,1e+2]}"#;
        assert_eq!(write(&parse(sent).unwrap(), &Spellings::scan(sent)), sent);
    }

    #[test]
    fn documents_written_one_after_another_keep_their_spellings() {
        let (first, second) = (br#"{"a":1e+2}"#, br#"{"b":[1E2,2.5e-3]}"#);
        let bundle = serde_json::json!({"entry": [parse(first).unwrap(), parse(second).unwrap()]});
        let spellings = Spellings::scan(first).and(&Spellings::scan(second));
        let written = String::from_utf8(write(&bundle, &spellings)).unwrap();
        assert_eq!(written, r#"{"entry":[{"a":1e+2},{"b":[1E2,2.5e-3]}]}"#);
    }

    #[test]
    fn indented_output_keeps_the_spellings_too() {
        let sent = br#"{"a":1.0E-5,"b":[1e2,412.30,128]}"#;
        let pretty = String::from_utf8(write_pretty(&parse(sent).unwrap(), &Spellings::scan(sent)));
        let expected = "{\n  \"a\": 1.0E-5,\n  \"b\": [\n    1e2,\n    412.30,\n    128\n  ]\n}";
        assert_eq!(pretty.unwrap(), expected);
    }

    #[test]
    fn strings_that_look_like_numbers_are_not_spellings() {
        assert!(Spellings::scan(br#"{"a":"1E5","b\"":"2E5\\","c":1.5}"#).is_empty());
    }

    #[test]
    fn a_member_named_twice_is_an_error() {
        let error = parse(br#"{"a":1,"b":{"x":1,"x":2}}"#).unwrap_err();
        assert!(error.to_string().contains("same member twice"), "{error}");
    }

    #[test]
    fn trailing_content_and_deep_nesting_are_errors() {
        assert!(parse(b"{} {}").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(deep.as_bytes()).is_err());
    }
}
