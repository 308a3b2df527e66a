//! A header's text read back into a typed value as Apache's `Values.parseString` reads it, the
//! reading half of `SimpleHeaderConverter` ([`super::write_values_text`] is the writing half):
//! `true`/`false`, integers as the narrowest of INT8 to INT64, other numbers as FLOAT32 or
//! FLOAT64 (a `Decimal` past them), ISO-8601 dates, times and timestamps (`yyyy-MM-dd`,
//! `HH:mm:ss.SSS'Z'`, both joined by `T`; read leniently, in UTC), `[...]` lists and `{...}`
//! maps of those with a common schema where their items have one, `null`, and anything else
//! the whole text as a string. Every schema it gives is required, as Apache's are.
//!
//! Its shape follows Apache's: a tokenizer splitting at `:`, `,`, `{`, `}`, `[`, `]` and `"`
//! (a backslash escapes the next one), and a recursive reader that falls back to text when a
//! list or map does not read; even Apache's quirks are kept (a number is read from the first
//! token of the text: `12,5` reads as 12; a quoted string keeps its backslashes).

use std::sync::Arc;

use super::java_calendar::lenient_epoch_millis;
use super::java_text::java_trim;
use super::{decimal_from_text, logical, Schema, SchemaBuilder, SchemaRef, SchemaType, Value};

/// A value read with its schema; `None` for `null`.
type Parsed = Option<(Arc<Schema>, Value)>;

/// Why a list or map did not read: the reader falls back to text.
#[derive(Debug)]
struct NotStructured;

/// `text` as Apache's `Values.parseString` reads it: `None` for `null`.
pub fn parse_values_text(text: String) -> Option<(SchemaRef, Value)> {
    // Most headers are plain text (an empty one too): one token that is no literal, time or
    // number is the whole text, kept as it is without the tokenizer's look-aheads.
    let trimmed = java_trim(&text);
    let plain = !text.bytes().any(|b| DELIMITERS.contains(&b))
        && !trimmed.starts_with(|c: char| java_digit(c).is_some() || c == '+' || c == '-')
        && !["null", "true", "false"].contains(&trimmed);
    if plain {
        return Some((SchemaRef::string(), Value::String(text)));
    }
    let mut reader = Reader {
        tokens: Tokens::new(&text),
    };
    // Only a list or map that does not read fails, and that is read as text at the top.
    let (schema, value) = reader.parse(false).ok().flatten()?;
    Some((schema.into(), value))
}

/// The characters that end a token (and are tokens of their own) unless escaped.
const DELIMITERS: [u8; 7] = [b':', b',', b'{', b'}', b'[', b']', b'"'];

/// Apache's `Values.Parser`: the text's tokens, with one looked at ahead.
struct Tokens<'a> {
    original: &'a str,
    /// Where the next token not yet looked at begins (a byte offset).
    index: usize,
    /// The token looked at ahead and not consumed.
    ahead: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    fn new(original: &'a str) -> Self {
        Tokens {
            original,
            index: 0,
            ahead: None,
        }
    }

    /// Where the next token begins, the one looked at ahead included.
    fn mark(&self) -> usize {
        self.index - self.ahead.map_or(0, str::len)
    }

    fn rewind_to(&mut self, position: usize) {
        self.index = position;
        self.ahead = None;
    }

    fn has_next(&self) -> bool {
        self.ahead.is_some() || self.index < self.original.len()
    }

    fn next(&mut self) -> &'a str {
        match self.ahead.take() {
            Some(token) => token,
            None => self.consume(),
        }
    }

    /// The text of the next `n` tokens, or `None` (and nothing consumed) when fewer remain.
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(&self.original[start..self.index])
    }

    /// The next token: a delimiter alone, or the text up to the next unescaped delimiter.
    fn consume(&mut self) -> &'a str {
        let bytes = self.original.as_bytes();
        let start = self.index;
        let mut escaped = false;
        while self.index < bytes.len() {
            match bytes[self.index] {
                b'\\' => escaped = !escaped,
                delimiter if DELIMITERS.contains(&delimiter) && !escaped => {
                    if start < self.index {
                        return &self.original[start..self.index];
                    }
                    self.index += 1;
                    return &self.original[start..self.index];
                }
                _ => escaped = false,
            }
            self.index += 1;
        }
        &self.original[start..]
    }

    /// Consumes the next token if it is `expected` (around blanks; blank tokens skipped).
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.is_next(expected) {
            self.ahead = None;
            return true;
        }
        false
    }

    fn is_next(&mut self, expected: &str) -> bool {
        let mut token = match self.ahead {
            Some(token) => token,
            None if self.has_next() => self.consume(),
            None => return false,
        };
        while is_blank(token) && self.index < self.original.len() {
            token = self.consume();
        }
        self.ahead = Some(token);
        java_trim(token) == expected
    }
}

