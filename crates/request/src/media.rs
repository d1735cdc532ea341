//! Media types and the `Accept` header.

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
    /// `application/vnd.pgrst.array+json` (`nulls=stripped` parameter)
    ArrayJson { nulls_stripped: bool },
    /// `application/vnd.pgrst.object+json` (`nulls=stripped` parameter)
    ObjectJson { nulls_stripped: bool },
    /// `application/vnd.pgrst.plan[+text|+json]; for="..."; options=a|b`
    Plan { format_json: bool, for_media: Option<Box<MediaType>>, options: Vec<String> },
    /// `*/*`
    Any,
    /// Any other `type/subtype`, lower-cased, without parameters.
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
    todo!("{s}")
}

/// Parses `Accept` into ranges ordered by preference (quality, then order given); `*/*` when empty.
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    todo!("{header}")
}

impl MediaType {
    /// The `Content-Type` value PostgREST sends for this media type (with `; charset=utf-8` where it does).
    pub fn content_type(&self) -> String {
        todo!()
    }
}
