//! Tributary's JDBC source beside the real JDBC drivers Confluent's JDBC source connector reads
//! with: PostgreSQL's (pgjdbc) on PostgreSQL, and MySQL Connector/J and MariaDB Connector/J on
//! MariaDB (each from Maven Central). The same rows, of every column type the connector maps (a
//! table each, with edge values, empty values and NULLs; PostgreSQL's float specials and
//! subnormals too), are read as a table and through a `query` ([`Source`]), and as a table
//! under each other `numeric.mapping`; a table of dates and times (daylight saving's repeated
//! and skipped hours among them) under a `db.timezone` other than UTC, also under each other
//! `timestamp.granularity`; a table of dates before 1582 under each `date.calendar.system`;
//! twice each: by `tests/fixtures/java/JdbcSourceRecords.java`, which types each column from
//! the driver's `ResultSetMetaData` and reads it with the driver's getter as Confluent's
//! dialects do, and writes records with Apache's JsonConverter; and by Tributary's connector
//! into Kafka, through its JsonConverter. Each record, its schema and its values, must be the
//! same, but for the differences [`KNOWN_DIFFERENCES`] and [`SETTING_DIFFERENCES`] name and
//! explain (each must still be seen, so the lists stay true). Confluent's connector itself is
//! not on Maven Central: its typing rules are written in the Java program from its source;
//! everything else on that side is the real thing.
//!
//! Left out of the tables: PostgreSQL's MONEY of 1,000 or more (the driver's `getDouble` refuses
//! its text, `$1,000.00`, so Confluent's task fails; Tributary reads it: a test of its own), a
//! PostgreSQL `TIMETZ` whose UTC time falls on another day (Connect's Time refuses it, so
//! Confluent's task fails; Tributary wraps it into the day), floats that Java 17's
//! `Float.toString` writes with more digits than the shortest that reads back (1.17549435E-38,
//! where Java 19 and later, and Tributary, write 1.1754944E-38), and values the drivers' getters
//! refuse, which fail both tasks (a test of their own).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use common::start_worker;
use rdkafka::message::Message;
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, unique_name};
use tributary_harness::{
    shared_cluster, shared_mariadb, shared_postgres, Database, DatabaseKind, JavaProgram, JdbcDriver,
};
use tributary_runtime::mode::standalone::StandaloneRuntime;

/// How the connector is told what to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `table.whitelist`: a struct named after the table.
    Table,
    /// `query`: an unnamed struct, every field optional in Tributary's (where Confluent's
    /// connector makes a table's NOT NULL column required, and fails on the NULL an outer join
    /// gives it); the comparison takes Confluent's fields as optional.
    Query,
}

/// Columns whose records differ on purpose: the driver, the sources, the column and why.
const KNOWN_DIFFERENCES: &[(JdbcDriver, &[Source], &str, &str)] = &[
    (
        JdbcDriver::Postgres,
        &[Source::Table, Source::Query],
        "exact",
        "a NUMERIC of no declared scale: pgjdbc reports scale 0, so Confluent's Decimal of scale 0 \
         rounds 0.1000000000000000000001 to 0; Tributary writes the exact text as a string",
    ),
    (
        JdbcDriver::MySqlConnectorJ,
        &[Source::Table, Source::Query],
        "at_instant",
        "a MySQL TIMESTAMP under a db.timezone other than the server's: both drivers give the \
         session's wall time (the server's zone's, UTC here) read as a wall time of db.timezone, \
         which moves the instant by the zones' difference; Tributary's session runs in UTC and \
         writes the instant, which Confluent's writes when the server's zone is db.timezone",
    ),
    (
        JdbcDriver::MariaDbConnectorJ,
        &[Source::Table, Source::Query],
        "at_instant",
        "as through MySQL Connector/J",
    ),
    (
        JdbcDriver::MariaDbConnectorJ,
        &[Source::Table, Source::Query],
        "uid",
        "MariaDB Connector/J reports MariaDB's UUID type as OTHER, which Confluent leaves out; \
         Tributary writes it as text, as it does through MySQL Connector/J's URL",
    ),
];

/// Settings that show a difference: each key with the values that show it.
type ShownBy = &'static [(&'static str, &'static [&'static str])];

