//! Media types and the `Accept` header.

use winnow::combinator::{alt, delimited, repeat};
use winnow::token::{take_till, take_while};
use winnow::{ModalResult, Parser};

use crate::haskell::reads_double_prefix;

/// A media type restgres knows by name; anything else is kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`
    Json,
    /// `application/geo+json`
    GeoJson,
    /// `text/csv`
    Csv,
    /// `text/plain`
    TextPlain,
    /// `text/xml`
    TextXml,
    /// `application/octet-stream`
    OctetStream,
    /// `application/openapi+json`
    OpenApi,
    /// `application/x-www-form-urlencoded`
    FormUrlEncoded,
    /// `application/vnd.pgrst.array+json;nulls=stripped` (without `nulls=stripped` PostgREST reads
    /// it as plain `application/json`, and so does [`parse_media_type`])
    ArrayJson { nulls_stripped: bool },
    /// `application/vnd.pgrst.object+json` (`nulls=stripped` parameter)
    ObjectJson { nulls_stripped: bool },
    /// `application/vnd.pgrst.plan[+text|+json]; for="..."; options=a|b`. Parsing always fills
    /// `for_media` (`application/json` when absent) and keeps the known options (`analyze`,
    /// `verbose`, `settings`, `buffers`, `wal`) in that order.
    Plan {
        format_json: bool,
        for_media: Option<Box<MediaType>>,
        options: Vec<String>,
    },
    /// `*/*`
    Any,
    /// Any other media type, kept exactly as given (parameters included): PostgREST compares it
    /// verbatim with the media types of handlers and quotes it verbatim in PGRST107 errors.
    Other(String),
}

/// One element of `Accept`, with its quality (0..=1000, thousandths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    pub media: MediaType,
    pub quality: u16,
}

/// Parses a media type such as `application/vnd.pgrst.object+json;nulls=stripped` (case-insensitive).
pub fn parse_media_type(s: &str) -> MediaType {
    let (main, sub, params) = match tokenize.parse_next(&mut &*s) {
        Ok(parts) => parts,
        Err(_) => (s, "", Vec::new()),
    };
    // Parameter names are case-insensitive; as in a Haskell `Map.fromList`, the last one wins.
    let param = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k.to_lowercase() == name)
            .map(|(_, v)| *v)
    };
    let nulls_stripped = param("nulls") == Some("stripped");
    let plan = |format_json: bool| {
        let options = param("options").unwrap_or_default();
        let given: Vec<&str> = options.split('|').collect();
        MediaType::Plan {
            format_json,
            for_media: Some(Box::new(parse_media_type(
                param("for").unwrap_or("application/json"),
            ))),
            options: PLAN_OPTIONS
                .iter()
                .filter(|o| given.contains(o))
                .map(|o| (*o).to_owned())
                .collect(),
        }
    };
    match (main.to_lowercase().as_str(), sub.to_lowercase().as_str()) {
        ("application", "json") => MediaType::Json,
        ("application", "geo+json") => MediaType::GeoJson,
        ("text", "csv") => MediaType::Csv,
        ("text", "plain") => MediaType::TextPlain,
        ("text", "xml") => MediaType::TextXml,
        ("application", "openapi+json") => MediaType::OpenApi,
        ("application", "x-www-form-urlencoded") => MediaType::FormUrlEncoded,
        ("application", "octet-stream") => MediaType::OctetStream,
        ("application", "vnd.pgrst.plan" | "vnd.pgrst.plan+text") => plan(false),
        ("application", "vnd.pgrst.plan+json") => plan(true),
        ("application", "vnd.pgrst.object+json" | "vnd.pgrst.object") => {
            MediaType::ObjectJson { nulls_stripped }
        }
        ("application", "vnd.pgrst.array+json" | "vnd.pgrst.array") => {
            if nulls_stripped {
                MediaType::ArrayJson { nulls_stripped: true }
            } else {
                MediaType::Json
            }
        }
        ("*", "*") => MediaType::Any,
        _ => MediaType::Other(s.to_owned()),
    }
}

const PLAN_OPTIONS: [&str; 5] = ["analyze", "verbose", "settings", "buffers", "wal"];

fn spaces<'i>(input: &mut &'i str) -> ModalResult<&'i str> {
    take_while(0.., char::is_whitespace).parse_next(input)
}

/// One `; key=value` parameter (the value quoted or made of letters, digits, `|` and `-`).
fn parameter<'i>(input: &mut &'i str) -> ModalResult<(&'i str, &'i str)> {
    let quoted = delimited('"', take_till(0.., '"'), '"');
    let unquoted = take_while(1.., |c: char| c.is_alphanumeric() || c == '|' || c == '-');
    (
        spaces,
        ';',
        spaces,
        take_while(1.., |c: char| c.is_alphanumeric() || c == '-'),
        spaces,
        '=',
        spaces,
        alt((quoted, unquoted)),
    )
        .map(|(_, _, _, key, _, _, _, value)| (key, value))
        .parse_next(input)
}

