//! Parameters sent as text of unknown type, so PostgreSQL infers each one's type as it does for literals.

use bytes::BytesMut;
use postgres_types::{Format, IsNull, ToSql, Type};

/// A parameter value in text format (`None` is NULL); it accepts whatever type the server inferred.
#[derive(Debug, Clone)]
pub struct TextParam<'a>(pub Option<&'a str>);

impl ToSql for TextParam<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Some(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    postgres_types::to_sql_checked!();
}

/// A result column read as its raw bytes: text, json (whose binary form is its text), varchar or bytea.
#[derive(Debug, Clone, Default)]
pub struct RawText(pub Vec<u8>);

impl<'a> postgres_types::FromSql<'a> for RawText {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawText(raw.to_vec()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::TEXT | Type::JSON | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::BYTEA
        )
    }
}