/// Columns whose records differ on purpose under some settings: the settings, the column and
/// why.
const SETTING_DIFFERENCES: &[(ShownBy, &str, &str)] = &[
    (
        &[(
            "timestamp.granularity",
            &["micros_long", "micros_string", "nanos_long", "nanos_string"],
        )],
        "at",
        "a time before 1970 with a fraction of a second: Confluent's divides its milliseconds by \
         1000 towards zero before adding the fraction back, so 1969-12-31T23:59:59.5Z becomes \
         +0.5 s; Tributary writes -0.5 s",
    ),
    (
        &[("date.calendar.system", &["PROLEPTIC_GREGORIAN"])],
        "gap_day",
        "a day the Gregorian calendar's start skipped (1582-10-05 to 14, which PostgreSQL and \
         MariaDB have): the driver's Java date is ten days later, which Confluent's conversion \
         to the proleptic calendar keeps; Tributary writes the day itself",
    ),
    (
        &[
            ("date.calendar.system", &["PROLEPTIC_GREGORIAN"]),
            ("timestamp.granularity", &["micros_iso_datetime_string"]),
        ],
        "at",
        "a timestamp with a fraction of a millisecond: Confluent's conversion to the proleptic \
         calendar keeps whole milliseconds (of every timestamp, whatever its year); Tributary \
         writes the microseconds",
    ),
    (
        &[("date.calendar.system", &["PROLEPTIC_GREGORIAN"])],
        "at_instant",
        "a TIMESTAMPTZ before 1900 under a db.timezone whose offset then (a local mean time) is \
         not its standard offset: Confluent's conversion to the proleptic calendar takes the \
         driver's time to its wall time with Java's TimeZone (the standard offset) and back with \
         java.time (the local mean time), which moves the instant by their difference (3 min \
         58 s in New York); Tributary writes the instant",
    ),
];

/// Each setting a read may change, with its default (`db.timezone` is each test's).
const SETTINGS: [(&str, &str); 4] = [
    ("db.timezone", "UTC"),
    ("numeric.mapping", "none"),
    ("timestamp.granularity", "connect_logical"),
    ("date.calendar.system", "LEGACY"),
];

/// A table of PostgreSQL's types: `{t}` is its name.
const POSTGRES_TABLE: &str = "CREATE TYPE {t}_mood AS ENUM ('sad', 'happy'); \
    CREATE DOMAIN {t}_positive AS BIGINT CHECK (VALUE > 0); \
    CREATE DOMAIN {t}_label AS VARCHAR(8); \
    CREATE DOMAIN {t}_amount AS NUMERIC(10,2); \
    CREATE TABLE {t} (id INT PRIMARY KEY, small SMALLINT, whole INT, big BIGINT NOT NULL, real_v REAL, \
      double_v DOUBLE PRECISION, price NUMERIC(10,3), whole_number NUMERIC(5,0), exact NUMERIC, tiny_n NUMERIC(2,0), \
      small_n NUMERIC(4,0), big_n NUMERIC(18,0), huge_n NUMERIC(20,0), wide NUMERIC(30,10), flag BOOLEAN, \
      note VARCHAR(20), fixed CHAR(5), body TEXT, name_v NAME, data BYTEA, day DATE, at_time TIME, \
      at_time6 TIME(6), zoned_time TIMETZ, at TIMESTAMP, at_zone TIMESTAMPTZ, uid UUID, doc JSONB, raw_doc JSON, \
      mood {t}_mood, count_v {t}_positive NOT NULL, label {t}_label, amount {t}_amount, letter \"char\", object_id OID, markup XML, one_bit BIT(1), \
      bits BIT(4), long_bits BIT(12), varying_bits VARBIT(8), ints INT[], span INTERVAL, address INET, \
      cash MONEY, serial_v SERIAL); \
    INSERT INTO {t} VALUES (1, -2, 7, 9000000000, 1.1, 2.25, -12.345, 12345, 0.1000000000000000000001, 42, \
      -1234, 123456789012345678, 12345678901234567890, 12345678901234567890.0123456789, true, \
      'hé', 'ab', 'long text', 'nm', '\\x0102ff', '2024-02-29', '13:14:15.5', '13:14:15.123456', '13:14:15+02', \
      '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.123+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', \
      '{\"k\":[1]}', '{ \"k\" :  [1] }', 'happy', 42, 'short', 12.34, 'x', 4000000000, '<a>1</a>', B'1', B'0101', \
      B'101010101010', B'101', '{1,2}', '1 day', '10.0.0.1', 999.99, DEFAULT); \
    INSERT INTO {t} VALUES (2, -32768, 2147483647, -9223372036854775808, 3.4e38, 1e308, 9999999.999, -99999, \
      -5.5, -99, 9999, -999999999999999999, -99999999999999999999, -0.0000000001, false, '', '', '', '', '\\x', '1900-01-01', '23:59:59.999999', '00:00:00', '00:00:00-05', \
      '1969-12-31 23:59:59.9999', '1970-01-01 00:00:00.0005+00', '00000000-0000-0000-0000-000000000000', '[]', \
      'null', 'sad', 9223372036854775807, '', -0.01, ' ', 0, '<b/>', B'0', B'0000', B'000000000001', B'', '{}', \
      '-1 hour', '::1', -0.01, DEFAULT); \
    INSERT INTO {t} (id, big, count_v) VALUES (3, 0, 1); \
    INSERT INTO {t} (id, big, count_v, real_v, double_v, at_time, at, at_zone) VALUES \
      (4, 0, 1, 'NaN', 'Infinity', '24:00:00', 'infinity', '-infinity'), \
      (5, 0, 1, '-Infinity', '-0', NULL, '-infinity', 'infinity'), (6, 0, 1, 1.4e-45, 4.9e-324, NULL, NULL, NULL)";

