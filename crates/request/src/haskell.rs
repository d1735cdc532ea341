//! Haskell's `show` and `read` as PostgREST's error texts and number parsing use them.
//!
//! PostgREST is written in Haskell: parse errors quote characters with `show` (`"x"`, `'x'`, `"\233"`),
//! and `limit`, `offset` and `max-affected` are read with `readMaybe`, which accepts more than plain
//! digits (spaces, parentheses, a detached minus sign, hexadecimal and octal literals).

/// Names of the ASCII control characters as Haskell's `showLitChar` writes them.
const ASCII_NAMES: [&str; 32] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r", "SO", "SI", "DLE",
    "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
];

/// What `showLitChar` appends for one character, and whether it ended in a numeric escape (so that a
/// following digit needs `\&`).
fn lit_char(out: &mut String, c: char) -> Escape {
    let code = c as u32;
    if code > 0x7f {
        out.push('\\');
        out.push_str(&code.to_string());
        Escape::Numeric
    } else if code == 0x7f {
        out.push_str("\\DEL");
        Escape::None
    } else if c == '\\' {
        out.push_str("\\\\");
        Escape::None
    } else if c >= ' ' {
        out.push(c);
        Escape::None
    } else {
        out.push('\\');
        // The table only has 32 entries and `code < 0x20` here.
        out.push_str(ASCII_NAMES.get(code as usize).copied().unwrap_or("NUL"));
        if code == 0x0e {
            Escape::ShiftOut
        } else {
            Escape::None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Numeric,
    ShiftOut,
}

/// Haskell's `show` for a `String`: `"a\"b"`, non-ASCII as decimal escapes (`"\233"`).
pub(crate) fn show_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut pending = Escape::None;
    for c in s.chars() {
        match pending {
            Escape::Numeric if c.is_ascii_digit() => out.push_str("\\&"),
            Escape::ShiftOut if c == 'H' => out.push_str("\\&"),
            _ => {}
        }
        pending = if c == '"' {
            out.push_str("\\\"");
            Escape::None
        } else {
            lit_char(&mut out, c)
        };
    }
    out.push('"');
    out
}

/// Haskell's `show` for a `Char`: `'a'`, `'\''`, `'"'`, `'\233'`.
pub(crate) fn show_char(c: char) -> String {
    let mut out = String::from("'");
    if c == '\'' {
        out.push_str("\\'");
    } else {
        lit_char(&mut out, c);
    }
    out.push('\'');
    out
}

/// An integer read the way `readMaybe :: Maybe Integer` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HsInteger {
    /// The value, saturated at the bounds of `i128`.
    saturated: i128,
    /// The value modulo 2^128 (exact low bits, for `Int64`'s wrap-around).
    wrapped: u128,
}

impl HsInteger {
    /// The value as `Integer` would hold it, saturated to `i64`.
    pub(crate) fn to_i64_saturating(self) -> i64 {
        i64::try_from(self.saturated).unwrap_or(if self.saturated < 0 { i64::MIN } else { i64::MAX })
    }

    /// The value as `read :: Int64` gives it: `fromInteger`, which wraps around.
    pub(crate) fn to_i64_wrapping(self) -> i64 {
        self.wrapped as u64 as i64
    }
}

