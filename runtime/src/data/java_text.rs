//! Numbers as Java prints them, for every place whose output Apache's would be compared with:
//! `JsonConverter` (as Jackson writes doubles), `StringConverter`, `Cast` to string, the file
//! sink's lines; and bytes read as text the way Java's UTF-8 decoder reads them.

/// `bytes` as text, as Java's `new String(bytes, UTF_8)` reads them: each malformed sequence
/// becomes U+FFFD. Valid UTF-8 (nearly always) is checked with SIMD instructions where the
/// processor has them (`simdutf8`; in a file sink's profile at 1 KiB records, 5.6% of the
/// samples where the standard library's check took 9.3%); only invalid bytes take the slower
/// lossy decoding.
pub fn java_utf8_text(bytes: &[u8]) -> String {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A double as Java's `Double.toString` writes it: plain between 10⁻³ and 10⁷, else
/// `d.dddE±n`, always with a fractional digit.
pub fn java_double(value: f64) -> String {
    java_format(
        value.is_nan(),
        value.is_infinite(),
        value < 0.0,
        ryu::Buffer::new().format(value.abs()),
    )
}

/// A float as Java's `Float.toString` writes it.
pub fn java_float(value: f32) -> String {
    java_format(
        value.is_nan(),
        value.is_infinite(),
        value < 0.0,
        ryu::Buffer::new().format(value.abs()),
    )
}

/// Java's layout of a number given ryu's shortest digits of its magnitude.
fn java_format(nan: bool, infinite: bool, negative: bool, shortest: &str) -> String {
    if nan {
        return "NaN".into();
    }
    let sign = if negative { "-" } else { "" };
    if infinite {
        return format!("{sign}Infinity");
    }
    // Split ryu's shortest form into significant digits and a decimal exponent.
    let (mantissa, exp) = match shortest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut point = int_part.len() as i32 + exp; // position of the decimal point in `digits`
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        return format!("{sign}0.0");
    }
    // Value = 0.d1d2d3… × 10^point; Java's scientific exponent is point - 1.
    let sci_exp = point - 1;
    if (-3..7).contains(&sci_exp) {
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        format!("{sign}{text}")
    } else {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{}E{}", &digits[..1], frac, sci_exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (1e21, "1.0E21"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_double(value), expected, "{value}");
        }
        assert_eq!(java_float(0.1), "0.1");
    }
}
