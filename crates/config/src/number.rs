//! Exact reading of numbers written in config files or env vars (`10`, `1e3`, `10.0`), without floating point.

/// Why a number is not an acceptable integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotInteger {
    /// Not a number at all, or has a fractional part.
    Fraction,
    /// An integer too large for any setting.
    TooLarge,
}

/// Reads `[+-]digits[.digits][(e|E)[+-]digits]` exactly; `10.0` and `1e3` are integers, as in PostgREST.
pub fn integer(text: &str) -> Result<i128, NotInteger> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or("")),
        Some(b'+') => (false, text.get(1..).unwrap_or("")),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (
            unsigned.get(..i).unwrap_or(""),
            Some(unsigned.get(i + 1..).unwrap_or("")),
        ),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (mantissa.contains('.') && fraction.is_empty())
    {
        return Err(NotInteger::Fraction);
    }
    let mut exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return Err(NotInteger::Fraction);
            }
            // Saturate: anything beyond a few hundred digits is out of range either way.
            let magnitude: i64 = digits.parse().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
            if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    let mut digits: String = format!("{whole}{fraction}").trim_start_matches('0').to_owned();
    exp -= i64::try_from(fraction.len()).unwrap_or(i64::MAX / 4);
    while digits.ends_with('0') {
        digits.pop();
        exp += 1;
    }
    if digits.is_empty() {
        return Ok(0);
    }
    if exp < 0 {
        return Err(NotInteger::Fraction);
    }
    // i128 has at most 39 digits; checked arithmetic below catches the rest.
    if i64::try_from(digits.len()).unwrap_or(i64::MAX / 4) + exp > 39 {
        return Err(NotInteger::TooLarge);
    }
    let mut n: i128 = digits.parse().map_err(|_| NotInteger::TooLarge)?;
    for _ in 0..exp {
        n = n.checked_mul(10).ok_or(NotInteger::TooLarge)?;
    }
    Ok(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::{integer, NotInteger};

    #[track_caller]
    fn check(text: &str, expect: Result<i128, NotInteger>) {
        assert_eq!(integer(text), expect, "{text}");
    }

    #[test]
    fn reads_integers_exactly() {
        check("0", Ok(0));
        check("-0", Ok(0));
        check("+7", Ok(7));
        check("-12", Ok(-12));
        check("007", Ok(7));
        check("10.0", Ok(10));
        check("1e3", Ok(1000));
        check("1.5e1", Ok(15));
        check("1500e-2", Ok(15));
        check("0.000e99999999999999999999", Ok(0));
        check("170141183460469231731687303715884105727", Ok(i128::MAX));
        check("1.5", Err(NotInteger::Fraction));
        check("1e-1", Err(NotInteger::Fraction));
        check("", Err(NotInteger::Fraction));
        check("-", Err(NotInteger::Fraction));
        check("1.", Err(NotInteger::Fraction));
        check(".5", Err(NotInteger::Fraction));
        check("1e", Err(NotInteger::Fraction));
        check("1e+", Err(NotInteger::Fraction));
        check("abc", Err(NotInteger::Fraction));
        check("1 2", Err(NotInteger::Fraction));
        check("١٢", Err(NotInteger::Fraction));
        check(
            "170141183460469231731687303715884105728",
            Err(NotInteger::TooLarge),
        );
        check("1e39", Err(NotInteger::TooLarge));
        check("2e38", Err(NotInteger::TooLarge));
        check("1e99999999999999999999999", Err(NotInteger::TooLarge));
        check("1e-99999999999999999999999", Err(NotInteger::Fraction));
    }
}
