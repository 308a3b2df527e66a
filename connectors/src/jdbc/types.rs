//! Database column types and their Connect schemas, as Confluent's JDBC connectors map them:
//! integers to INT8..INT64 (unsigned MySQL ones one size up but `BIGINT UNSIGNED`, an INT64 as
//! the JDBC drivers report it; PostgreSQL's `OID` to INT64), `REAL`/`FLOAT` to FLOAT32,
//! `DOUBLE` to FLOAT64, `NUMERIC`/`DECIMAL` to the Decimal logical type with the column's scale
//! (PostgreSQL's NUMERIC by `numeric.mapping`), text, `UUID`, `XML`, `JSON` (PostgreSQL's as
//! the server writes it) and enums to STRING, binary to BYTES, `DATE`/`TIME`/`TIMESTAMP` (with
//! or without zone) to the Date, Time and Timestamp logical types (times without a zone read in
//! `db.timezone`, [`DateTimeRules`]; a DATE as its day in UTC; PostgreSQL's `TIMETZ` as its UTC
//! time of day), MySQL's `YEAR` to a Date, PostgreSQL's `BIT(n)` by its length
//! ([`ColumnKind::BitString`]) and a PostgreSQL domain as its base type. MySQL's `TINYINT(1)`
//! and `BIT` map as the JDBC driver that `connection.url` names reports them ([`MySqlDriver`]).
//! A `NUMERIC` with no declared scale (a query's computed column's too) becomes its exact text,
//! so nothing is rounded. Columns of other types are skipped with a warning, as Confluent does.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use sqlx::mysql::types::MySqlTime;
use sqlx::mysql::MySqlRow;
use sqlx::postgres::types::{Oid, PgMoney, PgTimeTz};
use sqlx::postgres::{PgRow, PgTypeInfo, PgTypeKind};
use sqlx::{Column as _, Row, TypeInfo};
use tributary_runtime::data::{Schema, SchemaBuilder, SchemaType, Value};

use super::calendar::DateCalendarSystem;
use super::granularity::{Infinity, TimestampGranularity};
use super::time_zone::DbTimeZone;

/// How a column's value is read and what Connect type it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// BOOLEAN.
    Boolean,
    /// Signed integers by width.
    Int8,
    /// 16-bit.
    Int16,
    /// 32-bit.
    Int32,
    /// 64-bit.
    Int64,
    /// MySQL unsigned integers by width (read as such, widened).
    UInt8,
    /// 16-bit unsigned.
    UInt16,
    /// 32-bit unsigned (and PostgreSQL's OID).
    UInt32,
    /// 64-bit unsigned: an INT64, as the JDBC drivers report it (a value beyond it is an error).
    UInt64,
    /// REAL / FLOAT.
    Float32,
    /// DOUBLE PRECISION / DOUBLE.
    Float64,
    /// PostgreSQL's MONEY, a DOUBLE as pgjdbc reports it, of its fraction digits (the
    /// session's `lc_monetary`'s, 2 when unknown).
    Money(Option<i32>),
    /// NUMERIC / DECIMAL with its declared precision and scale, when known.
    Decimal {
        /// Declared precision.
        precision: Option<i32>,
        /// Declared scale.
        scale: Option<i32>,
    },
    /// Text of any kind.
    Text,
    /// PostgreSQL UUID, as text.
    Uuid,
    /// JSON / JSONB, as text.
    Json,
    /// Binary.
    Bytes,
    /// DATE.
    Date,
    /// TIME.
    Time,
    /// PostgreSQL's TIME WITH TIME ZONE, as its time of day in UTC.
    TimeTz,
    /// TIMESTAMP / DATETIME without a zone (a wall time of `db.timezone`).
    Timestamp,
    /// TIMESTAMP WITH TIME ZONE / MySQL TIMESTAMP.
    TimestampTz,
    /// MySQL/MariaDB BIT(n) as an INT8, the byte the driver's `getByte` gives.
    Bits(MySqlDriver),
    /// MySQL/MariaDB YEAR as the Date of its January 1st (both drivers report a DATE).
    Year,
    /// PostgreSQL's BIT(n), of the declared length n when known, as Confluent's PostgreSQL
    /// dialect reads it from the JDBC driver's text of the bits (`0101`): one bit a BOOLEAN,
    /// up to eight an INT8 that is that text read as a decimal number (`getByte`, which refuses
    /// one beyond 127), more the text's bytes. Its length is known for a table's column (a
    /// query's column that is one too), not for a computed one.
    BitString(Option<i32>),
}

/// The JDBC driver whose reports of MySQL/MariaDB column types Confluent's connector maps, by
/// `connection.url`. They differ (each driver's `ResultSetMetaData` and `getByte`, asked
/// against MariaDB 10.11) in `TINYINT(1)` (and so `BOOLEAN`) and `BIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MySqlDriver {
    /// MySQL Connector/J (`jdbc:mysql://`, and sqlx's `mysql://`): `TINYINT(1)` and every
    /// `BIT(n)` are BIT, an INT8 read with `getByte`, which takes a value up to 255 as its low
    /// byte and refuses a larger one.
    #[default]
    ConnectorJ,
    /// MariaDB Connector/J (`jdbc:mariadb://`, `mariadb://`): `TINYINT(1)` and `BIT(1)` are
    /// BOOLEAN; a longer `BIT(n)` is BIT, whose `getByte` is its first (highest) byte.
    MariaDb,
}

/// What a MySQL zero date (`0000-00-00`) is read as, by the JDBC driver `connection.url` names:
/// MariaDB Connector/J gives NULL; MySQL Connector/J refuses it unless the URL says
/// `zeroDateTimeBehavior=CONVERT_TO_NULL` (so Confluent's task fails on it by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroDates {
    /// A task failure.
    #[default]
    Refused,
    /// NULL.
    Null,
}

/// How dates and times are read beyond their types: a MySQL zero date by `connection.url`'s
/// driver, and a time without a zone (a PostgreSQL `timestamp` or `time`, a MySQL `DATETIME`
/// or `TIME`) as its wall time in `db.timezone`, as Confluent's connector reads them. A DATE is
/// its day whatever the zone (Confluent's reads it in UTC); a time with a zone (PostgreSQL's
/// `timestamptz`, MySQL's `TIMESTAMP`, which sessions read in UTC) is its instant. Timestamps
/// are written as `timestamp.granularity` says. Dates before 1582-10-15 (of DATE and timestamp
/// columns) are read in `date.calendar.system`'s calendar.
#[derive(Debug, Clone, Default)]
pub struct DateTimeRules {
    /// What a MySQL zero date is read as.
    pub zero_dates: ZeroDates,
    /// `db.timezone`.
    pub time_zone: DbTimeZone,
    /// `timestamp.granularity`.
    pub timestamp_granularity: TimestampGranularity,
    /// `date.calendar.system`.
    pub calendar: DateCalendarSystem,
}

