//! Request bodies for writes (JSON, CSV, x-www-form-urlencoded), read as PostgREST's `getPayload` reads them.
//!
//! Every body becomes one JSON text (an object or an array of objects) that the SQL binds as a single
//! parameter, plus the keys that name the columns to write. JSON bodies are passed on unchanged: they
//! are only walked to collect keys, without building a tree, so a body of 100,000 objects costs about
//! its own size in memory. CSV and form bodies are converted to JSON.
//!
//! PostgREST's rules, kept here:
//! - JSON: an object, or an array whose objects all have the same set of keys ("All object keys must
//!   match"); an empty array, or any scalar, is an empty array with no keys; an empty or unparsable body
//!   is "Empty or invalid json".
//! - CSV (cassava's `decodeByName`): a header row ended by a line break, RFC 4180 quoting, `\n`, `\r\n`
//!   or `\r` between records, blank lines skipped, the unquoted or quoted field `NULL` is SQL null and an
//!   empty field the empty string, values are strings, the last of repeated header names wins.
//! - Forms (http-types' `parseSimpleQuery`): `&` and `;` separate pairs, `+` is a space, invalid `%`
//!   escapes stay, a pair without `=` has the empty value, the last of repeated keys wins.
//!
//! Where PostgREST accepts garbage, restgres refuses it (each is a PGRST102 here):
//! - a CSV record with fewer or more fields than the header (PostgREST silently drops the extra fields
//!   or the missing columns when every record is short alike);
//! - an unterminated quoted CSV field (cassava silently drops its last character);
//! - CSV or form text that is not UTF-8 (PostgREST fails with a 500 when it decodes it).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::haskell::show_string;
use crate::media::MediaType;

/// A write body ready to bind as one `json` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// An object or an array of objects, as JSON text. JSON input is kept byte for byte (whitespace
    /// included); CSV and form input is converted; an empty array or a scalar becomes `[]`.
    pub json: String,
    /// The keys of the objects, in order of first appearance and without repeats. All objects of an
    /// array have the same set of keys (or the body was refused), so this is also their union. Empty
    /// for an empty array and for a [`Payload::passthrough`] body.
    pub keys: Vec<String>,
    /// Whether `json` is an array (else it is one object).
    pub is_array: bool,
    /// How many objects `json` holds; `None` when the body was passed through without being read.
    pub rows: Option<usize>,
}

/// The content types PostgREST reads write bodies from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json` (also what a request without `Content-Type` is read as).
    Json,
    /// `text/csv`
    Csv,
    /// `application/x-www-form-urlencoded`
    FormUrlEncoded,
}

/// Why a body was refused. Every variant is PostgREST's PGRST102 (`InvalidBody`), status 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is empty or is not JSON. PostgREST drops aeson's own message in favour of this one
    /// (PostgREST issue #2344).
    #[error("Empty or invalid json")]
    InvalidJson,
    /// An array whose first element is not an object, or whose objects differ in their sets of keys.
    #[error("All object keys must match")]
    KeysMustMatch,
    /// A CSV record whose number of fields differs from the header's.
    #[error("All lines must have same number of fields")]
    CsvFieldCount,
    /// CSV that cassava cannot parse, in cassava's shape: `parse error (<reason>) at <rest of input>`.
    #[error("{0}")]
    CsvParse(String),
    /// CSV or form text that is not UTF-8 (restgres' own message: PostgREST fails with a 500).
    #[error("Request body is not valid UTF-8")]
    InvalidUtf8,
    /// A `Content-Type` PostgREST does not read write bodies from, as PostgREST names it.
    #[error("Content-Type not acceptable: {0}")]
    ContentTypeNotAcceptable(String),
}

