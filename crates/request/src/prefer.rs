//! The `Prefer` header (RFC 7240) as PostgREST reads it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPref {
    Minimal,
    HeadersOnly,
    Representation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountPref {
    Exact,
    Planned,
    Estimated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    MergeDuplicates,
    IgnoreDuplicates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    Strict,
    Lenient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxPref {
    Commit,
    Rollback,
}

/// Every preference PostgREST understands; unknown ones are kept in `invalid`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preferences {
    pub return_: Option<ReturnPref>,
    pub count: Option<CountPref>,
    pub resolution: Option<Resolution>,
    /// `missing=default`
    pub missing_default: bool,
    pub handling: Option<Handling>,
    pub timezone: Option<String>,
    pub tx: Option<TxPref>,
    pub max_affected: Option<i64>,
    /// Preferences that were not understood, as given (for PGRST122 under `handling=strict`).
    pub invalid: Vec<String>,
}

impl Preferences {
    /// Parses every `Prefer` header value of a request (several headers and comma lists both allowed).
    /// The first occurrence of a preference wins, as in PostgREST.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Preferences {
        let _ = headers;
        todo!()
    }
}