/// `numeric.mapping`: how PostgreSQL's NUMERIC columns are typed (Confluent's applies it to
/// the JDBC type NUMERIC, which MySQL's and MariaDB's drivers never report: their DECIMAL stays
/// a Decimal whatever the mapping). A NUMERIC of a precision over 18 stays a Decimal, but for
/// `best_fit_eager_double`'s doubles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumericMapping {
    /// Always the Decimal logical type.
    #[default]
    None,
    /// Integers for scale 0 by precision; Decimal otherwise.
    PrecisionOnly,
    /// Integers for scale 0 by precision, FLOAT64 for a positive scale.
    BestFit,
    /// As `BestFit`, and FLOAT64 for any positive scale whatever the precision.
    BestFitEagerDouble,
}

impl NumericMapping {
    /// Parses `none`, `precision_only`, `best_fit` and `best_fit_eager_double`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(NumericMapping::None),
            "precision_only" => Some(NumericMapping::PrecisionOnly),
            "best_fit" => Some(NumericMapping::BestFit),
            "best_fit_eager_double" => Some(NumericMapping::BestFitEagerDouble),
            _ => None,
        }
    }
}

impl ColumnKind {
    /// The kind for a PostgreSQL type name as sqlx reports it (`INT4`, `TIMESTAMPTZ`, …): the
    /// types PostgreSQL's JDBC driver reports as types Confluent's connector maps (`OID` as
    /// BIGINT, `"char"` as CHAR, `xml` as SQLXML), JSON and UUID as its PostgreSQL dialect does.
    pub fn postgres(type_name: &str) -> Option<Self> {
        Some(match type_name {
            "BOOL" => ColumnKind::Boolean,
            "INT2" => ColumnKind::Int16,
            "INT4" => ColumnKind::Int32,
            "INT8" => ColumnKind::Int64,
            "FLOAT4" => ColumnKind::Float32,
            "FLOAT8" => ColumnKind::Float64,
            "MONEY" => ColumnKind::Money(None),
            "NUMERIC" => ColumnKind::Decimal {
                precision: None,
                scale: None,
            },
            "OID" => ColumnKind::UInt32,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "\"CHAR\"" | "CITEXT" | "xml" => ColumnKind::Text,
            "UUID" => ColumnKind::Uuid,
            "JSON" | "JSONB" => ColumnKind::Json,
            "BYTEA" => ColumnKind::Bytes,
            "DATE" => ColumnKind::Date,
            "TIME" => ColumnKind::Time,
            "TIMETZ" => ColumnKind::TimeTz,
            "TIMESTAMP" => ColumnKind::Timestamp,
            "TIMESTAMPTZ" => ColumnKind::TimestampTz,
            "BIT" => ColumnKind::BitString(None),
            _ => return None,
        })
    }

    /// The kind for a MySQL/MariaDB type name as sqlx reports it (`INT UNSIGNED`, …; a
    /// `TINYINT(1)` is `BOOLEAN`, an unsigned one here `BOOLEAN UNSIGNED`), as `driver` reports
    /// it to Confluent's connector.
    pub fn mysql(type_name: &str, driver: MySqlDriver) -> Option<Self> {
        Some(match type_name {
            "BOOLEAN" => match driver {
                MySqlDriver::ConnectorJ => ColumnKind::Int8,
                MySqlDriver::MariaDb => ColumnKind::Boolean,
            },
            // MySQL Connector/J: TINYINT UNSIGNED, an INT16.
            "BOOLEAN UNSIGNED" => match driver {
                MySqlDriver::ConnectorJ => ColumnKind::UInt8,
                MySqlDriver::MariaDb => ColumnKind::Boolean,
            },
            "BIT" => ColumnKind::Bits(driver),
            "YEAR" => ColumnKind::Year,
            "TINYINT" => ColumnKind::Int8,
            "SMALLINT" => ColumnKind::Int16,
            "MEDIUMINT" | "INT" => ColumnKind::Int32,
            "BIGINT" => ColumnKind::Int64,
            "TINYINT UNSIGNED" => ColumnKind::UInt8,
            "SMALLINT UNSIGNED" => ColumnKind::UInt16,
            "MEDIUMINT UNSIGNED" | "INT UNSIGNED" => ColumnKind::UInt32,
            "BIGINT UNSIGNED" => ColumnKind::UInt64,
            "FLOAT" => ColumnKind::Float32,
            "DOUBLE" => ColumnKind::Float64,
            "DECIMAL" => ColumnKind::Decimal {
                precision: None,
                scale: None,
            },
            "CHAR" | "VARCHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => ColumnKind::Text,
            "JSON" => ColumnKind::Json,
            // Spatial types too: both drivers report BINARY, the server's bytes (SRID and WKB).
            "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => ColumnKind::Bytes,
            "DATE" => ColumnKind::Date,
            "TIME" => ColumnKind::Time,
            "DATETIME" => ColumnKind::Timestamp,
            "TIMESTAMP" => ColumnKind::TimestampTz,
            _ => return None,
        })
    }

    /// This kind for a column whose table declares `precision` and `scale`, and whether it is
    /// MySQL text: a Decimal's own, a PostgreSQL BIT's length, MariaDB Connector/J's BOOLEAN for
    /// a `BIT(1)`, and text for what sqlx calls binary but has a character set (a binary
    /// collation's text, MariaDB's INET6 and UUID).
    pub fn declared(self, precision: Option<i32>, scale: Option<i32>, text: bool) -> Self {
        match self {
            ColumnKind::Bytes if text => ColumnKind::Text,
            ColumnKind::Decimal { .. } => ColumnKind::Decimal { precision, scale },
            ColumnKind::BitString(_) => ColumnKind::BitString(precision),
            ColumnKind::Money(_) => ColumnKind::Money(scale),
            ColumnKind::Bits(MySqlDriver::MariaDb) if precision == Some(1) => ColumnKind::Boolean,
            kind => kind,
        }
    }

