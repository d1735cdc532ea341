//! Content negotiation: which representation of a result the client accepts, among the builtin ones and the
//! media type handlers declared in SQL.

use crate::read::{PSelect, ReadPlan};
use crate::PlanError;
use restgres_request::media::parse_media_type;
use restgres_request::{JsonKey, JsonStep, MediaRange, MediaType};
use restgres_schema::{MediaHandler, QualifiedName, Table};

/// A representation restgres can produce for a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    /// `application/json` (and `*/*`)
    Json,
    /// `application/vnd.pgrst.array+json`, optionally with `nulls=stripped`
    Array { nulls_stripped: bool },
    /// `application/vnd.pgrst.object+json`: exactly one row as an object
    Object { nulls_stripped: bool },
    /// `text/csv`
    Csv,
    /// `application/geo+json`: the rows as a GeoJSON FeatureCollection (needs PostGIS).
    GeoJson,
    /// `text/plain`, `text/xml` or `application/octet-stream`: the values of one column (or of a scalar
    /// function) concatenated. PostgREST dropped these builtins in v12; restgres keeps them as fallbacks
    /// behind any handler declared in SQL.
    Raw(RawOutput),
    /// A media type handler declared in SQL.
    Custom(CustomOutput),
}

/// The single column a raw output concatenates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOutput {
    pub media: MediaType,
    /// The output column's name.
    pub column: String,
    /// The column is `bytea` and the media type is `application/octet-stream`: its bytes are sent.
    pub binary: bool,
}

/// A handler declared in SQL: an aggregate over the rows, or the called function's own result when it
/// returns a media-type domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomOutput {
    /// The media type answered: the domain's (`application/vnd.twkb`); for the `*/*` handler the one the
    /// client asked for, or `application/octet-stream` when it accepts anything.
    pub media_type: MediaType,
    /// The aggregate; `None` when the function's result is the body.
    pub aggregate: Option<QualifiedName>,
    /// The row type the aggregate takes; `None` for an `anyelement` aggregate.
    pub target: Option<QualifiedName>,
    /// The domain is over `bytea`.
    pub binary: bool,
}

impl OutputFormat {
    /// Whether the body is JSON built from the rows (where domain representations apply).
    pub fn is_json(&self) -> bool {
        matches!(
            self,
            OutputFormat::Json | OutputFormat::Array { .. } | OutputFormat::Object { .. }
        )
    }

    /// Whether the body PostgreSQL builds is `bytea` (raw bytes) rather than text or json.
    pub fn binary_body(&self) -> bool {
        match self {
            OutputFormat::Raw(r) => r.binary,
            OutputFormat::Custom(c) => c.binary,
            _ => false,
        }
    }

    pub fn media_type(&self) -> MediaType {
        match self {
            OutputFormat::Json => MediaType::Json,
            OutputFormat::Array { nulls_stripped } => MediaType::ArrayJson {
                nulls_stripped: *nulls_stripped,
            },
            OutputFormat::Object { nulls_stripped } => MediaType::ObjectJson {
                nulls_stripped: *nulls_stripped,
            },
            OutputFormat::Csv => MediaType::Csv,
            OutputFormat::GeoJson => MediaType::GeoJson,
            OutputFormat::Raw(r) => r.media.clone(),
            OutputFormat::Custom(c) => c.media_type.clone(),
        }
    }
}