/// A table of MariaDB's types: `{t}` is its name.
const MARIADB_TABLE: &str = "CREATE TABLE {t} (id INT PRIMARY KEY, tiny TINYINT, tiny_u TINYINT UNSIGNED, \
      small SMALLINT, small_u SMALLINT UNSIGNED, medium MEDIUMINT, medium_u MEDIUMINT UNSIGNED, whole INT, \
      whole_u INT UNSIGNED, big BIGINT NOT NULL, big_u BIGINT UNSIGNED, real_v FLOAT, double_v DOUBLE, \
      price DECIMAL(10,3), whole_number DECIMAL(5,0), wide DECIMAL(30,10), flag BOOLEAN, flag_u TINYINT(1) UNSIGNED, \
      bit1 BIT(1), bit8 BIT(8), bit16 BIT(16), note VARCHAR(20), fixed CHAR(5), body TEXT, tiny_text TINYTEXT, \
      long_text LONGTEXT, choice ENUM('a','b'), tags SET('x','y'), doc JSON, raw BINARY(4), data VARBINARY(8), \
      blob_v BLOB, long_blob LONGBLOB, day DATE, at_time TIME(3), at DATETIME(3), at6 DATETIME(6), \
      at_zone TIMESTAMP(3) NULL, made YEAR, uid UUID, address INET6, code VARCHAR(10) COLLATE utf8mb4_bin, spot POINT, shape GEOMETRY, \
      auto_v INT NOT NULL AUTO_INCREMENT UNIQUE); \
    INSERT INTO {t} VALUES (1, -7, 200, -2, 60000, -8000000, 16000000, 7, 4000000000, 9000000000, 9000000000, \
      1.1, 2.25, -12.345, 12345, 12345678901234567890.0123456789, true, 1, b'1', b'10101010', 170, 'hé', 'ab', \
      'long text', 't', 'lt', 'b', 'x,y', '{\"k\":[1]}', x'0102', x'0102ff', x'00ff', x'41', '2024-02-29', \
      '13:14:15.5', '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.123456', '2024-02-29 11:14:15.123', 2024, \
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::1', 'Ab-é', POINT(1, 2), \
      ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), NULL); \
    INSERT INTO {t} VALUES (2, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, \
      -9223372036854775808, 0, -3.4e38, 1e308, 9999999.999, -99999, -0.0000000001, false, 0, b'0', b'11111111', \
      255, '', '', '', '', '', 'a', '', '{ \"k\" :  [1] }', x'', x'', x'', x'', '1900-01-01', '23:59:59.999', \
      '1969-12-31 23:59:59.999', '1970-01-01 00:00:00.000001', '1970-01-01 00:00:01', 1901, \
      '00000000-0000-0000-0000-000000000000', '::', '', POINT(-1.5, 0), \
      ST_GeomFromText('LINESTRING(0 0, 1 1)'), NULL); \
    INSERT INTO {t} (id, big) VALUES (3, 0); \
    INSERT INTO {t} (id, big, day, at) VALUES (4, 0, '2024-00-10', '2024-02-00 10:00:00')";

/// MySQL's zero dates, which MariaDB takes by default: MariaDB Connector/J reads them as NULL,
/// and so does MySQL Connector/J with `zeroDateTimeBehavior=CONVERT_TO_NULL` (without, it
/// refuses them: the last test).
const MARIADB_ZERO_DATES: &str = "CREATE TABLE {t} (id INT PRIMARY KEY, day DATE, at DATETIME(3), \
      at_zone TIMESTAMP(3) NULL); \
    INSERT INTO {t} VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'), \
      (2, '2024-02-29', '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.123')";