    /// The Connect schema of a column of this kind (a timestamp's by `granularity`); none for a
    /// PostgreSQL BIT of unknown length.
    pub fn schema(
        self,
        optional: bool,
        mapping: NumericMapping,
        granularity: TimestampGranularity,
    ) -> Option<Arc<Schema>> {
        let builder = match self {
            ColumnKind::Boolean | ColumnKind::BitString(Some(..=1)) => SchemaBuilder::new(SchemaType::Boolean),
            ColumnKind::BitString(Some(2..=8)) => SchemaBuilder::new(SchemaType::Int8),
            ColumnKind::BitString(Some(_)) => SchemaBuilder::new(SchemaType::Bytes),
            ColumnKind::BitString(None) => return None,
            ColumnKind::Int8 => SchemaBuilder::new(SchemaType::Int8),
            ColumnKind::Int16 | ColumnKind::UInt8 => SchemaBuilder::new(SchemaType::Int16),
            ColumnKind::Int32 | ColumnKind::UInt16 => SchemaBuilder::new(SchemaType::Int32),
            ColumnKind::Int64 | ColumnKind::UInt32 | ColumnKind::UInt64 => SchemaBuilder::new(SchemaType::Int64),
            ColumnKind::Float32 => SchemaBuilder::new(SchemaType::Float32),
            ColumnKind::Float64 | ColumnKind::Money(_) => SchemaBuilder::new(SchemaType::Float64),
            ColumnKind::Decimal { precision, scale } => match (mapping.fit(precision, scale), scale) {
                (Some(fitted), _) => SchemaBuilder::new(fitted),
                (None, Some(scale)) => SchemaBuilder::decimal(scale),
                (None, None) => SchemaBuilder::new(SchemaType::String),
            },
            ColumnKind::Text | ColumnKind::Uuid | ColumnKind::Json => SchemaBuilder::new(SchemaType::String),
            ColumnKind::Bytes => SchemaBuilder::new(SchemaType::Bytes),
            ColumnKind::Bits(_) => SchemaBuilder::new(SchemaType::Int8),
            ColumnKind::Date | ColumnKind::Year => SchemaBuilder::date(),
            ColumnKind::Time | ColumnKind::TimeTz => SchemaBuilder::time(),
            ColumnKind::Timestamp | ColumnKind::TimestampTz => granularity.schema(),
        };
        Some(if optional {
            builder.optional().build()
        } else {
            builder.build()
        })
    }
}

impl NumericMapping {
    /// The plain type a NUMERIC(precision, scale) maps to under this mapping, if any: an
    /// integer by its precision where the scale is 0 and the precision at most 18, a double
    /// where the scale is positive (`best_fit`: and the precision at most 18).
    fn fit(self, precision: Option<i32>, scale: Option<i32>) -> Option<SchemaType> {
        let (precision, scale) = (precision?, scale?);
        if self == NumericMapping::None || precision <= 0 {
            return None;
        }
        let integer = match precision {
            ..3 => SchemaType::Int8,
            3..5 => SchemaType::Int16,
            5..10 => SchemaType::Int32,
            _ => SchemaType::Int64,
        };
        let fits = precision <= 18;
        match (self, scale) {
            (NumericMapping::PrecisionOnly, 0)
            | (NumericMapping::BestFit | NumericMapping::BestFitEagerDouble, ..=0)
                if fits =>
            {
                Some(integer)
            }
            (NumericMapping::BestFit, 1..) if fits => Some(SchemaType::Float64),
            (NumericMapping::BestFitEagerDouble, 1..) => Some(SchemaType::Float64),
            _ => None,
        }
    }
}

/// One column of a result: its name, kind and Connect schema.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its position in the row.
    pub index: usize,
    /// How it is read.
    pub kind: ColumnKind,
    /// Its Connect schema.
    pub schema: Arc<Schema>,
}

/// A row of either database.
pub enum DbRow<'a> {
    /// A PostgreSQL row.
    Postgres(&'a PgRow),
    /// A MySQL/MariaDB row.
    MySql(&'a MySqlRow),
}

impl DbRow<'_> {
    /// Each column's name, its type's name as sqlx reports it, and the kind it is read as
    /// (none for a type with no Connect mapping; a MySQL/MariaDB type as `driver` reports it),
    /// in order.
    pub fn column_kinds(&self, driver: MySqlDriver) -> Vec<(String, String, Option<ColumnKind>)> {
        match self {
            DbRow::Postgres(row) => row
                .columns()
                .iter()
                .map(|c| {
                    (
                        c.name().to_string(),
                        c.type_info().name().to_string(),
                        postgres_kind(c.type_info()),
                    )
                })
                .collect(),
            DbRow::MySql(row) => row
                .columns()
                .iter()
                .map(|c| {
                    let info = c.type_info();
                    // sqlx names an unsigned TINYINT(1) BOOLEAN too.
                    let type_name = match info.name() {
                        "BOOLEAN" if <u8 as sqlx::Type<sqlx::MySql>>::compatible(info) => "BOOLEAN UNSIGNED",
                        name => name,
                    }
                    .to_string();
                    let kind = ColumnKind::mysql(&type_name, driver);
                    (c.name().to_string(), type_name, kind)
                })
                .collect(),
        }
    }

    /// The value of `column` as Connect data for its schema, its dates and times read by
    /// `rules`.
    pub fn value(&self, column: &Column, rules: &DateTimeRules) -> Result<Value, sqlx::Error> {
        let i = column.index;
        match self {
            DbRow::Postgres(row) => postgres_value(row, i, column, rules),
            DbRow::MySql(row) => mysql_value(row, i, column, rules),
        }
    }

    /// The value of timestamp column `column`, at full precision, as an instant in UTC, read by
    /// `rules` but for `date.calendar.system`: an offset is the database's own time, which its
    /// queries compare the column with.
    pub fn timestamp(&self, column: &Column, rules: &DateTimeRules) -> Result<Option<NaiveDateTime>, sqlx::Error> {
        let i = column.index;
        let calendar = DateCalendarSystem::ProlepticGregorian;
        let micros = match (self, column.kind) {
            (DbRow::Postgres(row), ColumnKind::Timestamp | ColumnKind::TimestampTz) => {
                match postgres_instant(row, i, column, &rules.time_zone, calendar)? {
                    Some(PgInstant::At(micros)) => micros,
                    Some(_) => {
                        return Err(column_error(
                            column,
                            "an infinite timestamp is no position to read on from",
                        ))
                    }
                    None => return Ok(None),
                }
            }
            // Another type named by `timestamp.column.name` (a DATE): sqlx's check refuses it.
            (DbRow::Postgres(row), _) => return row.try_get::<Option<NaiveDateTime>, _>(i),
            (DbRow::MySql(row), _) => match mysql_instant(row, column, rules, calendar)? {
                Some(micros) => micros,
                None => return Ok(None),
            },
        };
        DateTime::from_timestamp_micros(micros)
            .map(|at| Some(at.naive_utc()))
            .ok_or_else(|| column_error(column, format!("a timestamp {micros} µs from 1970 is out of range")))
    }
}

/// The kind of a PostgreSQL column of type `info`: a domain's is its base type's, and an enum
/// is text (PostgreSQL's JDBC driver reports a domain as its base type and an enum as VARCHAR,
/// which Confluent's connector reads as such).
fn postgres_kind(info: &PgTypeInfo) -> Option<ColumnKind> {
    match info.kind() {
        PgTypeKind::Domain(base) => postgres_kind(base),
        PgTypeKind::Enum(_) => Some(ColumnKind::Text),
        _ => ColumnKind::postgres(info.name()),
    }
}

/// A value of `column` that cannot be read as its kind, with the reason.
fn column_error(column: &Column, reason: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("column {}: {reason}", column.name).into())
}

fn or_null<T>(value: Option<T>, into: impl FnOnce(T) -> Value) -> Value {
    value.map(into).unwrap_or(Value::Null)
}

