//! Connect's Decimal as text: the unscaled big-endian two's-complement bytes a Decimal value
//! holds (Java's `BigInteger.toByteArray`), printed and parsed at the schema's scale, for the
//! converters that write decimals as numbers (`JsonConverter` with `decimal.format=NUMERIC`,
//! `JsonSchemaConverter`).

use num_bigint::{BigInt, Sign};

use super::DataError;

/// The plain decimal text (no exponent, as Java's `BigDecimal.toPlainString`) of the unscaled
/// two's-complement integer `unscaled` at `scale`.
pub fn decimal_text(unscaled: &[u8], scale: i32) -> String {
    let (sign, magnitude) = BigInt::from_signed_bytes_be(unscaled).into_parts();
    let mut digits = magnitude.to_string();
    let text = if scale > 0 {
        let scale = scale as usize;
        if digits.len() <= scale {
            digits = format!("{}{digits}", "0".repeat(scale - digits.len() + 1));
        }
        let split = digits.len() - scale;
        format!("{}.{}", &digits[..split], &digits[split..])
    } else {
        format!("{digits}{}", "0".repeat(scale.unsigned_abs() as usize))
    };
    if sign == Sign::Minus {
        format!("-{text}")
    } else {
        text
    }
}

/// Java's `BigDecimal.toString()` of the unscaled two's-complement integer `unscaled` at
/// `scale`: plain while the scale is not negative and the exponent of its first digit at least
/// -6 (`12.30`, `0.0000012`), else in scientific notation (`1.23E+5`, `1.2E-7`).
pub(super) fn java_decimal_text(unscaled: &[u8], scale: i32) -> String {
    let (sign, magnitude) = BigInt::from_signed_bytes_be(unscaled).into_parts();
    let digits = magnitude.to_string();
    let exponent = digits.len() as i64 - 1 - i64::from(scale);
    if scale >= 0 && exponent >= -6 {
        return decimal_text(unscaled, scale);
    }
    let sign = if sign == Sign::Minus { "-" } else { "" };
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    let exponent_sign = if exponent > 0 { "+" } else { "" };
    format!("{sign}{first}{point}{rest}E{exponent_sign}{exponent}")
}

/// The unscaled two's-complement bytes (minimal, as Java's) of decimal `text` (plain or with
/// an exponent) at `scale`; digits beyond the scale are dropped.
pub fn decimal_from_text(text: &str, scale: i32) -> Result<Vec<u8>, DataError> {
    let bad = || DataError::new(format!("Invalid decimal value {text}"));
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| bad())?),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{int_part}{frac_part}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // The number is digits × 10^(exp - frac_len); rescale to `scale`.
    let shift = scale + exp - frac_part.len() as i32;
    if shift >= 0 {
        digits.push_str(&"0".repeat(shift as usize));
    } else {
        let drop = shift.unsigned_abs() as usize;
        if digits.len() <= drop {
            digits = "0".into();
        } else {
            digits.truncate(digits.len() - drop);
        }
    }
    let magnitude = BigInt::parse_bytes(digits.as_bytes(), 10).ok_or_else(bad)?;
    let unscaled = if negative { -magnitude } else { magnitude };
    Ok(unscaled.to_signed_bytes_be())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_bytes_both_ways() {
        for (text, bytes) in [
            ("123.45", vec![0x30, 0x39]),
            ("-1.00", vec![0x9c]),
            ("-1.28", vec![0x80]),
            ("1.28", vec![0x00, 0x80]),
            ("0.05", vec![0x05]),
            ("-0.01", vec![0xff]),
            ("0.00", vec![0x00]),
        ] {
            assert_eq!(decimal_from_text(text, 2).unwrap(), bytes, "{text}");
            assert_eq!(decimal_text(&bytes, 2), text);
        }
        assert_eq!(decimal_text(&[0x01], -2), "100");
        assert_eq!(decimal_from_text("1.5E2", 0).unwrap(), vec![0x00, 0x96]);
        assert_eq!(decimal_from_text("-0", 2).unwrap(), vec![0x00], "no negative zero");
        assert!(decimal_from_text("1.2.3", 2).is_err());
        assert!(decimal_from_text("", 2).is_err());
    }

    /// As `new BigDecimal(new BigInteger(unscaled), scale).toString()` gives them.
    #[test]
    fn java_text_as_big_decimal_prints_it() {
        let text = |unscaled: i64, scale: i32| java_decimal_text(&BigInt::from(unscaled).to_signed_bytes_be(), scale);
        assert_eq!(text(1230, 2), "12.30");
        assert_eq!(text(-5, 2), "-0.05");
        assert_eq!(text(12, 7), "0.0000012");
        assert_eq!(text(12, 8), "1.2E-7");
        assert_eq!(text(-1, 10), "-1E-10");
        assert_eq!(text(123, -2), "1.23E+4");
        assert_eq!(text(0, -3), "0E+3");
        assert_eq!(text(0, 0), "0");
        assert_eq!(text(42, 0), "42");
    }
}