/// `readMaybe` for `Integer`: surrounding white space, any number of enclosing parentheses, a minus
/// sign (possibly followed by spaces), and a decimal, `0x` hexadecimal or `0o` octal literal. No `+`,
/// no fractions, no exponents.
pub(crate) fn read_integer(s: &str) -> Option<HsInteger> {
    let mut rest = s.trim();
    // Peel balanced parentheses: `(5)`, `( (-5) )`.
    while let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        rest = inner.trim();
    }
    let (negative, digits) = match rest.strip_prefix('-') {
        Some(after) => (true, after.trim_start()),
        None => (false, rest),
    };
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, oct)
    } else {
        (10, digits)
    };
    if body.is_empty() {
        return None;
    }
    let mut saturated: i128 = 0;
    let mut wrapped: u128 = 0;
    for c in body.chars() {
        let d = c.to_digit(radix)?;
        // Only ASCII digits count (`to_digit` accepts exactly those for these radixes).
        wrapped = wrapped
            .wrapping_mul(u128::from(radix))
            .wrapping_add(u128::from(d));
        saturated = saturated
            .saturating_mul(i128::from(radix))
            .saturating_add(i128::from(d));
    }
    if negative {
        saturated = saturated.saturating_neg();
        wrapped = wrapped.wrapping_neg();
    }
    Some(HsInteger { saturated, wrapped })
}

/// `reads :: ReadS Double` as a prefix parser, the way WAI reads a `q=` value: the longest leading
/// number, or `None` when the text does not start with one.
pub(crate) fn reads_double_prefix(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == int_start {
        return None;
    }
    let mut end = i;
    // A fraction needs digits after the dot (`1.` reads as `1` followed by `.`).
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        end = i;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exp_start {
            end = j;
        }
    }
    s.get(..end).and_then(|t| t.parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_matches_haskell() {
        let cases = [
            ("c", "\"c\""),
            ("\"", "\"\\\"\""),
            ("\\", "\"\\\\\""),
            ("é", "\"\\233\""),
            ("é1", "\"\\233\\&1\""),
            ("\u{e}H", "\"\\SO\\&H\""),
            ("\n\t\u{7f}\u{0}", "\"\\n\\t\\DEL\\NUL\""),
            ("", "\"\""),
            ("->>", "\"->>\""),
        ];
        for (input, expected) in cases {
            assert_eq!(show_string(input), expected, "show {input:?}");
        }
        assert_eq!(show_char('x'), "'x'");
        assert_eq!(show_char('\''), "'\\''");
        assert_eq!(show_char('"'), "'\"'");
        assert_eq!(show_char('é'), "'\\233'");
    }

    #[test]
    fn read_integer_like_ghc() {
        let ok = [
            ("5", 5),
            (" 5 ", 5),
            ("-5", -5),
            ("- 5", -5),
            ("(5)", 5),
            ("((-5))", -5),
            ("( 7 )", 7),
            ("0x1F", 31),
            ("0o17", 15),
            ("007", 7),
        ];
        for (input, expected) in ok {
            assert_eq!(
                read_integer(input).map(HsInteger::to_i64_saturating),
                Some(expected),
                "{input:?}"
            );
        }
        for bad in [
            "", "+5", "5a", "1.5", "1e3", "--5", "-(5)", "0x", "abc", "(5", "٣",
        ] {
            assert_eq!(read_integer(bad), None, "{bad:?}");
        }
        let huge = read_integer("99999999999999999999999999999999999999999999");
        assert_eq!(huge.map(HsInteger::to_i64_saturating), Some(i64::MAX));
        // Int64 wraps: 2^64 + 5 reads as 5.
        assert_eq!(
            read_integer("18446744073709551621").map(HsInteger::to_i64_wrapping),
            Some(5)
        );
        assert_eq!(read_integer("-1").map(HsInteger::to_i64_wrapping), Some(-1));
    }

    #[test]
    fn reads_double_prefix_like_haskell() {
        assert_eq!(reads_double_prefix("0.5"), Some(0.5));
        assert_eq!(reads_double_prefix("1"), Some(1.0));
        assert_eq!(reads_double_prefix("0.5abc"), Some(0.5));
        assert_eq!(reads_double_prefix("1e-3"), Some(0.001));
        assert_eq!(reads_double_prefix("1."), Some(1.0));
        assert_eq!(reads_double_prefix(".5"), None);
        assert_eq!(reads_double_prefix(""), None);
        assert_eq!(reads_double_prefix("-0.1"), Some(-0.1));
    }
}