/// The value of `column` of a PostgreSQL row. Its kind was chosen from its type
/// ([`postgres_kind`]), so each read below decodes the type it was chosen for; sqlx's own
/// check of the type is left out, since it refuses a domain for its base type and an enum for
/// text.
fn postgres_value(row: &PgRow, i: usize, column: &Column, rules: &DateTimeRules) -> Result<Value, sqlx::Error> {
    let (zone, granularity) = (&rules.time_zone, rules.timestamp_granularity);
    Ok(match column.kind {
        ColumnKind::Boolean => or_null(row.try_get_unchecked::<Option<bool>, _>(i)?, Value::Boolean),
        ColumnKind::Int16 => or_null(row.try_get_unchecked::<Option<i16>, _>(i)?, Value::Int16),
        ColumnKind::Int32 => or_null(row.try_get_unchecked::<Option<i32>, _>(i)?, Value::Int32),
        ColumnKind::Int64 => or_null(row.try_get_unchecked::<Option<i64>, _>(i)?, Value::Int64),
        ColumnKind::Float32 => or_null(row.try_get_unchecked::<Option<f32>, _>(i)?, Value::Float32),
        ColumnKind::Float64 => or_null(row.try_get_unchecked::<Option<f64>, _>(i)?, Value::Float64),
        // Its smallest units; pgjdbc's getDouble parses the text (`$1.50`), the same double, but
        // fails on one with a group separator (`$1,234.50`, 1,000 or more in the C locale),
        // which Confluent's task then fails on.
        ColumnKind::Money(scale) => or_null(row.try_get_unchecked::<Option<PgMoney>, _>(i)?, |money| {
            Value::Float64(money.0 as f64 / 10f64.powi(scale.unwrap_or(2)))
        }),
        ColumnKind::Decimal { .. } => match postgres_decimal_bytes(row, i, column)? {
            Some(value) => value,
            None => decimal_value(row.try_get_unchecked::<Option<BigDecimal>, _>(i)?, &column.schema),
        },
        ColumnKind::Text => or_null(row.try_get_unchecked::<Option<String>, _>(i)?, Value::String),
        ColumnKind::Uuid => or_null(row.try_get_unchecked::<Option<sqlx::types::Uuid>, _>(i)?, |u| {
            Value::String(u.to_string())
        }),
        ColumnKind::Json => or_null(postgres_json_text(row, i)?, Value::String),
        ColumnKind::Bytes => or_null(row.try_get_unchecked::<Option<Vec<u8>>, _>(i)?, Value::bytes),
        ColumnKind::Date => match postgres_date_days(row, i)? {
            Some(days) if days == i32::MAX || days == i32::MIN => {
                // pgjdbc's getDate gives a time that is no midnight, which Connect's Date refuses.
                return Err(column_error(
                    column,
                    "an infinite DATE, which a Connect Date cannot hold",
                ));
            }
            Some(days) => days_value(i64::from(days) + i64::from(PG_EPOCH_DAYS), rules.calendar),
            None => Value::Null,
        },
        ColumnKind::Time => match postgres_time_micros(row, i)? {
            Some(micros) => time_of_day_value(micros, zone).map_err(|e| column_error(column, e))?,
            None => Value::Null,
        },
        ColumnKind::TimeTz => or_null(row.try_get_unchecked::<Option<PgTimeTz>, _>(i)?, |zoned| {
            // Wrapped into the day: 01:00+02 is 23:00 UTC (where the JDBC driver's time of the
            // day before fails Confluent's connector).
            time_value(zoned.time - chrono::Duration::seconds(zoned.offset.local_minus_utc().into()))
        }),
        ColumnKind::Timestamp | ColumnKind::TimestampTz => {
            match postgres_instant(row, i, column, zone, rules.calendar)? {
                Some(PgInstant::At(micros)) => granularity.value(micros, zone),
                // pgjdbc's getTimestamp gives its own times for the infinities.
                Some(PgInstant::Infinite(infinity)) => granularity.infinity(infinity),
                None => Ok(Value::Null),
            }
            .map_err(|e| column_error(column, e))?
        }
        ColumnKind::BitString(length) => match postgres_bits(row, i)? {
            Some(bits) => bit_string_value(&bits, length).map_err(|e| column_error(column, e))?,
            None => Value::Null,
        },
        ColumnKind::UInt32 => or_null(row.try_get_unchecked::<Option<Oid>, _>(i)?, |oid| {
            Value::Int64(oid.0.into())
        }),
        ColumnKind::Int8
        | ColumnKind::UInt8
        | ColumnKind::UInt16
        | ColumnKind::UInt64
        | ColumnKind::Bits(_)
        | ColumnKind::Year => return Err(column_error(column, "no such PostgreSQL type")),
    })
}

/// PostgreSQL's epoch, 2000-01-01 00:00 UTC, in microseconds and in days from the Unix epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i32 = 10_957;

/// A PostgreSQL TIMESTAMP or TIMESTAMPTZ value.
enum PgInstant {
    /// Microseconds from the Unix epoch.
    At(i64),
    /// `infinity` or `-infinity`.
    Infinite(Infinity),
}

/// The raw bytes of a PostgreSQL value and whether they are its binary form; `None` for NULL.
fn postgres_raw(row: &PgRow, i: usize) -> Result<Option<(&[u8], bool)>, sqlx::Error> {
    use sqlx::postgres::PgValueFormat;
    use sqlx::ValueRef;
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(None);
    }
    let binary = raw.format() == PgValueFormat::Binary;
    let bytes = raw.as_bytes().map_err(|e| postgres_decode_error(i, e.to_string()))?;
    Ok(Some((bytes, binary)))
}

fn postgres_decode_error(i: usize, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: message.into(),
    }
}