fn is_blank(text: &str) -> bool {
    java_trim(text).is_empty()
}

/// Apache's `Values.ValueParser`.
struct Reader<'a> {
    tokens: Tokens<'a>,
}

impl Reader<'_> {
    /// The next value; `embedded` inside a list or map, where text must be quoted.
    fn parse(&mut self, embedded: bool) -> Result<Parsed, NotStructured> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        for (literal, value) in [("true", true), ("false", false)] {
            if self.single_token_literal(embedded, literal) {
                return Ok(Some((Schema::of(SchemaType::Boolean), Value::Boolean(value))));
            }
        }
        let start = self.tokens.mark();
        let structured = if self.tokens.can_consume("[") {
            Some(self.parse_list())
        } else if self.tokens.can_consume("{") {
            Some(self.parse_map())
        } else {
            None
        };
        match structured {
            Some(Ok(parsed)) => return Ok(Some(parsed)),
            Some(Err(NotStructured)) => self.tokens.rewind_to(start),
            None => {}
        }
        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some((Schema::string(), Value::String(token.to_string()))));
        }
        self.parse_token(embedded, java_trim(token)).map(Some)
    }

    /// Whether the next token is `literal` and, at the top, the last one.
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    /// A token that is not a delimiter: a time, a number, or (at the top) the whole text.
    fn parse_token(&mut self, embedded: bool, token: &str) -> Result<(Arc<Schema>, Value), NotStructured> {
        let first = token.chars().next().unwrap_or(' ');
        let first_is_digit = java_digit(first).is_some();
        if first_is_digit {
            if let Some(temporal) = self.parse_temporal_tokens(token) {
                return Ok(temporal);
            }
        }
        if first_is_digit || first == '+' || first == '-' {
            if let Some(number) = parse_number(token) {
                return Ok(number);
            }
        }
        if embedded {
            return Err(NotStructured);
        }
        Ok((Schema::string(), Value::String(self.tokens.original.to_string())))
    }

    /// A time or timestamp split by its colons into five tokens, else `token` as a date.
    fn parse_temporal_tokens(&mut self, token: &str) -> Option<(Arc<Schema>, Value)> {
        let position = self.tokens.mark();
        if let Some(rest) = self.tokens.next_n(4) {
            if let Some(temporal) = parse_temporal(&format!("{token}{rest}")) {
                return Some(temporal);
            }
        }
        self.tokens.rewind_to(position);
        parse_temporal(token)
    }

    /// The tokens up to the closing quote, joined (a time if it reads as one).
    fn parse_quoted(&mut self) -> (Arc<Schema>, Value) {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        parse_temporal(&content).unwrap_or_else(|| (Schema::string(), Value::String(content)))
    }

    /// A list after its `[`: its items' common schema (numbers widened to it), else none.
    fn parse_list(&mut self) -> Result<(Arc<Schema>, Value), NotStructured> {
        let mut items: Vec<Item> = Vec::new();
        let mut common = CommonSchema::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return Ok(match common.schema() {
                    Some(schema) => {
                        let items = items
                            .into_iter()
                            .map(|item| align(&schema, item))
                            .collect::<Result<_, _>>()?;
                        (SchemaBuilder::array(schema).build(), Value::Array(items))
                    }
                    None => (
                        SchemaBuilder::new(SchemaType::Array).build(),
                        Value::Array(items.into_iter().map(|(_, value)| value).collect()),
                    ),
                });
            }
            if self.tokens.can_consume(",") {
                return Err(NotStructured);
            }
            let item = item(self.parse(true)?);
            common.merge(item.0.as_ref());
            items.push(item);
            let position = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(position);
            } else if !self.tokens.can_consume(",") {
                return Err(NotStructured);
            }
        }
        Err(NotStructured)
    }

    /// A map after its `{`: its keys' and values' common schemas, else none.
    fn parse_map(&mut self) -> Result<(Arc<Schema>, Value), NotStructured> {
        let mut entries: Vec<(Item, Item)> = Vec::new();
        let mut keys = CommonSchema::new();
        let mut values = CommonSchema::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                let key_schema = keys.schema();
                let value_schema = values.schema();
                let entries = entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key = match &key_schema {
                            Some(schema) => align(schema, key)?,
                            None => key.1,
                        };
                        let value = match (&key_schema, &value_schema) {
                            (Some(_), Some(schema)) => align(schema, value)?,
                            _ => value.1,
                        };
                        Ok((key, value))
                    })
                    .collect::<Result<_, _>>()?;
                // Apache's map of null values (keys only) or map of nulls (neither).
                let mut schema = (*SchemaBuilder::new(SchemaType::Map).build()).clone();
                if key_schema.is_some() {
                    schema.value_schema = value_schema;
                    schema.key_schema = key_schema;
                }
                return Ok((Arc::new(schema), Value::Map(entries)));
            }
            if self.tokens.can_consume(",") {
                return Err(NotStructured);
            }
            let key = item(self.parse(true)?);
            if key.1 == Value::Null || !self.tokens.can_consume(":") {
                return Err(NotStructured);
            }
            let value = item(self.parse(true)?);
            self.tokens.can_consume(",");
            keys.merge(key.0.as_ref());
            values.merge(value.0.as_ref());
            // A repeated key keeps its place and takes the last value, as a LinkedHashMap does.
            match entries.iter_mut().find(|(seen, _)| seen.1 == key.1) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        Err(NotStructured)
    }
}