impl BodyFormat {
    /// The format of a body with this `Content-Type`. Bodies that PostgREST hands to a function as
    /// one raw argument (`text/plain`, `text/xml`, `application/octet-stream` on RPC) are not write
    /// bodies: the caller handles them before asking here.
    pub fn from_media_type(media: &MediaType) -> Result<BodyFormat, PayloadError> {
        match media {
            MediaType::Json => Ok(BodyFormat::Json),
            MediaType::Csv => Ok(BodyFormat::Csv),
            MediaType::FormUrlEncoded => Ok(BodyFormat::FormUrlEncoded),
            other => Err(PayloadError::ContentTypeNotAcceptable(other.mime())),
        }
    }
}

/// Reads a write body. When `columns=` is given for a JSON body, use [`Payload::passthrough`]
/// instead: PostgREST then takes the columns from the query string and does not read the body.
/// (For CSV and form bodies PostgREST reads the body even with `columns=`, and takes the keys
/// from it.)
pub fn parse_payload(format: BodyFormat, body: &[u8]) -> Result<Payload, PayloadError> {
    match format {
        BodyFormat::Json => parse_json(body),
        BodyFormat::Csv => parse_csv(body),
        BodyFormat::FormUrlEncoded => parse_form(body),
    }
}

impl Payload {
    /// A JSON body taken as it is, for `columns=`: only its first significant character is looked at
    /// (`{` for an object, `[` for an array), and PostgreSQL reports any other fault. PostgREST does
    /// not look at all; refusing a body that cannot be an object or an array here gives a PGRST102
    /// "Empty or invalid json" where PostgREST would let PostgreSQL fail on it.
    pub fn passthrough(body: &[u8]) -> Result<Payload, PayloadError> {
        let text = std::str::from_utf8(body).map_err(|_| PayloadError::InvalidJson)?;
        let is_array = match first_significant(text) {
            Some(b'[') => true,
            Some(b'{') => false,
            _ => return Err(PayloadError::InvalidJson),
        };
        Ok(Payload {
            json: text.to_owned(),
            keys: Vec::new(),
            is_array,
            rows: None,
        })
    }

    /// `{}`: what PostgREST reads an empty JSON body to a function (`POST /rpc/f`) as.
    pub fn empty_object() -> Payload {
        Payload {
            json: "{}".to_owned(),
            keys: Vec::new(),
            is_array: false,
            rows: Some(1),
        }
    }