/// A PostgreSQL value whose binary form is a big-endian number of `N` bytes (`what`: a TIME's
/// or a timestamp's microseconds, a DATE's days), or the number `from_text` reads from its text
/// form; `None` for NULL.
fn postgres_number<T, const N: usize>(
    row: &PgRow,
    i: usize,
    what: &str,
    from_binary: fn([u8; N]) -> T,
    from_text: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, sqlx::Error> {
    let Some((bytes, binary)) = postgres_raw(row, i)? else {
        return Ok(None);
    };
    let decode = |message: String| postgres_decode_error(i, message);
    if binary {
        let number = bytes
            .try_into()
            .map_err(|_| decode(format!("{what} of {} bytes", bytes.len())))?;
        return Ok(Some(from_binary(number)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| decode(e.to_string()))?;
    from_text(text).map(Some).map_err(decode)
}

/// The instant of a PostgreSQL TIMESTAMP (its wall time in `zone`) or TIMESTAMPTZ value of
/// `column` (read from its bytes: sqlx's own decoding panics on the infinities), its date read
/// in `calendar`.
fn postgres_instant(
    row: &PgRow,
    i: usize,
    column: &Column,
    zone: &DbTimeZone,
    calendar: DateCalendarSystem,
) -> Result<Option<PgInstant>, sqlx::Error> {
    let micros = postgres_number(row, i, "a timestamp", i64::from_be_bytes, |text| match text {
        "infinity" => Ok(i64::MAX),
        "-infinity" => Ok(i64::MIN),
        text => DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
            .map(|at| at.naive_utc())
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
            .map(|at| at.and_utc().timestamp_micros() - PG_EPOCH_MICROS)
            .map_err(|e| format!("timestamp {text}: {e}")),
    })?;
    Ok(match micros {
        None => None,
        Some(i64::MAX) => Some(PgInstant::Infinite(Infinity::Positive)),
        Some(i64::MIN) => Some(PgInstant::Infinite(Infinity::Negative)),
        Some(micros) => {
            let wall = micros
                .checked_add(PG_EPOCH_MICROS)
                .ok_or_else(|| column_error(column, format!("a timestamp {micros} µs from 2000 is out of range")))?;
            Some(PgInstant::At(
                in_zone(calendar.read_wall(wall), column.kind, zone, calendar).map_err(|e| column_error(column, e))?,
            ))
        }
    })
}

/// The instant (microseconds from the Unix epoch) of a MySQL DATETIME (its wall time in
/// `db.timezone`), TIMESTAMP (read in UTC) or DATE `column`, a zero date as `rules` say, its
/// date read in `calendar`.
fn mysql_instant(
    row: &MySqlRow,
    column: &Column,
    rules: &DateTimeRules,
    calendar: DateCalendarSystem,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(wall) = mysql_date_time(row, column.index, rules.zero_dates).map_err(|e| column_error(column, e))? else {
        return Ok(None);
    };
    let wall = calendar.read_wall(wall.and_utc().timestamp_micros());
    in_zone(wall, column.kind, &rules.time_zone, calendar)
        .map(Some)
        .map_err(|e| column_error(column, e))
}

/// The instant of a timestamp of `kind` whose wall time (microseconds from 1970-01-01 00:00)
/// is `wall`: of a timestamp without a zone, the wall time's in `zone` (under `calendar`); of
/// one with a zone (read in UTC) or a DATE, `wall` itself.
fn in_zone(wall: i64, kind: ColumnKind, zone: &DbTimeZone, calendar: DateCalendarSystem) -> Result<i64, String> {
    match kind {
        ColumnKind::Timestamp => zone.instant_micros(wall, calendar),
        _ => Ok(wall),
    }
}

/// A Connect Time of the time of day `micros` (from midnight) of `zone`: the milliseconds of
/// its time of day in UTC.
fn time_of_day_value(micros: i64, zone: &DbTimeZone) -> Result<Value, String> {
    zone.utc_time_of_day_micros(micros)
        .map(|utc| Value::Int32((utc / 1000) as i32))
}

/// Microseconds from midnight of `time`.
fn micros_of_day(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) * 1_000_000 + i64::from(time.nanosecond() / 1000)
}

/// A PostgreSQL DATE value as days from PostgreSQL's epoch (`i32::MAX` and `i32::MIN` the
/// infinities).
fn postgres_date_days(row: &PgRow, i: usize) -> Result<Option<i32>, sqlx::Error> {
    postgres_number(row, i, "a DATE", i32::from_be_bytes, |text| match text {
        "infinity" => Ok(i32::MAX),
        "-infinity" => Ok(i32::MIN),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|date| date.signed_duration_since(NaiveDate::default()).num_days() as i32 - PG_EPOCH_DAYS)
            .map_err(|e| format!("date {text}: {e}")),
    })
}

/// A PostgreSQL TIME value as microseconds from midnight, 24:00:00 (which PostgreSQL allows,
/// and a time of day cannot hold) as the next midnight, as the JDBC driver reads it.
fn postgres_time_micros(row: &PgRow, i: usize) -> Result<Option<i64>, sqlx::Error> {
    postgres_number(row, i, "a TIME", i64::from_be_bytes, |text| match text {
        "24:00:00" => Ok(86_400_000_000),
        text => NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
            .map(micros_of_day)
            .map_err(|e| format!("time {text}: {e}")),
    })
}

/// A PostgreSQL BIT value as the JDBC driver's text of it, its bits in order (`0101`).
fn postgres_bits(row: &PgRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    let Some((bytes, binary)) = postgres_raw(row, i)? else {
        return Ok(None);
    };
    let decode = |message: &str| postgres_decode_error(i, message.to_string());
    if !binary {
        return String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|e| decode(&e.to_string()));
    }
    // Binary: the length in bits, then the bits, most significant first.
    let (length, bits) = bytes
        .split_at_checked(4)
        .ok_or_else(|| decode("a BIT value too short"))?;
    let length = u32::from_be_bytes(length.try_into().map_err(|_| decode("a BIT value too short"))?) as usize;
    if bits.len() * 8 < length {
        return Err(decode("a BIT value shorter than its length"));
    }
    Ok(Some(
        (0..length)
            .map(|bit| {
                if bits[bit / 8] & (0x80 >> (bit % 8)) != 0 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect(),
    ))
}

/// The value of a PostgreSQL BIT(`length`) whose bits are `text` (see [`ColumnKind::BitString`]).
fn bit_string_value(text: &str, length: Option<i32>) -> Result<Value, String> {
    Ok(match length {
        Some(..=1) => Value::Boolean(text == "1"),
        Some(2..=8) => Value::Int8(
            text.parse()
                .map_err(|_| format!("BIT value {text} read as a decimal number is out of the range of a byte"))?,
        ),
        _ => Value::bytes(text.as_bytes().to_vec()),
    })
}

/// A PostgreSQL JSON or JSONB value's text as PostgreSQL writes it, which is what the JDBC
/// driver's `getString` gives Confluent's connector: JSON as it was stored (its spacing kept),
/// JSONB in its canonical form (`{"k": [1]}`). Their binary form is that text, JSONB's after a
/// version byte (1), which no JSON text begins with (of a domain over JSONB too, whose type
/// the value does not name).
fn postgres_json_text(row: &PgRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    let Some((bytes, binary)) = postgres_raw(row, i)? else {
        return Ok(None);
    };
    let text = match bytes.split_first() {
        Some((1, text)) if binary => text,
        _ => bytes,
    };
    String::from_utf8(text.to_vec())
        .map(Some)
        .map_err(|e| postgres_decode_error(i, e.to_string()))
}

fn mysql_value(row: &MySqlRow, i: usize, column: &Column, rules: &DateTimeRules) -> Result<Value, sqlx::Error> {
    Ok(match column.kind {
        ColumnKind::Boolean => or_null(row.try_get::<Option<bool>, _>(i)?, Value::Boolean),
        ColumnKind::Int8 => or_null(row.try_get::<Option<i8>, _>(i)?, Value::Int8),
        ColumnKind::Int16 => or_null(row.try_get::<Option<i16>, _>(i)?, Value::Int16),
        ColumnKind::Int32 => or_null(row.try_get::<Option<i32>, _>(i)?, Value::Int32),
        ColumnKind::Int64 => or_null(row.try_get::<Option<i64>, _>(i)?, Value::Int64),
        ColumnKind::UInt8 => or_null(row.try_get::<Option<u8>, _>(i)?, |v| Value::Int16(v.into())),
        ColumnKind::UInt16 => or_null(row.try_get::<Option<u16>, _>(i)?, |v| Value::Int32(v.into())),
        ColumnKind::UInt32 => or_null(row.try_get::<Option<u32>, _>(i)?, |v| Value::Int64(v.into())),
        ColumnKind::UInt64 => match row.try_get::<Option<u64>, _>(i)? {
            // Both drivers report BIGINT UNSIGNED as BIGINT, which Confluent's connector reads
            // with `getLong`; it refuses a value beyond it, and so does this.
            Some(value) => Value::Int64(i64::try_from(value).map_err(|_| {
                column_error(
                    column,
                    format!(
                        "BIGINT UNSIGNED value {value} is out of the range of the INT64 the JDBC driver reads it as"
                    ),
                )
            })?),
            None => Value::Null,
        },
        ColumnKind::Float32 => or_null(row.try_get::<Option<f32>, _>(i)?, Value::Float32),
        ColumnKind::Float64 => or_null(row.try_get::<Option<f64>, _>(i)?, Value::Float64),
        ColumnKind::Decimal { .. } => decimal_value(row.try_get::<Option<BigDecimal>, _>(i)?, &column.schema),
        // Unchecked: a text column of a binary collation is one sqlx's check calls binary. MySQL
        // sends a JSON value as its text (its own spacing and key order), which the JDBC
        // drivers' getString gives.
        ColumnKind::Text | ColumnKind::Uuid | ColumnKind::Json => {
            or_null(row.try_get_unchecked::<Option<String>, _>(i)?, Value::String)
        }
        // Unchecked: sqlx's check refuses a spatial type's bytes.
        ColumnKind::Bytes => or_null(row.try_get_unchecked::<Option<Vec<u8>>, _>(i)?, Value::bytes),
        ColumnKind::Date => or_null(
            mysql_date_time(row, i, rules.zero_dates).map_err(|e| column_error(column, e))?,
            |at| date_value(at.date(), rules.calendar),
        ),
        // A TIME is a duration (-838:59:59 to 838:59:59); only a time of day is a Connect Time.
        // Both JDBC drivers fail Confluent's task on the others, and so does this.
        ColumnKind::Time => match row.try_get::<Option<MySqlTime>, _>(i)? {
            Some(time) if time.is_valid_time_of_day() => {
                let time = NaiveTime::try_from(time).map_err(|e| column_error(column, e))?;
                time_of_day_value(micros_of_day(time), &rules.time_zone).map_err(|e| column_error(column, e))?
            }
            Some(time) => {
                return Err(column_error(
                    column,
                    format!("TIME value {time} is not a time of day, which a Connect Time is"),
                ))
            }
            None => Value::Null,
        },
        ColumnKind::Timestamp | ColumnKind::TimestampTz => match mysql_instant(row, column, rules, rules.calendar)? {
            Some(micros) => rules
                .timestamp_granularity
                .value(micros, &rules.time_zone)
                .map_err(|e| column_error(column, e))?,
            None => Value::Null,
        },
        ColumnKind::Bits(driver) => match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
            Some(bits) => Value::Int8(bit_byte(bits, driver).map_err(|e| column_error(column, e))?),
            None => Value::Null,
        },
        ColumnKind::TimeTz | ColumnKind::BitString(_) | ColumnKind::Money(_) => {
            return Err(column_error(column, "no such MySQL type"))
        }
        ColumnKind::Year => match row.try_get::<Option<u16>, _>(i)? {
            Some(year) => date_value(
                NaiveDate::from_ymd_opt(year.into(), 1, 1)
                    .ok_or_else(|| column_error(column, format!("no year {year}")))?,
                rules.calendar,
            ),
            None => Value::Null,
        },
    })
}

/// A MySQL DATE, DATETIME or TIMESTAMP value as the JDBC drivers read it (from its bytes: sqlx
/// refuses what follows): a partly zero date (`2024-00-10`, `2024-02-00`, which MariaDB takes by
/// default) as Java's lenient calendar makes it (2023-12-10, 2024-01-31); a zero date
/// (`0000-00-00`) as `zero_dates` says.
fn mysql_date_time(row: &MySqlRow, i: usize, zero_dates: ZeroDates) -> Result<Option<NaiveDateTime>, String> {
    // Not as an Option: sqlx takes a zero date for NULL.
    let bytes = match row.try_get_unchecked::<&[u8], _>(i) {
        Ok(bytes) => bytes,
        Err(sqlx::Error::ColumnDecode { source, .. }) if source.is::<sqlx::error::UnexpectedNullError>() => {
            return Ok(None)
        }
        Err(error) => return Err(error.to_string()),
    };
    // Year, month, day, hour, minute, second, microsecond.
    let mut parts = [0u32; 7];
    // The binary form starts with its length (0, 4, 7 or 11), the text form with a digit.
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        // A length (0, 4, 7 or 11), the year (2 bytes), month, day, hour, minute, second (a
        // byte each) and microseconds (4 bytes), little-endian; left out where zero.
        let body = bytes.get(1..).unwrap_or_default();
        let byte = |at: usize| u32::from(body.get(at).copied().unwrap_or(0));
        parts = [
            byte(0) | byte(1) << 8,
            byte(2),
            byte(3),
            byte(4),
            byte(5),
            byte(6),
            byte(7) | byte(8) << 8 | byte(9) << 16 | byte(10) << 24,
        ];
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        for (part, number) in parts.iter_mut().zip(whole.split(['-', ' ', ':'])) {
            *part = number.parse().map_err(|_| format!("date {text}"))?;
        }
        if !fraction.is_empty() {
            parts[6] = format!("{fraction:0<6}")[..6]
                .parse()
                .map_err(|_| format!("date {text}"))?;
        }
    }
    let [year, month, day, hour, minute, second, micros] = parts;
    if year == 0 && month == 0 && day == 0 {
        return match zero_dates {
            ZeroDates::Null => Ok(None),
            ZeroDates::Refused => Err(
                "a zero date (0000-00-00), which MySQL Connector/J refuses unless connection.url says \
                 zeroDateTimeBehavior=CONVERT_TO_NULL"
                    .into(),
            ),
        };
    }
    let invalid = || format!("no such date or time: {year}-{month}-{day} {hour}:{minute}:{second}.{micros}");
    let first = NaiveDate::from_ymd_opt(year as i32, 1, 1).ok_or_else(invalid)?;
    let date = match month {
        0 => first.checked_sub_months(chrono::Months::new(1)),
        month => first.checked_add_months(chrono::Months::new(month - 1)),
    }
    .and_then(|date| match day {
        0 => date.checked_sub_days(chrono::Days::new(1)),
        day => date.checked_add_days(chrono::Days::new(u64::from(day - 1))),
    })
    .ok_or_else(invalid)?;
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros).ok_or_else(invalid)?;
    Ok(Some(date.and_time(time)))
}