/// Dates and times read under a `db.timezone` of daylight saving time: `{t}` is the table's
/// name, `{timestamp}` and `{timestamptz}` the types of a timestamp without and with a zone
/// (PostgreSQL's TIMESTAMP(6) and TIMESTAMPTZ, MariaDB's DATETIME(6) and TIMESTAMP(6) NULL),
/// `{offset}` an offset's suffix of a TIMESTAMPTZ literal (MariaDB's session is in UTC). The
/// times of day stay within the day in UTC (read in America/New_York, a later one falls on the
/// next day, which Connect's Time refuses, so Confluent's task fails; Tributary wraps it).
const ZONED_TIMES: &str = "CREATE TABLE {t} (id INT PRIMARY KEY, day DATE, at_time TIME(3), at {timestamp}, \
      at_instant {timestamptz}); \
    INSERT INTO {t} VALUES (1, '2024-02-29', '13:14:15.5', '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.123{offset}'), \
      (2, '1970-01-01', '00:00:00', '2024-11-03 01:30:00', '2024-11-03 05:30:00{offset}'), \
      (3, '1969-12-31', '18:59:59.999', '2024-03-10 02:30:00', '2024-03-10 07:30:00{offset}'), \
      (4, '2024-07-01', '06:00:00', '1969-12-31 20:00:00.5', '1970-01-01 00:00:01{offset}'), \
      (5, NULL, NULL, NULL, NULL), (6, NULL, NULL, '1969-12-31 18:59:59.5', NULL)";

/// One read of a table, on both sides: through which driver (its URL ending with
/// `url_options`), as a table or through a query, under which of the [`SETTINGS`] (those not
/// given at their defaults).
#[derive(Debug, Clone)]
struct Read {
    database: &'static Database,
    driver: JdbcDriver,
    url_options: &'static str,
    table: String,
    source: Source,
    settings: Vec<(&'static str, &'static str)>,
}

impl Read {
    /// A read of `table` through `driver` (on its database) as a table, every setting at its
    /// default.
    fn table(driver: JdbcDriver, table: &str) -> Self {
        let database = match driver {
            JdbcDriver::Postgres => shared_postgres(),
            JdbcDriver::MySqlConnectorJ | JdbcDriver::MariaDbConnectorJ => shared_mariadb(),
        };
        Read {
            database,
            driver,
            url_options: "",
            table: table.to_string(),
            source: Source::Table,
            settings: Vec::new(),
        }
    }

    /// The value of each of the [`SETTINGS`].
    fn settings(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        SETTINGS
            .into_iter()
            .map(|(key, default)| (key, self.setting(key).unwrap_or(default)))
    }

