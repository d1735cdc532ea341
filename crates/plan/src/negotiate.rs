//! Content negotiation: which representation of a read the client accepts.

use crate::PlanError;
use restgres_request::{MediaRange, MediaType};

/// A representation restgres can produce for rows of a table or view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `application/json` (and `*/*`)
    Json,
    /// `application/vnd.pgrst.array+json`, optionally with `nulls=stripped`
    Array { nulls_stripped: bool },
    /// `application/vnd.pgrst.object+json`: exactly one row as an object
    Object { nulls_stripped: bool },
    /// `text/csv`
    Csv,
}

impl OutputFormat {
    pub fn media_type(self) -> MediaType {
        match self {
            OutputFormat::Json => MediaType::Json,
            OutputFormat::Array { nulls_stripped } => MediaType::ArrayJson { nulls_stripped },
            OutputFormat::Object { nulls_stripped } => MediaType::ObjectJson { nulls_stripped },
            OutputFormat::Csv => MediaType::Csv,
        }
    }
}

/// Picks the first acceptable range (ranges arrive ordered by preference); 406 PGRST107 when none fits.
/// As in PostgREST, only `*/*` is a wildcard: `text/*` names no representation.
pub fn negotiate_rows(accept: &[MediaRange]) -> Result<OutputFormat, PlanError> {
    if accept.is_empty() {
        return Ok(OutputFormat::Json);
    }
    for range in accept.iter().filter(|r| r.quality > 0) {
        let found = match &range.media {
            MediaType::Json | MediaType::Any => Some(OutputFormat::Json),
            MediaType::ArrayJson { nulls_stripped } => Some(OutputFormat::Array {
                nulls_stripped: *nulls_stripped,
            }),
            MediaType::ObjectJson { nulls_stripped } => Some(OutputFormat::Object {
                nulls_stripped: *nulls_stripped,
            }),
            MediaType::Csv => Some(OutputFormat::Csv),
            _ => None,
        };
        if let Some(f) = found {
            return Ok(f);
        }
    }
    Err(PlanError::NotAcceptable {
        requested: accept.iter().map(|r| describe(&r.media)).collect(),
    })
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