/// An item of a list or map with the schema it was read with (none for a null).
type Item = (Option<Arc<Schema>>, Value);

fn item(parsed: Parsed) -> Item {
    parsed.map_or((None, Value::Null), |(schema, value)| (Some(schema), value))
}

/// Apache's `SchemaMerger`: the schema the items seen so far share (numbers widen to the
/// widest), none once two do not share one.
struct CommonSchema {
    common: Option<Arc<Schema>>,
    compatible: bool,
}

impl CommonSchema {
    fn new() -> Self {
        CommonSchema {
            common: None,
            compatible: true,
        }
    }

    /// Takes in the schema of one more item (`None` for a null, which fits any).
    fn merge(&mut self, latest: Option<&Arc<Schema>>) {
        let Some(latest) = latest.filter(|_| self.compatible) else {
            return;
        };
        self.common = match self.common.take() {
            None => Some(latest.clone()),
            Some(previous) => merge_schemas(previous, latest.clone()),
        };
        self.compatible = self.common.is_some();
    }

    fn schema(&self) -> Option<Arc<Schema>> {
        self.common.clone()
    }
}

/// The schema two items share: the same type's (the later one's, as Apache keeps it), or the
/// wider of two numbers; `None` otherwise.
fn merge_schemas(previous: Arc<Schema>, latest: Arc<Schema>) -> Option<Arc<Schema>> {
    use SchemaType::{Float32, Float64, Int16, Int32, Int64, Int8};
    let rank = |schema_type| {
        [Int8, Int16, Int32, Int64, Float32, Float64]
            .iter()
            .position(|t| *t == schema_type)
    };
    if previous.schema_type == latest.schema_type {
        return Some(latest);
    }
    match (rank(previous.schema_type), rank(latest.schema_type)) {
        (Some(old), Some(new)) if new > old => Some(latest),
        (Some(_), Some(_)) => Some(previous),
        _ => None,
    }
}