    /// The value of setting `key`, if it is given.
    fn setting(&self, key: &str) -> Option<&'static str> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| *value)
    }

    fn url(&self) -> String {
        self.driver.url(self.database) + self.url_options
    }

    fn password(&self) -> &'static str {
        match self.database.kind() {
            DatabaseKind::Postgres => "",
            DatabaseKind::MariaDb => "tributary",
        }
    }

    /// The records Confluent's connector makes of the rows, in id order, or why it cannot read
    /// a row (its task fails there).
    fn confluents_records(&self) -> Vec<Result<Value, String>> {
        let jar = self.driver.jar().expect("the JDBC driver's jar");
        let program = JavaProgram::fixture("JdbcSourceRecords").expect("JdbcSourceRecords.java compiles");
        let output = tempfile::NamedTempFile::new().unwrap();
        let status = program
            .command(&[&jar], self.settings())
            .expect("Kafka's jars")
            .arg(self.url())
            .args(["tributary", self.password(), &self.table])
            .arg(output.path())
            .args((self.source == Source::Query).then_some("query"))
            // The JVM's own zone is UTC (as the servers'); times are read in `db.timezone`.
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .status()
            .expect("java runs");
        assert!(status.success(), "JdbcSourceRecords.java failed for {self:?}");
        std::fs::read_to_string(output.path())
            .unwrap()
            .lines()
            .map(|line| {
                let mut record: Value = serde_json::from_str(line).expect("JSON");
                if let Some(error) = record.get("error") {
                    return Err(error.to_string());
                }
                if self.source == Source::Query {
                    for field in record["schema"]["fields"].as_array_mut().expect("fields") {
                        field["optional"] = json!(true);
                    }
                }
                Ok(record)
            })
            .collect()
    }

    /// The records Tributary's connector makes of the table's `count` rows, in id order.
    async fn tributarys_records(&self, count: usize) -> Vec<Value> {
        let kafka = shared_cluster().bootstrap_servers();
        let (_worker, api, topic) = self.tributary_connector().await;
        let records = consume_until(&kafka, &topic, count, Duration::from_secs(120), "read_committed")
            .await
            .unwrap();
        if records.len() != count {
            let (_, status) = api.get(&format!("/connectors/{topic}/status")).await;
            panic!("{topic}: {} records of {count}; {status}", records.len());
        }
        let mut records: Vec<Value> = records
            .iter()
            .map(|m| serde_json::from_slice(m.payload().unwrap_or_default()).unwrap())
            .collect();
        records.sort_by_key(|record| record["payload"]["id"].as_i64());
        records
    }

    /// A worker running Tributary's connector for this read (with the folder of its offsets),
    /// its REST API, and the connector's name, which is its topic's.
    async fn tributary_connector(&self) -> (Worker, common::Api, String) {
        let kafka = shared_cluster().bootstrap_servers();
        let dir = tempfile::tempdir().unwrap();
        let (worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let prefix = format!("{}-", unique_name("jdbc-drivers"));
        let table = &self.table;
        let mut config = json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": self.url(),
            "connection.user": "tributary",
            "connection.password": self.password(),
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "table.whitelist": table,
            "topic.prefix": prefix,
            "poll.interval.ms": "200",
            // A row that cannot be read fails the task after the retries, soon.
            "connection.backoff.ms": "100",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
        });
        for (key, value) in self.settings() {
            config[key] = json!(value);
        }
        // A query's records go to the topic the prefix names.
        let topic = format!("{prefix}{table}");
        if self.source == Source::Query {
            config["query"] = json!(format!("SELECT * FROM {table}"));
            config["topic.prefix"] = json!(topic);
            config.as_object_mut().unwrap().remove("table.whitelist");
        }
        let (code, body) = api.put(&format!("/connectors/{topic}/config"), Some(config)).await;
        assert_eq!(code, 201, "{body}");
        ((worker, dir), api, topic)
    }
}

/// A worker and the folder of its offsets, which lives as long as it does.
type Worker = (StandaloneRuntime, tempfile::TempDir);

/// How `confluent` and `tributary` differ, by field (`(record)` for the struct's own name,
/// optionality and field order), each described.
fn differences(confluent: &Value, tributary: &Value) -> BTreeMap<String, String> {
    let fields = |record: &Value| -> Vec<(String, Value)> {
        record["schema"]["fields"]
            .as_array()
            .expect("a struct schema")
            .iter()
            .map(|field| (field["field"].as_str().unwrap().to_string(), field.clone()))
            .collect()
    };
    let (ours, theirs) = (fields(tributary), fields(confluent));
    let (ours_by_name, theirs_by_name): (BTreeMap<_, _>, BTreeMap<_, _>) =
        (ours.iter().cloned().collect(), theirs.iter().cloned().collect());
    let mut found = BTreeMap::new();
    for name in ours_by_name
        .keys()
        .chain(theirs_by_name.keys())
        .collect::<BTreeSet<_>>()
    {
        let (confluent_schema, tributary_schema) = (theirs_by_name.get(name), ours_by_name.get(name));
        let (confluent_value, tributary_value) = (confluent["payload"].get(name), tributary["payload"].get(name));
        if confluent_schema != tributary_schema || confluent_value != tributary_value {
            found.insert(
                name.clone(),
                format!(
                    "Confluent {confluent_schema:?} = {confluent_value:?}, Tributary {tributary_schema:?} = {tributary_value:?}"
                ),
            );
        }
    }
    let order = |fields: &[(String, Value)], other: &BTreeMap<String, Value>| -> Vec<String> {
        fields
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| other.contains_key(name))
            .collect()
    };
    let struct_of = |record: &Value| json!([record["schema"]["name"], record["schema"]["optional"]]);
    if order(&ours, &theirs_by_name) != order(&theirs, &ours_by_name) || struct_of(confluent) != struct_of(tributary) {
        found.insert(
            "(record)".into(),
            format!("Confluent {}, Tributary {}", confluent["schema"], tributary["schema"]),
        );
    }
    found
}