    /// `[]` with no keys: what an empty array, an empty CSV and any JSON scalar become.
    fn empty_array() -> Payload {
        Payload {
            json: "[]".to_owned(),
            keys: Vec::new(),
            is_array: true,
            rows: Some(0),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// JSON

/// The first byte after JSON white space (space, tab, line feed, carriage return).
fn first_significant(text: &str) -> Option<u8> {
    text.bytes().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn parse_json(body: &[u8]) -> Result<Payload, PayloadError> {
    let text = std::str::from_utf8(body).map_err(|_| PayloadError::InvalidJson)?;
    let mut keys = KeySets::default();
    let is_array = match first_significant(text) {
        Some(b'{') => {
            walk(text, |de| {
                de.deserialize_map(KeysVisitor(|key: &str| keys.key(key)))
            })?;
            keys.end_object();
            false
        }
        Some(b'[') => {
            walk(text, |de| de.deserialize_seq(ArrayVisitor { keys: &mut keys }))?;
            true
        }
        // A scalar (or nothing, or garbage): aeson's `decode` accepts any JSON value, and PostgREST
        // reads every value other than an object or an array as an empty array.
        _ => {
            walk(text, |de| de.deserialize_ignored_any(IgnoredAny).map(|_| ()))?;
            return Ok(Payload::empty_array());
        }
    };
    if keys.mismatch {
        return Err(PayloadError::KeysMustMatch);
    }
    if keys.rows == 0 {
        return Ok(Payload::empty_array());
    }
    Ok(Payload {
        json: text.to_owned(),
        keys: keys.keys,
        is_array,
        rows: Some(keys.rows),
    })
}

type JsonDeserializer<'de> = serde_json::Deserializer<serde_json::de::StrRead<'de>>;

/// Runs `f` on a deserializer over the whole text, then checks that only white space follows.
fn walk<'de>(
    text: &'de str,
    f: impl FnOnce(&mut JsonDeserializer<'de>) -> Result<(), serde_json::Error>,
) -> Result<(), PayloadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    f(&mut de)
        .and_then(|()| de.end())
        .map_err(|_| PayloadError::InvalidJson)
}

/// The keys of the objects seen so far, and whether every object has the first one's set of keys.
#[derive(Default)]
struct KeySets {
    /// The first object's keys, in order, without repeats.
    keys: Vec<String>,
    /// Position of each key in `keys`.
    index: HashMap<String, usize>,
    /// For each key of `keys`, the last object (counted from 1) it was seen in.
    seen_in: Vec<usize>,
    /// Objects finished so far.
    rows: usize,
    /// Distinct keys of the current object that are in `keys`.
    matched: usize,
    /// An object (or a non-object) that breaks the rule was seen.
    mismatch: bool,
}

impl KeySets {
    fn key(&mut self, key: &str) {
        if self.rows == 0 {
            if !self.index.contains_key(key) {
                self.index.insert(key.to_owned(), self.keys.len());
                self.keys.push(key.to_owned());
            }
            return;
        }
        // Stamp each key with the object it was last seen in, so that repeats count once and
        // nothing needs clearing between objects.
        let current = self.rows + 1;
        match self.index.get(key).and_then(|&i| self.seen_in.get_mut(i)) {
            Some(stamp) if *stamp != current => {
                *stamp = current;
                self.matched += 1;
            }
            Some(_) => {}
            None => self.mismatch = true,
        }
    }

    fn end_object(&mut self) {
        if self.rows == 0 {
            self.seen_in = vec![0; self.keys.len()];
        } else if self.matched != self.keys.len() {
            self.mismatch = true;
        }
        self.rows += 1;
        self.matched = 0;
    }
}

/// Walks the top-level array. Each element is first skipped as raw text (which checks that it is
/// JSON, at any depth and without limits on numbers); an object's keys are then read from that
/// text. Once one element breaks the rule, the rest are only checked to be JSON, because invalid
/// JSON anywhere takes precedence over mismatched keys.
struct ArrayVisitor<'k> {
    keys: &'k mut KeySets,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(element) = seq.next_element::<&'de RawValue>()? {
            if self.keys.mismatch {
                continue;
            }
            let text = element.get();
            if !text.starts_with('{') {
                self.keys.mismatch = true;
                continue;
            }
            let keys = &mut *self.keys;
            let mut de = serde_json::Deserializer::from_str(text);
            de.deserialize_map(KeysVisitor(|key: &str| keys.key(key)))
                .map_err(serde::de::Error::custom)?;
            keys.end_object();
        }
        Ok(())
    }
}

/// Visits one object: hands each key to the callback and skips each value.
struct KeysVisitor<F>(F);

impl<'de, F: FnMut(&str)> Visitor<'de> for KeysVisitor<F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            (self.0)(&key);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A key borrowed from the input when it has no escapes (the usual case), so that reading the
/// keys of many objects does not allocate.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so `i` is a character boundary.
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

// ---------------------------------------------------------------------------------------------------
// CSV

const QUOTE: u8 = b'"';
const COMMA: u8 = b',';

fn parse_csv(body: &[u8]) -> Result<Payload, PayloadError> {
    let mut csv = CsvReader { input: body, pos: 0 };
    let mut header = Vec::new();
    csv.record(&mut header)?;
    if !csv.end_of_line() {
        return Err(csv.error_here());
    }
    let mut names = Vec::with_capacity(header.len());
    for name in &header {
        names.push(std::str::from_utf8(name).map_err(|_| PayloadError::InvalidUtf8)?);
    }
    let columns = Columns::new(&names);

    let mut fields = Vec::new();
    let mut json = String::from("[");
    let mut rows = 0usize;
    let mut counts_match = true;
    let mut valid_utf8 = true;
    loop {
        csv.record(&mut fields)?;
        let blank = matches!(fields.as_slice(), [only] if only.is_empty());
        if !blank {
            if fields.len() != names.len() {
                counts_match = false;
            } else if valid_utf8 && counts_match {
                if rows > 0 {
                    json.push(',');
                }
                valid_utf8 = columns.push_row(&mut json, &fields);
            }
            rows += 1;
        }
        if csv.at_end() {
            break;
        }
        if !csv.end_of_line() {
            return Err(csv.error_here());
        }
    }
    // cassava fails on syntax first; PostgREST then converts values and checks field counts.
    if !valid_utf8 {
        return Err(PayloadError::InvalidUtf8);
    }
    if !counts_match {
        return Err(PayloadError::CsvFieldCount);
    }
    if rows == 0 {
        return Ok(Payload::empty_array());
    }
    json.push(']');
    Ok(Payload {
        json,
        keys: columns.names.iter().map(|n| (*n).to_owned()).collect(),
        is_array: true,
        rows: Some(rows),
    })
}

/// The header's distinct names, each with the last field position that carries it (a JSON object
/// built from repeated names keeps the last value).
struct Columns<'h> {
    names: Vec<&'h str>,
    /// `"name":` for each distinct name, ready to append.
    prefixes: Vec<String>,
    positions: Vec<usize>,
}