/// An item converted to `schema`, the common schema of its list or map, as Apache's
/// `Values.convertTo` converts it given no schema for it: numbers to the wider type, a date
/// to a timestamp at its midnight (an item of another logical type keeps its value); a null
/// does not fit the required schema.
fn align(schema: &Schema, (from, value): Item) -> Result<Value, NotStructured> {
    let integer = match value {
        Value::Int8(n) => Some(i64::from(n)),
        Value::Int16(n) => Some(i64::from(n)),
        Value::Int32(n) => Some(i64::from(n)),
        Value::Int64(n) => Some(n),
        _ => None,
    };
    let from_date = from.and_then(|from| from.name.clone()).as_deref() == Some(logical::DATE);
    Ok(match (schema.schema_type, integer, value) {
        (_, _, Value::Null) => return Err(NotStructured),
        (SchemaType::Int64, _, Value::Int32(days)) if from_date => Value::Int64(i64::from(days) * 86_400_000),
        (SchemaType::Int16, Some(n), _) => Value::Int16(n as i16),
        (SchemaType::Int32, Some(n), _) => Value::Int32(n as i32),
        (SchemaType::Int64, Some(n), _) => Value::Int64(n),
        (SchemaType::Float32, Some(n), _) => Value::Float32(n as f32),
        (SchemaType::Float64, Some(n), _) => Value::Float64(n as f64),
        (SchemaType::Float64, None, Value::Float32(n)) => Value::Float64(f64::from(n)),
        (_, _, value) => value,
    })
}

/// A number as Apache reads one (`new BigDecimal(token)`): an integer as the narrowest of
/// INT8 to INT64, anything else as FLOAT32, else FLOAT64, else a `Decimal` of its own scale;
/// `None` for what is not a Java decimal's text.
fn parse_number(token: &str) -> Option<(Arc<Schema>, Value)> {
    let rewritten = ascii_digits(token);
    let token = rewritten.as_deref().unwrap_or(token);
    let body = token.strip_prefix(['+', '-']).unwrap_or(token);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (mantissa, exponent.parse::<i64>().ok()?)
        }
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = i64::try_from(fraction.len()).ok()? - exponent;
    let negative = token.starts_with('-');
    if let Some(integral) = exact_integer(&digits, scale, negative) {
        return Some(match integral {
            n if i8::try_from(n).is_ok() => (Schema::of(SchemaType::Int8), Value::Int8(n as i8)),
            n if i16::try_from(n).is_ok() => (Schema::of(SchemaType::Int16), Value::Int16(n as i16)),
            n if i32::try_from(n).is_ok() => (Schema::of(SchemaType::Int32), Value::Int32(n as i32)),
            n => (Schema::of(SchemaType::Int64), Value::Int64(n)),
        });
    }
    // A whole number past a long's range is a float too, unless written without a point or
    // an exponent.
    if scale != 0 {
        if let Some(float) = token.parse::<f32>().ok().filter(|f| f.is_finite()) {
            return Some((Schema::of(SchemaType::Float32), Value::Float32(float)));
        }
        if let Some(double) = token.parse::<f64>().ok().filter(|f| f.is_finite()) {
            return Some((Schema::of(SchemaType::Float64), Value::Float64(double)));
        }
    }
    let scale = i32::try_from(scale).ok()?;
    let unscaled = decimal_from_text(token, scale).ok()?;
    Some((SchemaBuilder::decimal(scale).build(), Value::bytes(unscaled)))
}