/// The `timestamp.granularity`s besides `connect_logical`.
const TIMESTAMP_GRANULARITIES: [&str; 6] = [
    "micros_long",
    "micros_string",
    "micros_iso_datetime_string",
    "nanos_long",
    "nanos_string",
    "nanos_iso_datetime_string",
];

/// The `numeric.mapping`s besides `none`.
const NUMERIC_MAPPINGS: [&str; 3] = ["precision_only", "best_fit", "best_fit_eager_double"];

/// The settings of reads that each change one setting `key` to one of `values`.
fn each(key: &'static str, values: &[&'static str]) -> Vec<Vec<(&'static str, &'static str)>> {
    values.iter().map(|&value| vec![(key, value)]).collect()
}

/// Reads `ddl`'s table through `drivers` (each with the options its URL ends with) on both sides
/// and compares the records: as a table and through a query with every setting at its default,
/// and as a table with each of `variations` (settings given, the others at their defaults); all
/// in `db.timezone` `time_zone`.
async fn same_records_as_confluents(
    drivers: &[(JdbcDriver, &'static str)],
    ddl: &str,
    time_zone: &'static str,
    variations: Vec<Vec<(&'static str, &'static str)>>,
) {
    let table = unique_name("driver_types").replace('-', "_");
    let reads: Vec<Read> = drivers
        .iter()
        .flat_map(|&(driver, url_options)| {
            let table = &table;
            [(Source::Table, vec![]), (Source::Query, vec![])]
                .into_iter()
                .chain(variations.iter().map(|settings| (Source::Table, settings.clone())))
                .map(move |(source, settings)| Read {
                    url_options,
                    source,
                    settings: [("db.timezone", time_zone)].into_iter().chain(settings).collect(),
                    ..Read::table(driver, table)
                })
        })
        .collect();
    reads[0].database.sql("tributary", &ddl.replace("{t}", &table)).unwrap();
    for read in reads {
        let confluent: Vec<Value> = {
            let reading = read.clone();
            tokio::task::spawn_blocking(move || reading.confluents_records())
                .await
                .unwrap()
                .into_iter()
                .map(|record| record.unwrap_or_else(|error| panic!("{read:?} cannot read a row: {error}")))
                .collect()
        };
        let tributary = read.tributarys_records(confluent.len()).await;
        let (driver, source) = (read.driver, read.source);
        let settings: Vec<_> = read.settings().collect();
        // Of the known differences, those of the table's columns.
        let columns: BTreeSet<&str> = tributary
            .iter()
            .flat_map(|record| record["schema"]["fields"].as_array().into_iter().flatten())
            .filter_map(|field| field["field"].as_str())
            .collect();
        let known: BTreeSet<&str> = KNOWN_DIFFERENCES
            .iter()
            .filter(|(d, sources, _, _)| *d == driver && sources.contains(&source))
            .map(|(_, _, column, _)| *column)
            .chain(
                SETTING_DIFFERENCES
                    .iter()
                    .filter(|(shown_by, _, _)| {
                        shown_by
                            .iter()
                            .all(|(key, values)| settings.iter().any(|(k, v)| k == key && values.contains(v)))
                    })
                    .map(|(_, column, _)| *column),
            )
            .filter(|column| columns.contains(column))
            .collect();
        let mut seen = BTreeSet::new();
        for (confluent, tributary) in confluent.iter().zip(&tributary) {
            let id = &confluent["payload"]["id"];
            for (field, difference) in differences(confluent, tributary) {
                assert!(
                    known.contains(field.as_str()),
                    "{driver:?}, {source:?}, {settings:?}, row {id}, {field}: {difference}"
                );
                seen.insert(field);
            }
        }
        for column in known {
            assert!(
                seen.contains(column),
                "{driver:?}, {source:?}, {settings:?}: {column} is listed as a known difference but no longer differs"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_become_the_records_confluents_connector_makes_through_pgjdbc() {
    same_records_as_confluents(
        &[(JdbcDriver::Postgres, "")],
        POSTGRES_TABLE,
        "UTC",
        each("numeric.mapping", &NUMERIC_MAPPINGS),
    )
    .await;
}

/// The dates and times of [`ZONED_TIMES`] read in America/New_York through each driver: a
/// timestamp without a zone and a time of day as their wall times there (the repeated hour's
/// later instant, the skipped hour's as the offset before it reads it), a DATE as its day; and
/// the timestamps at each `timestamp.granularity` (through pgjdbc; three of them through the
/// MySQL drivers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_without_a_zone_are_read_in_db_timezone_as_the_jdbc_drivers_read_them() {
    let postgres = ZONED_TIMES
        .replace("{timestamp}", "TIMESTAMP(6)")
        .replace("{timestamptz}", "TIMESTAMPTZ");
    let mariadb = ZONED_TIMES
        .replace("{timestamp}", "DATETIME(6)")
        .replace("{timestamptz}", "TIMESTAMP(6) NULL");
    for (drivers, ddl, granularities) in [
        (
            &[(JdbcDriver::Postgres, "")][..],
            postgres.replace("{offset}", "+00"),
            &TIMESTAMP_GRANULARITIES[..],
        ),
        (
            &[(JdbcDriver::MySqlConnectorJ, ""), (JdbcDriver::MariaDbConnectorJ, "")][..],
            mariadb.replace("{offset}", ""),
            &["nanos_long", "micros_string", "micros_iso_datetime_string"][..],
        ),
    ] {
        let granularities = each("timestamp.granularity", granularities);
        same_records_as_confluents(drivers, &ddl, "America/New_York", granularities).await;
    }
}

/// Dates and times before the Gregorian calendar began (1582-10-15): `{t}` is the table's name,
/// `{timestamp}` and `{timestamptz}` the types of a timestamp without and with a zone, `{offset}`
/// a TIMESTAMPTZ literal's offset; `gap_day` holds a day the cutover skipped (which the
/// databases' calendars have).
const OLD_DATES: &str = "CREATE TABLE {t} (id INT PRIMARY KEY, day DATE, at {timestamp}, at_instant {timestamptz}, \
      gap_day DATE); \
    INSERT INTO {t} VALUES (1, '1000-01-01', '1000-01-01 12:34:56.123456', '1000-01-01 12:34:56.123456{offset}', \
      '1582-10-10'), \
      (2, '1582-10-04', '1582-10-04 23:59:59.999', '1582-10-04 23:59:59.999{offset}', NULL), \
      (3, '1582-10-15', '1582-10-15 00:00:00', '1582-10-15 00:00:00{offset}', NULL), \
      (4, '1500-03-01', '1500-02-28 23:00:00', '1500-03-01 12:00:00{offset}', NULL), \
      (5, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00{offset}', NULL), \
      (6, '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123456{offset}', NULL)";

/// The dates and times of [`OLD_DATES`] read under each `date.calendar.system` through each
/// driver in America/New_York (at a local mean time of 4:56:02 before 1883): Julian dates before
/// the cutover under `LEGACY` (the database's 1000-01-01 is Julian 1000-01-01, five days after
/// Gregorian 1000-01-01), the dates themselves under `PROLEPTIC_GREGORIAN`; and the wall times
/// in ISO text that `micros_iso_datetime_string` makes of them (through pgjdbc: a date before
/// year 1 too, 44 BC).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_before_1582_are_read_in_date_calendar_system_as_the_jdbc_drivers_read_them() {
    let postgres = OLD_DATES
        .replace("{timestamp}", "TIMESTAMP(6)")
        .replace("{timestamptz}", "TIMESTAMPTZ")
        .replace("{offset}", "+00")
        + "; INSERT INTO {t} VALUES (7, '0044-03-15 BC', '0044-03-15 12:00:00 BC', '0044-03-15 12:00:00+00 BC', NULL)";
    // MariaDB's TIMESTAMP starts in 1970.
    let mariadb = OLD_DATES
        .replace("{timestamp}", "DATETIME(6)")
        .replace("{timestamptz}", "DATETIME(6)")
        .replace("{offset}", "")
        + "; ALTER TABLE {t} DROP COLUMN at_instant";
    let (calendar, iso) = (
        ("date.calendar.system", "PROLEPTIC_GREGORIAN"),
        ("timestamp.granularity", "micros_iso_datetime_string"),
    );
    for (drivers, ddl) in [
        (&[(JdbcDriver::Postgres, "")][..], postgres),
        (
            &[(JdbcDriver::MySqlConnectorJ, ""), (JdbcDriver::MariaDbConnectorJ, "")][..],
            mariadb,
        ),
    ] {
        let variations = vec![vec![calendar], vec![iso], vec![calendar, iso]];
        same_records_as_confluents(drivers, &ddl, "America/New_York", variations).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_zero_dates_become_nulls_as_the_jdbc_drivers_read_them() {
    same_records_as_confluents(
        &[
            (JdbcDriver::MariaDbConnectorJ, ""),
            (JdbcDriver::MySqlConnectorJ, "?zeroDateTimeBehavior=CONVERT_TO_NULL"),
        ],
        MARIADB_ZERO_DATES,
        "UTC",
        Vec::new(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_rows_become_the_records_confluents_connector_makes_through_either_driver() {
    same_records_as_confluents(
        &[(JdbcDriver::MySqlConnectorJ, ""), (JdbcDriver::MariaDbConnectorJ, "")],
        MARIADB_TABLE,
        "UTC",
        // The drivers report DECIMAL, which the mapping leaves alone: one shows it.
        each("numeric.mapping", &["best_fit"]),
    )
    .await;
}

/// Values the JDBC driver's getter refuses, so Confluent's task fails on their row: a
/// PostgreSQL BIT(4) of `1111` (getByte reads it as the decimal 1111), an infinite DATE (getDate
/// gives a time that is no midnight, which Connect's Date refuses), a BIGINT UNSIGNED beyond
/// INT64 (getLong, both drivers), a BIT(16) over 255 (MySQL Connector/J's getByte), a MySQL
/// TIME beyond a day or below zero (a duration, no time of day: MySQL Connector/J's getTime
/// refuses it, MariaDB Connector/J's gives a time Connect's Time refuses), a zero DATE through
/// MySQL Connector/J (its default `zeroDateTimeBehavior` refuses it). Tributary's
/// task fails too, naming the column, rather than writing a value Confluent's never would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_confluents_connector_refuses_fail_tributarys_task_too() {
    use JdbcDriver::{MariaDbConnectorJ, MySqlConnectorJ, Postgres};
    let cases = [
        (Postgres, "bits BIT(4)", "B'1111'"),
        (Postgres, "day DATE", "'infinity'"),
        (MySqlConnectorJ, "big_u BIGINT UNSIGNED", "18000000000000000000"),
        (MariaDbConnectorJ, "big_u BIGINT UNSIGNED", "18000000000000000000"),
        (MySqlConnectorJ, "bit16 BIT(16)", "300"),
        (MySqlConnectorJ, "span TIME", "'25:00:00'"),
        (MariaDbConnectorJ, "span TIME", "'-01:00:00'"),
        (MySqlConnectorJ, "day DATE", "'0000-00-00'"),
    ];
    for (driver, column, value) in cases {
        let (read, confluent) = one_row_table(driver, "refused", column, value).await;
        assert!(
            matches!(confluent.as_slice(), [Err(_)]),
            "{driver:?} reads {column} = {value}: {confluent:?}"
        );
        let (_worker, api, name) = read.tributary_connector().await;
        let trace = api.failed_trace(&name, Duration::from_secs(60)).await;
        let column_name = column.split(' ').next().unwrap_or_default();
        assert!(
            trace.contains(&format!("column {column_name}")),
            "{driver:?}, {column} = {value}: Confluent's {confluent:?}, Tributary's {trace}"
        );
    }
}

/// A new table of `column` (and an `id`) holding one row of `value` through `driver`, and the
/// records Confluent's connector makes of it.
async fn one_row_table(
    driver: JdbcDriver,
    prefix: &str,
    column: &str,
    value: &str,
) -> (Read, Vec<Result<Value, String>>) {
    let table = unique_name(prefix).replace('-', "_");
    let read = Read::table(driver, &table);
    let ddl = format!("CREATE TABLE {table} (id INT PRIMARY KEY, {column}); INSERT INTO {table} VALUES (1, {value})");
    read.database.sql("tributary", &ddl).unwrap();
    let confluent = {
        let read = read.clone();
        tokio::task::spawn_blocking(move || read.confluents_records())
            .await
            .unwrap()
    };
    (read, confluent)
}

/// PostgreSQL's MONEY is a DOUBLE to pgjdbc, whose `getDouble` refuses the text of an amount of
/// 1,000 or more (`$1,234.56`, with the C locale's group separator), so Confluent's task fails
/// on it; Tributary's reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_money_of_a_thousand_or_more_fails_confluents_task_and_reads_in_tributarys() {
    let (read, confluent) = one_row_table(JdbcDriver::Postgres, "money", "cash MONEY", "-1234.56").await;
    assert!(
        matches!(confluent.as_slice(), [Err(error)] if error.contains("Bad value for type double")),
        "{confluent:?}"
    );
    let tributary = read.tributarys_records(1).await;
    assert_eq!(tributary[0]["payload"]["cash"], json!(-1234.56), "{tributary:?}");
}