/// Main type, subtype and parameters.
type Tokens<'i> = (&'i str, &'i str, Vec<(&'i str, &'i str)>);

/// `type/subtype` and its parameters, as PostgREST's `tokenizeMediaType` splits them; whatever
/// follows the last well-formed parameter is ignored.
fn tokenize<'i>(input: &mut &'i str) -> ModalResult<Tokens<'i>> {
    let main = take_while(1.., |c: char| c.is_alphanumeric() || c == '.' || c == '*').parse_next(input)?;
    '/'.parse_next(input)?;
    let sub = take_while(1.., |c: char| c.is_alphanumeric() || ".*+-".contains(c)).parse_next(input)?;
    let params: Vec<(&str, &str)> = repeat(0.., parameter).parse_next(input)?;
    Ok((main, sub, params))
}

/// Parses `Accept` into ranges ordered by preference (quality, then order given); `*/*` when empty.
///
/// This follows WAI's `parseHttpAccept`, which PostgREST uses: spaces are removed, `;q=` and
/// everything after it is cut from the media type, and ties in quality go to the more specific
/// range (more parameters, fewer `*`) before the order given. Ranges with `q=0` are kept (last).
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    if header.trim().is_empty() {
        return vec![MediaRange {
            media: MediaType::Any,
            quality: 1000,
        }];
    }
    let mut ranges: Vec<(f64, i64, String)> = header
        .split(',')
        .map(|piece| {
            let compact: String = piece.chars().filter(|&c| c != ' ').collect();
            let (media, quality) = match compact.split_once(";q=") {
                Some((media, rest)) => {
                    let q_text = rest.split(';').next().unwrap_or_default();
                    (media.to_owned(), reads_double_prefix(q_text).unwrap_or(1.0))
                }
                None => (compact, 1.0),
            };
            let specificity = count(&media, ';') - count(&media, '*');
            (quality, specificity, media)
        })
        .collect();
    // Stable: equal (quality, specificity) keep the order given.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    ranges
        .into_iter()
        .map(|(q, _, media)| MediaRange {
            media: parse_media_type(&media),
            quality: (q * 1000.0).round().clamp(0.0, f64::from(u16::MAX)) as u16,
        })
        .collect()
}

fn count(s: &str, c: char) -> i64 {
    i64::try_from(s.matches(c).count()).unwrap_or(i64::MAX)
}

impl MediaType {
    /// The media type as PostgREST writes it (its `toMime`), without `charset`.
    pub fn mime(&self) -> String {
        match self {
            MediaType::Json
            | MediaType::ArrayJson {
                nulls_stripped: false,
            } => "application/json".to_owned(),
            MediaType::GeoJson => "application/geo+json".to_owned(),
            MediaType::Csv => "text/csv".to_owned(),
            MediaType::TextPlain => "text/plain".to_owned(),
            MediaType::TextXml => "text/xml".to_owned(),
            MediaType::OctetStream => "application/octet-stream".to_owned(),
            MediaType::OpenApi => "application/openapi+json".to_owned(),
            MediaType::FormUrlEncoded => "application/x-www-form-urlencoded".to_owned(),
            MediaType::ArrayJson { nulls_stripped: true } => {
                "application/vnd.pgrst.array+json;nulls=stripped".to_owned()
            }
            MediaType::ObjectJson { nulls_stripped: true } => {
                "application/vnd.pgrst.object+json;nulls=stripped".to_owned()
            }
            MediaType::ObjectJson {
                nulls_stripped: false,
            } => "application/vnd.pgrst.object+json".to_owned(),
            MediaType::Plan {
                format_json,
                for_media,
                options,
            } => {
                let format = if *format_json { "json" } else { "text" };
                let for_mime = for_media
                    .as_deref()
                    .map_or_else(|| "application/json".to_owned(), MediaType::mime);
                let mut out = format!("application/vnd.pgrst.plan+{format}; for=\"{for_mime}\"");
                if !options.is_empty() {
                    out.push_str("; options=");
                    out.push_str(&options.join("|"));
                }
                out
            }
            MediaType::Any => "*/*".to_owned(),
            MediaType::Other(s) => s.clone(),
        }
    }

    /// The `Content-Type` value PostgREST sends for this media type (with `; charset=utf-8` where it does).
    pub fn content_type(&self) -> String {
        match self {
            MediaType::OctetStream | MediaType::Other(_) => self.mime(),
            _ => format!("{}; charset=utf-8", self.mime()),
        }
    }
}