/// The byte `driver`'s `getByte` reads from a BIT value (its bits, most significant byte
/// first): MySQL Connector/J's takes the value's low byte when the value is at most 255 and
/// refuses a larger one (so Confluent's connector fails on it too), MariaDB Connector/J's takes
/// the first byte.
fn bit_byte(bits: &[u8], driver: MySqlDriver) -> Result<i8, String> {
    let byte = match driver {
        MySqlDriver::ConnectorJ => {
            let value = bits.iter().fold(0u128, |value, &byte| value << 8 | u128::from(byte));
            u8::try_from(value).map_err(|_| {
                format!("BIT value {value} is out of the range of the byte MySQL Connector/J reads it as")
            })?
        }
        MySqlDriver::MariaDb => bits.first().copied().unwrap_or(0),
    };
    Ok(byte as i8)
}

/// A PostgreSQL NUMERIC for a Decimal schema read straight from the binary wire format, without
/// going through `BigDecimal` (a big integer built per row was the costliest part of reading a
/// row with a NUMERIC column); `None` when the value needs that general path (text format,
/// NaN or infinities, more fractional digits than the scale, beyond 128 bits).
fn postgres_decimal_bytes(row: &PgRow, i: usize, column: &Column) -> Result<Option<Value>, sqlx::Error> {
    // A Decimal schema is made from the declared scale (a fitted integer or double is not).
    let (SchemaType::Bytes, ColumnKind::Decimal { scale: Some(scale), .. }) = (column.schema.schema_type, column.kind)
    else {
        return Ok(None);
    };
    match postgres_raw(row, i)? {
        None => Ok(Some(Value::Null)),
        Some((bytes, true)) => {
            Ok(numeric_unscaled(bytes, scale).map(|unscaled| Value::bytes(signed_bytes_be(unscaled))))
        }
        Some((_, false)) => Ok(None),
    }
}