/// Where each run of ten decimal digits begins (its zero) in the Basic Multilingual Plane: the
/// characters Java 17's `Character.isDigit(char)` takes (Unicode 13's category Nd), which
/// `Values` checks a token's first character with, and `BigDecimal` and `SimpleDateFormat` read
/// as the digits they are (`٤٢` is 42). A digit beyond the plane is two `char`s to Java, neither
/// of them a digit.
const DIGIT_ZEROS: [u32; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6,
    0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

/// The value of `c` as a decimal digit, as Java's `Character.digit(c, 10)` gives it for a
/// `char` that `Character.isDigit` takes.
fn java_digit(c: char) -> Option<u32> {
    let code = u32::from(c);
    let run = DIGIT_ZEROS.partition_point(|&zero| zero <= code).checked_sub(1)?;
    let value = code - DIGIT_ZEROS[run];
    (value < 10).then_some(value)
}

/// `text` with every decimal digit Java reads as one written as its ASCII digit; `None` when
/// it is ASCII already.
fn ascii_digits(text: &str) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    let rewritten = text
        .chars()
        .map(|c| match java_digit(c) {
            Some(value) => char::from(b'0' + value as u8),
            None => c,
        })
        .collect();
    Some(rewritten)
}

/// The value of `digits` × 10^-`scale` when it is a whole number a `long` holds.
fn exact_integer(digits: &str, scale: i64, negative: bool) -> Option<i64> {
    let whole = if scale <= 0 {
        let zeros = usize::try_from(-scale).ok()?;
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Some(0);
        }
        if significant.len() + zeros > 19 {
            return None;
        }
        format!("{significant}{}", "0".repeat(zeros))
    } else {
        let cut = digits.len().saturating_sub(scale as usize);
        if !digits[cut..].bytes().all(|b| b == b'0') {
            return None;
        }
        let significant = digits[..cut].trim_start_matches('0');
        if significant.len() > 19 {
            return None;
        }
        format!("0{significant}")
    };
    let magnitude: i128 = whole.parse().ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// The ISO-8601 patterns Apache reads, a letter for each number (`y` year, `M` month, `d` day,
/// `H` hour, `m` minute, `s` second, `S` millisecond), any other character standing for
/// itself.
const DATE: &[u8] = b"y-M-d";
const TIME: &[u8] = b"H:m:s.SZ";
const TIMESTAMP: &[u8] = b"y-M-dTH:m:s.SZ";