impl<'h> Columns<'h> {
    fn new(header: &[&'h str]) -> Columns<'h> {
        let mut names: Vec<&str> = Vec::new();
        let mut positions = Vec::new();
        for (position, name) in header.iter().enumerate() {
            match names.iter().position(|n| n == name) {
                Some(i) => {
                    if let Some(p) = positions.get_mut(i) {
                        *p = position;
                    }
                }
                None => {
                    names.push(name);
                    positions.push(position);
                }
            }
        }
        let prefixes = names
            .iter()
            .map(|name| {
                let mut prefix = String::new();
                push_json_string(&mut prefix, name);
                prefix.push(':');
                prefix
            })
            .collect();
        Columns {
            names,
            prefixes,
            positions,
        }
    }

    /// Appends one record as a JSON object; false if a value is not UTF-8.
    fn push_row(&self, json: &mut String, fields: &[Cow<[u8]>]) -> bool {
        json.push('{');
        for (i, (prefix, &position)) in self.prefixes.iter().zip(&self.positions).enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(prefix);
            let value = fields.get(position).map(|f| f.as_ref()).unwrap_or_default();
            if value == b"NULL" {
                json.push_str("null");
            } else {
                match std::str::from_utf8(value) {
                    Ok(text) => push_json_string(json, text),
                    Err(_) => return false,
                }
            }
        }
        json.push('}');
        true
    }
}

/// cassava's CSV grammar over the body's bytes.
struct CsvReader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> CsvReader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// `\n`, `\r\n` or a lone `\r`.
    fn end_of_line(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            _ => return false,
        }
        true
    }

    /// Fields separated by commas, up to (not including) whatever cannot continue the record.
    fn record(&mut self, fields: &mut Vec<Cow<'a, [u8]>>) -> Result<(), PayloadError> {
        fields.clear();
        loop {
            fields.push(self.field()?);
            if self.peek() != Some(COMMA) {
                return Ok(());
            }
            self.pos += 1;
        }
    }

    fn field(&mut self) -> Result<Cow<'a, [u8]>, PayloadError> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        if rest.first() != Some(&QUOTE) {
            let len = rest
                .iter()
                .position(|&b| matches!(b, QUOTE | COMMA | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            self.pos += len;
            return Ok(Cow::Borrowed(rest.get(..len).unwrap_or_default()));
        }
        // A quoted field: up to the first quote that is not doubled.
        let content = rest.get(1..).unwrap_or_default();
        let mut owned: Option<Vec<u8>> = None;
        let mut start = 0;
        loop {
            let Some(offset) = content
                .get(start..)
                .and_then(|c| c.iter().position(|&b| b == QUOTE))
            else {
                // cassava keeps such a field minus its last character; refuse it instead.
                self.pos = self.input.len();
                return Err(PayloadError::CsvParse(cassava_error(
                    "Failed reading: trailing double quote",
                    b"",
                )));
            };
            let quote = start + offset;
            let piece = content.get(start..quote).unwrap_or_default();
            if content.get(quote + 1) == Some(&QUOTE) {
                let buffer = owned.get_or_insert_with(Vec::new);
                buffer.extend_from_slice(piece);
                buffer.push(QUOTE);
                start = quote + 2;
            } else {
                // Skip the opening quote, the content and the closing quote.
                self.pos += quote + 2;
                return Ok(match owned {
                    Some(mut buffer) => {
                        buffer.extend_from_slice(piece);
                        Cow::Owned(buffer)
                    }
                    None => Cow::Borrowed(piece),
                });
            }
        }
    }

    /// The error for a record or header that stops where neither a line break nor (for records) the
    /// end of the body follows. At the end of the body (a header without its line break) attoparsec
    /// says it wants more input.
    fn error_here(&self) -> PayloadError {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let reason = if rest.is_empty() {
            "not enough input"
        } else {
            "Failed reading: satisfy"
        };
        PayloadError::CsvParse(cassava_error(reason, rest))
    }
}