/// What an endpoint can produce besides the builtins: the handlers declared in SQL that apply to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offer<'a> {
    /// Every aggregate handler of the schema cache.
    pub handlers: &'a [MediaHandler],
    /// The row type of the result (the table or view, or the table a function returns rows of).
    pub relation: Option<&'a QualifiedName>,
    /// The called function returns a media-type domain: (its media type, over bytea).
    pub function_media: Option<(&'a str, bool)>,
    /// The select list is the default `*` (handlers for a relation need its whole rows).
    pub default_select: bool,
    /// The one column the raw builtins (text/plain, text/xml, octet-stream) would send, and whether it is
    /// `bytea`: the only selected column, or a scalar function's result. None: raw output is not offered.
    pub raw_column: Option<(&'a str, bool)>,
}

impl<'a> Offer<'a> {
    /// A handler for exactly this endpoint (its relation's aggregate or the function itself) producing `mt`.
    fn own(&self, mt: &MediaType) -> Option<CustomOutput> {
        if !self.default_select {
            return None;
        }
        if let Some((media, binary)) = self.function_media {
            if parse_media_type(media) == *mt {
                return Some(CustomOutput {
                    media_type: mt.clone(),
                    aggregate: None,
                    target: None,
                    binary,
                });
            }
        }
        let relation = self.relation?;
        self.handlers
            .iter()
            .find(|h| h.target.as_ref() == Some(relation) && parse_media_type(&h.media_type) == *mt)
            .map(|h| custom(h, mt))
    }

    /// An `anyelement` aggregate producing `mt`.
    fn generic(&self, mt: &MediaType) -> Option<CustomOutput> {
        self.handlers
            .iter()
            .find(|h| h.target.is_none() && parse_media_type(&h.media_type) == *mt)
            .map(|h| custom(h, mt))
    }
}

fn custom(h: &MediaHandler, mt: &MediaType) -> CustomOutput {
    CustomOutput {
        media_type: mt.clone(),
        aggregate: Some(h.aggregate.clone()),
        target: h.target.clone(),
        binary: h.binary,
    }
}

/// Picks the first acceptable range (ranges arrive ordered by preference); 406 PGRST107 when none fits.
/// As in PostgREST: the vendor types cannot be overridden; otherwise an endpoint's own `*/*` handler wins,
/// then its handler for the media type, then an `anyelement` one, then the builtins. Only `*/*` is a
/// wildcard (`text/*` names no representation); no `Accept` means `*/*`.
pub fn negotiate(accept: &[MediaRange], offer: &Offer<'_>) -> Result<OutputFormat, PlanError> {
    let any = [MediaRange {
        media: MediaType::Any,
        quality: 1000,
    }];
    let accept = if accept.is_empty() { &any[..] } else { accept };
    for range in accept.iter().filter(|r| r.quality > 0) {
        let found = match &range.media {
            MediaType::ArrayJson { nulls_stripped } => Some(OutputFormat::Array {
                nulls_stripped: *nulls_stripped,
            }),
            MediaType::ObjectJson { nulls_stripped } => Some(OutputFormat::Object {
                nulls_stripped: *nulls_stripped,
            }),
            mt => offer
                .own(&MediaType::Any)
                .map(|mut any| {
                    // The "any" handler answers what was asked for (octet-stream when anything goes);
                    // its SQL may set another Content-Type.
                    any.media_type = match mt {
                        MediaType::Any => MediaType::OctetStream,
                        other => other.clone(),
                    };
                    any
                })
                .or_else(|| offer.own(mt))
                .or_else(|| offer.generic(mt))
                .map(OutputFormat::Custom)
                .or_else(|| builtin(mt, offer.raw_column)),
        };
        if let Some(f) = found {
            return Ok(f);
        }
    }
    Err(PlanError::NotAcceptable {
        requested: accept.iter().map(|r| describe(&r.media)).collect(),
    })
}

/// Negotiation among the builtins only.
pub fn negotiate_rows(accept: &[MediaRange]) -> Result<OutputFormat, PlanError> {
    negotiate(accept, &Offer::default())
}

fn builtin(mt: &MediaType, raw_column: Option<(&str, bool)>) -> Option<OutputFormat> {
    match mt {
        MediaType::Json | MediaType::Any => Some(OutputFormat::Json),
        MediaType::Csv => Some(OutputFormat::Csv),
        MediaType::GeoJson => Some(OutputFormat::GeoJson),
        MediaType::TextPlain | MediaType::TextXml | MediaType::OctetStream => {
            raw_column.map(|(column, bytea)| {
                OutputFormat::Raw(RawOutput {
                    media: mt.clone(),
                    column: column.to_string(),
                    binary: bytea && *mt == MediaType::OctetStream,
                })
            })
        }
        _ => None,
    }
}

/// Whether a select list is the default one (`*` alone, no embeds).
pub fn is_default_select(plan: &ReadPlan) -> bool {
    matches!(plan.select.as_slice(), [PSelect::Star]) && plan.embeds.iter().all(|e| !e.outputs())
}

/// The only selected column of `plan` (its output name, and whether it is `bytea` per `table`), when the
/// select list is exactly one plain column: what the raw builtins send.
pub fn single_column(plan: &ReadPlan, table: Option<&Table>) -> Option<(String, bool)> {
    if plan.embeds.iter().any(|e| e.outputs()) {
        return None;
    }
    let [PSelect::Column {
        field,
        cast,
        aggregate: None,
        alias,
        ..
    }] = plan.select.as_slice()
    else {
        return None;
    };
    let key = alias
        .clone()
        .or_else(|| match field.json_path.last() {
            Some(JsonStep {
                key: JsonKey::Key(k), ..
            }) => Some(k.clone()),
            _ => None,
        })
        .unwrap_or_else(|| field.column.clone());
    let is_bytea = cast.is_none()
        && field.json_path.is_empty()
        && table
            .and_then(|t| t.columns.iter().find(|c| c.name == field.column))
            .is_some_and(|c| c.base_type == "bytea");
    Some((key, is_bytea))
}

fn describe(m: &MediaType) -> String {
    match m {
        MediaType::Other(s) => s.clone(),
        other => {
            let ct = other.content_type();
            ct.split(';').next().unwrap_or_default().trim().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use restgres_request::media::parse_accept;

    fn handler(target: Option<&str>, media: &str) -> MediaHandler {
        MediaHandler {
            aggregate: QualifiedName::new("api", format!("agg_{media}")),
            target: target.map(|t| QualifiedName::new("api", t)),
            media_type: media.to_string(),
            binary: false,
        }
    }

    fn pick(
        accept: &str,
        handlers: &[MediaHandler],
        default_select: bool,
    ) -> Result<OutputFormat, PlanError> {
        let lines = QualifiedName::new("api", "lines");
        let offer = Offer {
            handlers,
            relation: Some(&lines),
            function_media: None,
            default_select,
            raw_column: None,
        };
        negotiate(&parse_accept(accept), &offer)
    }

    fn aggregate_of(f: &OutputFormat) -> Option<String> {
        match f {
            OutputFormat::Custom(c) => c.aggregate.as_ref().map(|a| a.name.clone()),
            _ => None,
        }
    }

    #[test]
    fn builtins_without_handlers() {
        assert_eq!(pick("", &[], true).ok(), Some(OutputFormat::Json));
        assert_eq!(pick("text/csv", &[], true).ok(), Some(OutputFormat::Csv));
        assert_eq!(
            pick("application/geo+json", &[], true).ok(),
            Some(OutputFormat::GeoJson)
        );
        assert!(matches!(
            pick("text/*", &[], true),
            Err(PlanError::NotAcceptable { .. })
        ));
    }

    #[test]
    fn relation_handlers_need_the_default_select() {
        let hs = [handler(Some("lines"), "text/csv")];
        assert_eq!(
            aggregate_of(&pick("text/csv", &hs, true).unwrap()).as_deref(),
            Some("agg_text/csv")
        );
        assert_eq!(pick("text/csv", &hs, false).ok(), Some(OutputFormat::Csv));
        // Another relation's handler does not apply.
        let other = [handler(Some("other"), "text/csv")];
        assert_eq!(pick("text/csv", &other, true).ok(), Some(OutputFormat::Csv));
    }

    #[test]
    fn the_any_handler_wins_and_answers_what_was_asked() {
        let hs = [handler(Some("lines"), "*/*"), handler(Some("lines"), "text/csv")];
        let f = pick("text/csv", &hs, true).unwrap();
        assert_eq!(aggregate_of(&f).as_deref(), Some("agg_*/*"));
        assert_eq!(f.media_type(), MediaType::Csv);
        assert_eq!(pick("", &hs, true).unwrap().media_type(), MediaType::OctetStream);
        // Vendor types are never overridden.
        assert_eq!(
            pick("application/vnd.pgrst.object+json", &hs, true).ok(),
            Some(OutputFormat::Object {
                nulls_stripped: false
            })
        );
    }

    #[test]
    fn anyelement_handlers_apply_to_any_select() {
        let hs = [handler(None, "application/vnd.x")];
        assert_eq!(
            aggregate_of(&pick("application/vnd.x", &hs, false).unwrap()).as_deref(),
            Some("agg_application/vnd.x")
        );
    }
}
