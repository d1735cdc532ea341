//! Authentication errors, one variant per PostgREST PGRST30x message.

/// The message (`Display`) is PostgREST's; `details()` gives the `details` field where PostgREST has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// PGRST300, 500: a token was sent but no `jwt-secret` is configured.
    #[error("Server lacks JWT secret")]
    SecretMissing,
    /// PGRST301
    #[error("Empty JWT is sent in Authorization header")]
    EmptyAuthHeader,
    /// PGRST301
    #[error("Expected 3 parts in JWT; got {0}")]
    UnexpectedParts(usize),
    /// PGRST301: no key of the configured set fits the token (`details` says why).
    #[error("No suitable key or wrong key type")]
    KeyError(String),
    /// PGRST301: `alg: none`, an unknown algorithm, or one the keys cannot verify (`details` says which).
    #[error("Wrong or unsupported encoding algorithm")]
    BadAlgorithm(String),
    /// PGRST301: malformed base64/JSON or a signature that does not verify.
    #[error("JWT cryptographic operation failed")]
    BadCrypto,
    /// PGRST301: a JWE or other non-JWS token.
    #[error("Unsupported token type")]
    UnsupportedTokenType,
    /// PGRST302, 401: no token and no `db-anon-role`.
    #[error("Anonymous access is disabled")]
    TokenRequired,
    /// PGRST303
    #[error("JWT expired")]
    Expired,
    /// PGRST303
    #[error("JWT not yet valid")]
    NotYetValid,
    /// PGRST303
    #[error("JWT issued at future")]
    IssuedAtFuture,
    /// PGRST303
    #[error("JWT not in audience")]
    NotInAudience,
    /// PGRST303: the payload is not a JSON object.
    #[error("Parsing claims failed")]
    ParsingClaimsFailed,
    /// PGRST303
    #[error("The JWT 'exp' claim must be a number")]
    ExpNotNumber,
    /// PGRST303
    #[error("The JWT 'nbf' claim must be a number")]
    NbfNotNumber,
    /// PGRST303
    #[error("The JWT 'iat' claim must be a number")]
    IatNotNumber,
    /// PGRST303
    #[error("The JWT 'aud' claim must be a string or an array of strings")]
    AudNotStringOrArray,
}

impl JwtError {
    /// PostgREST's error code.
    pub fn code(&self) -> &'static str {
        match self {
            JwtError::SecretMissing => "PGRST300",
            JwtError::TokenRequired => "PGRST302",
            JwtError::EmptyAuthHeader
            | JwtError::UnexpectedParts(_)
            | JwtError::KeyError(_)
            | JwtError::BadAlgorithm(_)
            | JwtError::BadCrypto
            | JwtError::UnsupportedTokenType => "PGRST301",
            _ => "PGRST303",
        }
    }

    /// The `details` field, for the two errors PostgREST gives details for.
    pub fn details(&self) -> Option<&str> {
        match self {
            JwtError::KeyError(d) | JwtError::BadAlgorithm(d) => Some(d),
            _ => None,
        }
    }
}