/// cassava's `parse error (<reason>) at <rest>`: the rest as Haskell shows a string of bytes, or
/// its first 100 bytes followed by ` (truncated)`.
fn cassava_error(reason: &str, rest: &[u8]) -> String {
    let shown = match rest.get(..100) {
        Some(head) if rest.len() > 100 => format!("{} (truncated)", String::from_utf8_lossy(head)),
        _ => show_string(&rest.iter().map(|&b| char::from(b)).collect::<String>()),
    };
    format!("parse error ({reason}) at {shown}")
}

// ---------------------------------------------------------------------------------------------------
// Forms

fn parse_form(body: &[u8]) -> Result<Payload, PayloadError> {
    let body = body.strip_prefix(b"?").unwrap_or(body);
    let mut keys: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut segments: Vec<&[u8]> = body.split(|&b| b == b'&' || b == b';').collect();
    // http-types stops when nothing is left after a separator: a trailing separator adds no pair,
    // but an empty segment between two separators is a pair with an empty key.
    if segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    for segment in segments {
        let (key, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (
                segment.get(..eq).unwrap_or_default(),
                segment.get(eq + 1..).unwrap_or_default(),
            ),
            None => (segment, &b""[..]),
        };
        let key = url_decode(key)?;
        let value = url_decode(value)?;
        match index.get(&key) {
            Some(&i) => {
                if let Some(slot) = values.get_mut(i) {
                    *slot = value;
                }
            }
            None => {
                index.insert(key.clone(), keys.len());
                keys.push(key);
                values.push(value);
            }
        }
    }
    let mut json = String::from("{");
    for (i, (key, value)) in keys.iter().zip(&values).enumerate() {
        if i > 0 {
            json.push(',');
        }
        push_json_string(&mut json, key);
        json.push(':');
        push_json_string(&mut json, value);
    }
    json.push('}');
    Ok(Payload {
        json,
        keys,
        is_array: false,
        rows: Some(1),
    })
}

/// `+` is a space, then `%XX` escapes are decoded (others stay as they are); the result must be UTF-8.
fn url_decode(raw: &[u8]) -> Result<String, PayloadError> {
    let plus_as_space: Cow<[u8]> = if raw.contains(&b'+') {
        Cow::Owned(raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect())
    } else {
        Cow::Borrowed(raw)
    };
    let decoded: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(decoded).map_err(|_| PayloadError::InvalidUtf8)
}