/// The value of a binary NUMERIC (ndigits, weight, sign, dscale, then base-10000 digits, most
/// significant first) times 10^`scale`, when that is an integer that fits in 128 bits.
fn numeric_unscaled(bytes: &[u8], scale: i32) -> Option<i128> {
    let word = |at: usize| Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let digits = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let negative = match word(4)? {
        0x0000 => false,
        0x4000 => true,
        _ => return None,
    };
    let mut unscaled: i128 = 0;
    for index in 0..digits {
        let digit = i128::from(word(8 + 2 * index)?);
        // Where this digit's units land once the value is scaled.
        let exponent = 4 * (weight - index as i32) + scale;
        let term = if exponent >= 0 {
            digit.checked_mul(10i128.checked_pow(exponent as u32)?)?
        } else {
            let divisor = 10i128.checked_pow(exponent.unsigned_abs())?;
            if digit % divisor != 0 {
                return None;
            }
            digit / divisor
        };
        unscaled = unscaled.checked_add(term)?;
    }
    Some(if negative { -unscaled } else { unscaled })
}

/// `value` as the shortest big-endian two's complement bytes, as Java's `BigInteger.toByteArray`
/// (Connect's Decimal encoding) writes it.
fn signed_bytes_be(value: i128) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < bytes.len() - 1 {
        let redundant = match bytes[start] {
            0x00 => bytes[start + 1] & 0x80 == 0,
            0xFF => bytes[start + 1] & 0x80 != 0,
            _ => false,
        };
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// A NUMERIC as its schema wants it: Decimal bytes at the schema's scale, a fitted integer
/// or double, or the exact text.
fn decimal_value(value: Option<BigDecimal>, schema: &Schema) -> Value {
    let Some(value) = value else { return Value::Null };
    match schema.schema_type {
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64 => {
            let whole: i64 = bigdecimal::ToPrimitive::to_i64(&value).unwrap_or_default();
            match schema.schema_type {
                SchemaType::Int8 => Value::Int8(whole as i8),
                SchemaType::Int16 => Value::Int16(whole as i16),
                SchemaType::Int32 => Value::Int32(whole as i32),
                _ => Value::Int64(whole),
            }
        }
        SchemaType::Float64 => Value::Float64(bigdecimal::ToPrimitive::to_f64(&value).unwrap_or(f64::NAN)),
        SchemaType::Bytes => {
            let scale = schema.decimal_scale().unwrap_or(0);
            let (unscaled, _) = value.with_scale(scale.into()).into_bigint_and_exponent();
            Value::bytes(unscaled.to_signed_bytes_be())
        }
        _ => Value::String(value.normalized().to_string()),
    }
}

/// A Connect Date of the date `date` read from the database, in `calendar`.
fn date_value(date: NaiveDate, calendar: DateCalendarSystem) -> Value {
    days_value(date.signed_duration_since(NaiveDate::default()).num_days(), calendar)
}

/// A Connect Date of the date read from the database whose fields are those of proleptic
/// Gregorian day `days` after 1970-01-01, in `calendar`.
fn days_value(days: i64, calendar: DateCalendarSystem) -> Value {
    // The databases' dates are within an i32's days, the calendars' difference small.
    Value::Int32(calendar.read_day(days) as i32)
}

fn time_value(time: NaiveTime) -> Value {
    Value::Int32((time.num_seconds_from_midnight() * 1000 + time.nanosecond() / 1_000_000) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_bits_are_typed_by_their_length_as_confluents_dialect_reads_them() {
        let schema_type = |length| {
            ColumnKind::BitString(length)
                .schema(true, NumericMapping::None, TimestampGranularity::default())
                .map(|s| s.schema_type)
        };
        assert_eq!(schema_type(Some(1)), Some(SchemaType::Boolean));
        assert_eq!(schema_type(Some(8)), Some(SchemaType::Int8));
        assert_eq!(schema_type(Some(9)), Some(SchemaType::Bytes));
        assert_eq!(schema_type(None), None, "a query's BIT has no known length");
        assert_eq!(bit_string_value("1", Some(1)), Ok(Value::Boolean(true)));
        // pgjdbc's getByte reads the bits' text as a decimal number.
        assert_eq!(bit_string_value("0101", Some(4)), Ok(Value::Int8(101)));
        assert!(bit_string_value("1111", Some(4)).is_err(), "1111 is beyond a byte");
        assert_eq!(bit_string_value("101", Some(12)), Ok(Value::bytes(b"101".to_vec())));
    }

    #[test]
    fn mysql_types_follow_the_driver_the_url_names() {
        use MySqlDriver::{ConnectorJ, MariaDb};
        // MySQL Connector/J reports TINYINT(1) as BIT (INT8), MariaDB Connector/J as BOOLEAN.
        assert_eq!(ColumnKind::mysql("BOOLEAN", ConnectorJ), Some(ColumnKind::Int8));
        assert_eq!(ColumnKind::mysql("BOOLEAN", MariaDb), Some(ColumnKind::Boolean));
        // An unsigned one: TINYINT UNSIGNED (INT16) for MySQL Connector/J.
        assert_eq!(
            ColumnKind::mysql("BOOLEAN UNSIGNED", ConnectorJ),
            Some(ColumnKind::UInt8)
        );
        assert_eq!(
            ColumnKind::mysql("BOOLEAN UNSIGNED", MariaDb),
            Some(ColumnKind::Boolean)
        );
        // A BIT(1) is BOOLEAN for MariaDB's driver only; longer ones are BIT for both.
        let bit = |driver| ColumnKind::mysql("BIT", driver).map(|kind| kind.declared(Some(1), None, false));
        assert_eq!(bit(ConnectorJ), Some(ColumnKind::Bits(ConnectorJ)));
        assert_eq!(bit(MariaDb), Some(ColumnKind::Boolean));
        assert_eq!(
            ColumnKind::Bits(MariaDb).declared(Some(8), None, false),
            ColumnKind::Bits(MariaDb)
        );
        assert_eq!(ColumnKind::mysql("YEAR", ConnectorJ), Some(ColumnKind::Year));
        assert_eq!(
            ColumnKind::Decimal {
                precision: None,
                scale: None
            }
            .declared(Some(10), Some(2), false),
            ColumnKind::Decimal {
                precision: Some(10),
                scale: Some(2)
            }
        );
    }

    #[test]
    fn bits_become_the_byte_each_driver_reads() {
        use MySqlDriver::{ConnectorJ, MariaDb};
        // As measured with each driver's getByte: b'10101010' -> -86; BIT(16) 5 -> 5 (MySQL)
        // or 0 (MariaDB, the first byte); 170 -> -86 or 0; 300 -> refused or 1.
        assert_eq!(bit_byte(&[0b1010_1010], ConnectorJ), Ok(-86));
        assert_eq!(bit_byte(&[0b1010_1010], MariaDb), Ok(-86));
        assert_eq!(bit_byte(&[0, 5], ConnectorJ), Ok(5));
        assert_eq!(bit_byte(&[0, 5], MariaDb), Ok(0));
        assert_eq!(bit_byte(&[0, 170], ConnectorJ), Ok(-86));
        assert_eq!(bit_byte(&[1, 44], MariaDb), Ok(1));
        assert!(bit_byte(&[1, 44], ConnectorJ).unwrap_err().contains("300"));
    }

    #[test]
    fn numeric_mapping_fits_as_confluent_does() {
        let fit = |mapping: NumericMapping, p, s| mapping.fit(Some(p), Some(s));
        assert_eq!(fit(NumericMapping::None, 5, 0), None);
        assert_eq!(fit(NumericMapping::BestFit, 2, 0), Some(SchemaType::Int8));
        assert_eq!(fit(NumericMapping::BestFit, 9, 0), Some(SchemaType::Int32));
        assert_eq!(fit(NumericMapping::BestFit, 18, 0), Some(SchemaType::Int64));
        assert_eq!(fit(NumericMapping::BestFit, 20, 0), None);
        assert_eq!(fit(NumericMapping::BestFit, 10, 2), Some(SchemaType::Float64));
        // Beyond 18 digits best_fit keeps a Decimal; best_fit_eager_double takes a double.
        assert_eq!(fit(NumericMapping::BestFit, 30, 10), None);
        assert_eq!(
            fit(NumericMapping::BestFitEagerDouble, 30, 10),
            Some(SchemaType::Float64)
        );
        assert_eq!(fit(NumericMapping::BestFitEagerDouble, 20, 0), None);
        assert_eq!(fit(NumericMapping::PrecisionOnly, 10, 2), None);
        assert_eq!(fit(NumericMapping::PrecisionOnly, 10, 0), Some(SchemaType::Int64));
    }

    #[test]
    fn decimals_become_unscaled_bytes_at_the_schema_scale() {
        let schema = SchemaBuilder::decimal(2).build();
        let value: BigDecimal = "-12.5".parse().unwrap();
        // -1250 in two's complement, big-endian.
        assert_eq!(decimal_value(Some(value), &schema), Value::bytes(vec![0xFB, 0x1E]));
        let text = SchemaBuilder::new(SchemaType::String).build();
        let value: BigDecimal = "3.14159265358979323846264338327950288".parse().unwrap();
        assert_eq!(
            decimal_value(Some(value), &text),
            Value::String("3.14159265358979323846264338327950288".into())
        );
    }

    /// PostgreSQL's binary NUMERIC for `text` (what the server sends), built by hand.
    fn binary_numeric(text: &str) -> Vec<u8> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole = whole.trim_start_matches('0');
        // Base-10000 groups aligned on the decimal point.
        let pad_whole = (4 - whole.len() % 4) % 4;
        let pad_fraction = (4 - fraction.len() % 4) % 4;
        let aligned = format!("{}{whole}{fraction}{}", "0".repeat(pad_whole), "0".repeat(pad_fraction));
        let groups: Vec<u16> = aligned
            .as_bytes()
            .chunks(4)
            .map(|g| std::str::from_utf8(g).unwrap().parse().unwrap())
            .collect();
        let weight = ((whole.len() + pad_whole) / 4) as i16 - 1;
        let mut out = Vec::new();
        out.extend((groups.len() as u16).to_be_bytes());
        out.extend(weight.to_be_bytes());
        out.extend((if negative { 0x4000u16 } else { 0 }).to_be_bytes());
        out.extend((fraction.len() as u16).to_be_bytes());
        for group in groups {
            out.extend(group.to_be_bytes());
        }
        out
    }

    #[test]
    fn binary_numerics_give_the_bytes_bigdecimal_gives() {
        let schema = SchemaBuilder::decimal(2).build();
        let texts =
            "0 0.00 12.5 -12.5 1.01 -0.07 99999999.99 123456789012.34 0.5 10000 -10000.01 127.99 -128 1.28 -1.29";
        for text in texts.split(' ') {
            let bigdecimal = decimal_value(Some(text.parse().unwrap()), &schema);
            let unscaled = numeric_unscaled(&binary_numeric(text), 2).unwrap();
            assert_eq!(Value::bytes(signed_bytes_be(unscaled)), bigdecimal, "{text}");
        }
        // More fractional digits than the scale, NaN: the general path.
        assert_eq!(numeric_unscaled(&binary_numeric("1.005"), 2), None);
        let mut nan = binary_numeric("0");
        nan[4..6].copy_from_slice(&0xC000u16.to_be_bytes());
        assert_eq!(numeric_unscaled(&nan, 2), None);
        // Beyond 128 bits: the general path.
        assert_eq!(numeric_unscaled(&binary_numeric(&"9".repeat(40)), 2), None);
    }

    #[test]
    fn dates_and_times_are_connect_logical_values() {
        assert_eq!(
            date_value(
                NaiveDate::from_ymd_opt(1970, 1, 11).unwrap(),
                DateCalendarSystem::Legacy
            ),
            Value::Int32(10)
        );
        assert_eq!(
            time_value(NaiveTime::from_hms_milli_opt(1, 0, 0, 5).unwrap()),
            Value::Int32(3_600_005)
        );
    }
}