/// `token` as a date (10 characters), time (13) or timestamp (24), read as Java's lenient
/// `SimpleDateFormat` reads `yyyy-MM-dd`, `HH:mm:ss.SSS'Z'` and `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`
/// in UTC: each number as many digits as follow (spaces before it skipped; any of Java's
/// decimal digits), out-of-range fields rolled over (month 13 is next January), text after the
/// pattern ignored, and dates before 1582-10-15 in the Julian calendar, as Java's are.
fn parse_temporal(token: &str) -> Option<(Arc<Schema>, Value)> {
    let token = token.replace("\\:", ":");
    let token = ascii_digits(&token).unwrap_or(token);
    let (pattern, schema) = match token.encode_utf16().count() {
        13 => (TIME, SchemaBuilder::time()),
        24 => (TIMESTAMP, SchemaBuilder::timestamp()),
        10 => (DATE, SchemaBuilder::date()),
        _ => return None,
    };
    let bytes = token.as_bytes();
    let mut at = 0;
    let mut fields = [1970_i64, 1, 1, 0, 0, 0, 0];
    for part in pattern {
        let Some(field) = b"yMdHmsS".iter().position(|letter| letter == part) else {
            if bytes.get(at) != Some(part) {
                return None;
            }
            at += 1;
            continue;
        };
        while matches!(bytes.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        fields[field] = token.get(start..at).filter(|d| !d.is_empty())?.parse().ok()?;
    }
    let millis = lenient_epoch_millis(fields)?;
    let value = match pattern.len() {
        5 => Value::Int32(i32::try_from(millis.div_euclid(86_400_000)).ok()?),
        8 => Value::Int32(i32::try_from(millis).ok()?),
        _ => Value::Int64(millis),
    };
    Some((schema.build(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (SchemaType, Option<String>, Value) {
        let (schema, value) = parse_values_text(text.into()).expect("a value");
        (schema.schema_type, schema.name.clone(), value)
    }

    #[test]
    fn scalars_take_the_narrowest_type() {
        assert_eq!(parsed("42"), (SchemaType::Int8, None, Value::Int8(42)));
        assert_eq!(parsed("-129"), (SchemaType::Int16, None, Value::Int16(-129)));
        assert_eq!(parsed("1e3"), (SchemaType::Int16, None, Value::Int16(1000)));
        assert_eq!(parsed("1.0"), (SchemaType::Int8, None, Value::Int8(1)));
        assert_eq!(parsed("1.5"), (SchemaType::Float32, None, Value::Float32(1.5)));
        assert_eq!(parsed("1.5e300"), (SchemaType::Float64, None, Value::Float64(1.5e300)));
        assert_eq!(parsed("true"), (SchemaType::Boolean, None, Value::Boolean(true)));
        assert_eq!(
            parsed("true}"),
            (SchemaType::String, None, Value::String("true}".into()))
        );
        assert_eq!(parsed("12,5"), (SchemaType::Int8, None, Value::Int8(12)));
        // Any decimal digit Java's `Character.isDigit` takes reads as the digit it is.
        assert_eq!(parsed("\u{664}\u{662}"), (SchemaType::Int8, None, Value::Int8(42)));
        assert_eq!(
            parsed("\u{ff11}\u{ff12}.5"),
            (SchemaType::Float32, None, Value::Float32(12.5))
        );
        assert_eq!(parsed("\u{663}x").2, Value::String("\u{663}x".into()));
        assert_eq!(parsed("abc"), (SchemaType::String, None, Value::String("abc".into())));
        assert!(parse_values_text("null".into()).is_none());
        let (schema, value) = parse_values_text("99999999999999999999".into()).expect("a decimal");
        assert_eq!(schema.decimal_scale(), Some(0));
        assert_eq!(
            value,
            Value::bytes(decimal_from_text("99999999999999999999", 0).unwrap())
        );
    }

    #[test]
    fn times_are_read_leniently_in_utc() {
        let date = Some(super::super::logical::DATE.to_string());
        assert_eq!(
            parsed("2024-01-31"),
            (SchemaType::Int32, date.clone(), Value::Int32(19_753))
        );
        assert_eq!(
            parsed("2023-13-01"),
            (SchemaType::Int32, date.clone(), Value::Int32(19_723))
        );
        // Julian before the Gregorian calendar began, as Java's calendar counts.
        assert_eq!(parsed("1500-01-01"), (SchemaType::Int32, date, Value::Int32(-171_655)));
        let time = Some(super::super::logical::TIME.to_string());
        assert_eq!(
            parsed("01:02:03.004Z"),
            (SchemaType::Int32, time, Value::Int32(3_723_004))
        );
        let timestamp = Some(super::super::logical::TIMESTAMP.to_string());
        assert_eq!(
            parsed("2024-01-31T01:02:03.004Z"),
            (SchemaType::Int64, timestamp, Value::Int64(1_706_662_923_004))
        );
    }

    #[test]
    fn lists_and_maps_widen_to_a_common_schema_or_fall_back_to_text() {
        let (schema, value) = parse_values_text("[1, 1000, 2.5]".into()).expect("a list");
        assert_eq!(
            schema.value_schema.as_ref().map(|s| s.schema_type),
            Some(SchemaType::Float32)
        );
        assert_eq!(
            value,
            Value::Array(vec![Value::Float32(1.0), Value::Float32(1000.0), Value::Float32(2.5)])
        );
        assert_eq!(parsed("[1,null]").2, Value::String("[1,null]".into()));
        let (schema, value) = parse_values_text(r#"{"a":1,"b":"x"}"#.into()).expect("a map");
        assert_eq!(
            schema.key_schema.as_ref().map(|s| s.schema_type),
            Some(SchemaType::String)
        );
        assert!(schema.value_schema.is_none());
        assert_eq!(
            value,
            Value::Map(vec![
                (Value::String("a".into()), Value::Int8(1)),
                (Value::String("b".into()), Value::String("x".into())),
            ])
        );
    }
}
