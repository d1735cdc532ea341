//! The `Prefer` header (RFC 7240) as PostgREST reads it.

use crate::haskell::read_integer;

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
    /// `missing=null` (the behaviour without the preference, but echoed in `Preference-Applied`).
    pub missing_null: bool,
    pub handling: Option<Handling>,
    pub timezone: Option<String>,
    pub tx: Option<TxPref>,
    pub max_affected: Option<i64>,
    /// `params=single-object`: the whole JSON body goes to a function's single json/jsonb parameter.
    /// PostgREST dropped it in v12; restgres keeps it so that older clients still work.
    pub params_single_object: bool,
    /// Preferences that were not understood, as given (for PGRST122 under `handling=strict`).
    pub invalid: Vec<String>,
}

impl Preferences {
    /// Parses every `Prefer` header value of a request (several headers and comma lists both allowed).
    /// The first occurrence of a preference wins, as in PostgREST.
    ///
    /// Every `timezone=` value is taken as valid here; use [`Preferences::parse_with_timezones`] to
    /// check it against the database's time zone names as PostgREST does.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Preferences {
        Preferences::parse_with_timezones(headers, |_| true)
    }

    /// PGRST122: under `handling=strict`, any preference that was not understood is an error.
    pub fn check_strict(&self) -> Result<(), crate::RequestError> {
        if self.handling == Some(Handling::Strict) && !self.invalid.is_empty() {
            return Err(crate::RequestError::InvalidPreferences {
                invalid: self.invalid.clone(),
            });
        }
        Ok(())
    }

    /// Like [`Preferences::parse`], with `is_timezone` telling which time zone names exist
    /// (`pg_timezone_names`). As in PostgREST, when the first `timezone=` preference names an
    /// unknown zone, `timezone` stays unset and every `timezone=` preference counts as invalid.
    pub fn parse_with_timezones<'a>(
        headers: impl IntoIterator<Item = &'a str>,
        is_timezone: impl Fn(&str) -> bool,
    ) -> Preferences {
        // RFC 7240 lists, one or several headers; each item is trimmed and compared exactly.
        let items: Vec<&str> = headers
            .into_iter()
            .flat_map(|h| h.split(','))
            .map(|item| item.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}'))
            .collect();

        let return_ = first_of(
            &items,
            &[
                ("return=representation", ReturnPref::Representation),
                ("return=minimal", ReturnPref::Minimal),
                ("return=headers-only", ReturnPref::HeadersOnly),
            ],
        );
        let count = first_of(
            &items,
            &[
                ("count=exact", CountPref::Exact),
                ("count=planned", CountPref::Planned),
                ("count=estimated", CountPref::Estimated),
            ],
        );
        let resolution = first_of(
            &items,
            &[
                ("resolution=merge-duplicates", Resolution::MergeDuplicates),
                ("resolution=ignore-duplicates", Resolution::IgnoreDuplicates),
            ],
        );
        let missing = first_of(&items, &[("missing=default", true), ("missing=null", false)]);
        let missing_default = missing == Some(true);
        let missing_null = missing == Some(false);
        let handling = first_of(
            &items,
            &[
                ("handling=strict", Handling::Strict),
                ("handling=lenient", Handling::Lenient),
            ],
        );
        let tx = first_of(
            &items,
            &[("tx=commit", TxPref::Commit), ("tx=rollback", TxPref::Rollback)],
        );

        let params_single_object = items.contains(&"params=single-object");

        let timezone_pref = items.iter().find_map(|item| item.strip_prefix("timezone="));
        let timezone_ok = timezone_pref.is_some_and(&is_timezone);
        let timezone = if timezone_ok {
            timezone_pref.map(str::to_owned)
        } else {
            None
        };

        // Only the first `max-affected=` counts; an unreadable value is ignored, not invalid.
        let max_affected = items
            .iter()
            .find_map(|item| item.strip_prefix("max-affected="))
            .and_then(read_integer)
            .map(|n| n.to_i64_wrapping());

        let invalid = items
            .iter()
            .filter(|item| {
                !KNOWN.contains(item)
                    && (!item.starts_with("timezone=") || !timezone_ok)
                    && !item.starts_with("max-affected=")
            })
            .map(|item| (*item).to_owned())
            .collect();

        Preferences {
            return_,
            count,
            resolution,
            missing_default,
            missing_null,
            handling,
            timezone,
            tx,
            max_affected,
            params_single_object,
            invalid,
        }
    }
}

/// The value of the first item that is one of `table`'s spellings (a later contradicting one is
/// ignored, as in PostgREST).
fn first_of<T: Copy>(items: &[&str], table: &[(&str, T)]) -> Option<T> {
    items
        .iter()
        .find_map(|item| table.iter().find(|(name, _)| name == item).map(|(_, v)| *v))
}

/// Every preference PostgREST accepts as written (besides `timezone=` and `max-affected=`).
const KNOWN: [&str; 15] = [
    "resolution=merge-duplicates",
    "resolution=ignore-duplicates",
    "return=representation",
    "return=minimal",
    "return=headers-only",
    "count=exact",
    "count=planned",
    "count=estimated",
    "tx=commit",
    "tx=rollback",
    "missing=default",
    "missing=null",
    "handling=strict",
    "handling=lenient",
    "params=single-object",
];
