//! The `Range` request header (`Range-Unit: items`) and the top-level row range PostgREST derives
//! from it together with `limit`/`offset`.

use winnow::ascii::{digit0, digit1};
use winnow::{ModalResult, Parser};

use crate::ast::RowRange;
use crate::haskell::read_integer;
use crate::RequestError;

/// PGRST103 details for an empty range that is not `limit=0`.
pub const NEGATIVE_LIMIT: &str = "Limit should be greater than or equal to zero.";
/// PGRST103 details for a `Range` header whose lower bound is above its upper bound.
pub const LOWER_GT_UPPER: &str =
    "The lower boundary must be lower than or equal to the upper boundary in the Range header.";

/// Inclusive row bounds as PostgREST's `Range Integer` holds them: `0-9` is `{0, Some(9)}`, `10-` is
/// `{10, None}`. They may be empty (`upper < lower`), which is how an inverted header or a negative
/// limit shows up before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeBounds {
    pub lower: i64,
    pub upper: Option<i64>,
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl RangeBounds {
    /// Every row: `[0, ∞)`.
    pub const ALL: RangeBounds = RangeBounds {
        lower: 0,
        upper: None,
    };

    pub(crate) fn new(lower: i128, upper: Option<i128>) -> RangeBounds {
        RangeBounds {
            lower: clamp(lower),
            upper: upper.map(clamp),
        }
    }

    /// The bounds of a parsed row range (`offset`, `offset + limit - 1`).
    pub fn from_row_range(r: RowRange) -> RangeBounds {
        RangeBounds::new(
            i128::from(r.offset),
            r.limit.map(|l| i128::from(r.offset) + i128::from(l) - 1),
        )
    }

    pub fn is_empty(self) -> bool {
        self.upper.is_some_and(|u| u < self.lower)
    }

    /// `limit=0` shows up as `[0, -1]`: PostgREST lets that one empty range through.
    fn is_limit_zero(self) -> bool {
        self.upper == Some(-1)
    }
}

pub(crate) fn bounds_to_row_range(b: RangeBounds) -> RowRange {
    RowRange {
        offset: b.lower,
        limit: b.upper.map(|u| clamp(i128::from(u) - i128::from(b.lower) + 1)),
    }
}

/// `^([0-9]+)-([0-9]*)$`
fn range_spec<'i>(input: &mut &'i str) -> ModalResult<(&'i str, &'i str)> {
    (digit1, '-', digit0)
        .map(|(lower, _, upper)| (lower, upper))
        .parse_next(input)
}

/// Reads `Range: 0-9` / `10-` into bounds, inverted ones included; `None` when the value is not of
/// that form (PostgREST then ignores the header, as it does `items=0-9`).
pub fn parse_range_header_bounds(value: &str) -> Option<RangeBounds> {
    let (lower, upper) = range_spec.parse(value).ok()?;
    let lower = read_integer(lower)?.to_i64_saturating();
    let upper = if upper.is_empty() {
        None
    } else {
        Some(read_integer(upper)?.to_i64_saturating())
    };
    Some(RangeBounds { lower, upper })
}

/// Parses `Range: 0-9` / `10-` into a row range. `None` when the header is not a valid items range
/// (PostgREST then ignores it); an error when the range is inverted.
///
/// PostgREST accepts an inverted header when the query also has `limit=0`; to reproduce that, use
/// [`parse_range_header_bounds`] with [`resolve_top_level_range`].
pub fn parse_range_header(value: &str) -> Result<Option<RowRange>, RequestError> {
    match parse_range_header_bounds(value) {
        None => Ok(None),
        Some(b) if b.is_empty() => Err(RequestError::InvalidRange {
            details: LOWER_GT_UPPER.to_owned(),
        }),
        Some(b) => Ok(Some(bounds_to_row_range(b))),
    }
}

/// The top-level range of a request as PostgREST's `getRanges` computes it: the `Range` header
/// (PostgREST reads it for `GET` only) intersected with the top-level `limit`/`offset` range
/// (`QueryParams::ranges` entry with an empty path). `limit=0` wins over everything; any other empty
/// result is a PGRST103 error, blamed on the header when the header itself is inverted.
pub fn resolve_top_level_range(
    query: Option<RowRange>,
    header: Option<RangeBounds>,
) -> Result<RowRange, RequestError> {
    resolve_bounds(query.map(RangeBounds::from_row_range), header)
}

pub(crate) fn resolve_bounds(
    limit: Option<RangeBounds>,
    header: Option<RangeBounds>,
) -> Result<RowRange, RequestError> {
    let limit = limit.unwrap_or(RangeBounds::ALL);
    let header = header.unwrap_or(RangeBounds::ALL);
    if limit.is_limit_zero() {
        return Ok(RowRange {
            offset: 0,
            limit: Some(0),
        });
    }
    let lower = limit.lower.max(header.lower);
    let upper = match (limit.upper, header.upper) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let both = RangeBounds { lower, upper };
    if limit.is_empty() || header.is_empty() || both.is_empty() {
        let details = if header.is_empty() {
            LOWER_GT_UPPER
        } else {
            NEGATIVE_LIMIT
        };
        return Err(RequestError::InvalidRange {
            details: details.to_owned(),
        });
    }
    Ok(bounds_to_row_range(both))
}
