//! Connecting to the database a JDBC-style connector names: `connection.url` in Confluent's
//! JDBC form (`jdbc:postgresql://…`, `jdbc:mysql://…`, `jdbc:mariadb://…`) or sqlx's own
//! (`postgres://…`, `mysql://…`), `connection.user` and `connection.password` (usually through
//! a config provider) over what the URL carries; the dialect follows from the URL. MySQL's
//! sessions run in UTC (`+00:00`: a named zone needs the server's zone tables), so a TIMESTAMP
//! reads as its instant's UTC wall time; PostgreSQL's in the zone the connector names
//! (`db.timezone`, UTC by default), where a `timestamp` compares with a `timestamptz` as its
//! wall time in that zone. Each session is set up as [`Session`] says. Other `connection.*`
//! keys are JDBC driver properties, as in Confluent's connectors (`connection.sslmode=require`
//! is `?sslmode=require`): read as parameters of a JDBC URL ([`jdbc_url`]).

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};
use tributary_runtime::config::{positive, ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use tributary_runtime::connector::ConnectError;
use url::{form_urlencoded, Url};

use super::session::Session;
use super::types::{MySqlDriver, ZeroDates};

/// How long to wait for a connection from the pool (a database that is down fails this fast).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// `connection.url`.
pub const CONNECTION_URL: Key<String> = Key::new(
    ConfigKey::required(
        "connection.url",
        ConfigType::String,
        "jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db (or postgres://, mysql://).",
    )
    .check(valid_url),
);
/// `connection.user`.
pub const CONNECTION_USER: Key<String> = Key::new(ConfigKey::optional(
    "connection.user",
    ConfigType::String,
    "",
    "The database user (over the URL's).",
));
/// `connection.password`.
pub const CONNECTION_PASSWORD: Key<String> = Key::new(ConfigKey::optional(
    "connection.password",
    ConfigType::Password,
    "",
    "The user's password (use a config provider).",
));
/// `connection.attempts`.
pub const CONNECTION_ATTEMPTS: Key<u32> = Key::new(
    ConfigKey::optional(
        "connection.attempts",
        ConfigType::Int,
        "3",
        "Failed attempts in a row before the task fails.",
    )
    .check(positive),
);
/// `connection.backoff.ms`.
pub const CONNECTION_BACKOFF: Key<Duration> = Key::new(ConfigKey::optional(
    "connection.backoff.ms",
    ConfigType::Long,
    "10000",
    "Wait between attempts.",
));

/// `connection.url` with the driver properties of `config` (its `connection.*` keys that are
/// not the connector's own, as Confluent's connectors hand them to the JDBC driver) as URL
/// parameters, where it is a JDBC URL; a parameter the URL has already keeps its value.
pub fn jdbc_url(config: &ParsedConfig) -> String {
    let mut url = config.value(&CONNECTION_URL);
    if !url.trim_start().starts_with("jdbc:") {
        return url;
    }
    let own = [
        CONNECTION_URL.name(),
        CONNECTION_USER.name(),
        CONNECTION_PASSWORD.name(),
        CONNECTION_ATTEMPTS.name(),
        CONNECTION_BACKOFF.name(),
    ];
    let present: Vec<String> = url
        .split_once('?')
        .map(|(_, query)| {
            form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut properties: Vec<(&str, &str)> = config
        .values()
        .iter()
        .filter(|(key, _)| !own.contains(&key.as_str()))
        .filter_map(|(key, value)| Some((key.strip_prefix("connection.")?, value.as_str())))
        .filter(|(name, _)| !present.iter().any(|p| p == name))
        .collect();
    properties.sort_unstable();
    for (name, value) in properties {
        let pair = form_urlencoded::Serializer::new(String::new())
            .append_pair(name, value)
            .finish();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&pair);
    }
    url
}

/// The connection settings every JDBC-style connector shares.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&CONNECTION_URL)
        .key(&CONNECTION_USER)
        .key(&CONNECTION_PASSWORD)
        .key(&CONNECTION_ATTEMPTS)
        .key(&CONNECTION_BACKOFF)
}

fn valid_url(url: &str) -> Result<(), String> {
    native_url(url).map(|_| ())
}

/// The SQL dialect of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Dialect {
    /// `name` quoted as an identifier.
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A possibly schema-qualified table name (`schema.table`), each part quoted.
    pub fn quote_table(self, table: &str) -> String {
        table
            .split('.')
            .map(|part| self.quote(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The placeholder of the `index`th (1-based) bound parameter.
    pub fn placeholder(self, index: usize) -> String {
        match self {
            Dialect::Postgres => format!("${index}"),
            Dialect::MySql => "?".to_string(),
        }
    }
}

/// A pool of connections to one database.
#[derive(Debug, Clone)]
pub enum Database {
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    MySql(MySqlPool),
}

impl Database {
    /// The pool's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Postgres(_) => Dialect::Postgres,
            Database::MySql(_) => Dialect::MySql,
        }
    }

    /// A lazy pool for the connector's `connection.*` settings, its sessions set up as
    /// `session` says: connections are made when first needed, so a database that is down
    /// shows up as a retriable error then.
    pub fn from_config(config: &ParsedConfig, max_connections: u32, session: &Session) -> Result<Self, ConnectError> {
        let (dialect, url) = native_url(&jdbc_url(config)).map_err(ConnectError::fatal)?;
        let user = Some(config.value(&CONNECTION_USER)).filter(|u| !u.is_empty());
        let password = Some(config.value(&CONNECTION_PASSWORD)).filter(|p| !p.is_empty());
        let url = Url::parse(&url).map_err(|e| ConnectError::caused("connection.url", e))?;
        match dialect {
            Dialect::Postgres => {
                let mut options = PgConnectOptions::from_url(&url)
                    .map_err(|e| ConnectError::caused("connection.url", e))?
                    .disable_statement_logging();
                if let Some(user) = &user {
                    options = options.username(user);
                }
                if let Some(password) = &password {
                    options = options.password(password);
                }
                let mut pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT);
                // sqlx starts each session in UTC (a startup parameter, over the URL's options).
                let zone = Some(session.time_zone.name().to_string()).filter(|_| !session.time_zone.is_utc());
                let isolation = session.isolation.statement(Dialect::Postgres);
                if zone.is_some() || isolation.is_some() {
                    pool = pool.after_connect(move |connection, _| {
                        let (zone, isolation) = (zone.clone(), isolation.clone());
                        Box::pin(async move {
                            if let Some(zone) = zone {
                                sqlx::query("SELECT set_config('TimeZone', $1, false)")
                                    .bind(zone)
                                    .execute(&mut *connection)
                                    .await?;
                            }
                            if let Some(isolation) = isolation {
                                connection.execute(isolation.as_str()).await?;
                            }
                            Ok(())
                        })
                    });
                }
                Ok(Database::Postgres(pool.connect_lazy_with(options)))
            }
            Dialect::MySql => {
                let mut options = MySqlConnectOptions::from_url(&url)
                    .map_err(|e| ConnectError::caused("connection.url", e))?
                    .timezone(Some("+00:00".to_string()))
                    .disable_statement_logging();
                if let Some(user) = &user {
                    options = options.username(user);
                }
                if let Some(password) = &password {
                    options = options.password(password);
                }
                let mut pool = MySqlPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT);
                if let Some(isolation) = session.isolation.statement(Dialect::MySql) {
                    pool = pool.after_connect(move |connection, _| {
                        let isolation = isolation.clone();
                        Box::pin(async move { connection.execute(isolation.as_str()).await.map(|_| ()) })
                    });
                }
                Ok(Database::MySql(pool.connect_lazy_with(options)))
            }
        }
    }

    /// Runs statements that return nothing (DDL).
    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Database::Postgres(pool) => pool.execute(sql).await.map(|_| ()),
            Database::MySql(pool) => pool.execute(sql).await.map(|_| ()),
        }
    }

    /// Closes the pool's connections.
    pub async fn close(&self) {
        match self {
            Database::Postgres(pool) => pool.close().await,
            Database::MySql(pool) => pool.close().await,
        }
    }
}

/// The name of the database `connection.url` names (the path of the URL).
pub fn database_name(config: &ParsedConfig) -> Result<String, ConnectError> {
    let (_, url) = native_url(&jdbc_url(config)).map_err(ConnectError::fatal)?;
    let url = Url::parse(&url).map_err(|e| ConnectError::caused("connection.url", e))?;
    Ok(url.path().trim_start_matches('/').to_string())
}

/// What a MySQL zero date is read as under `connection.url`: NULL with MariaDB Connector/J
/// (`jdbc:mariadb://`) or where MySQL Connector/J's URL says
/// `zeroDateTimeBehavior=CONVERT_TO_NULL` (or `convertToNull`), else refused (its default).
pub fn zero_dates(url: &str) -> ZeroDates {
    if mysql_driver(url) == MySqlDriver::MariaDb {
        return ZeroDates::Null;
    }
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let null = query.split('&').any(|pair| {
        pair.split_once('=').is_some_and(|(key, value)| {
            key == "zeroDateTimeBehavior" && value.replace('_', "").eq_ignore_ascii_case("converttonull")
        })
    });
    if null {
        ZeroDates::Null
    } else {
        ZeroDates::Refused
    }
}

/// The JDBC driver `connection.url` names for MySQL/MariaDB: MariaDB Connector/J for
/// `jdbc:mariadb://` (and `mariadb://`), MySQL Connector/J otherwise.
pub fn mysql_driver(url: &str) -> MySqlDriver {
    let url = url.trim_start();
    if url.starts_with("jdbc:mariadb://") || url.starts_with("mariadb://") {
        MySqlDriver::MariaDb
    } else {
        MySqlDriver::ConnectorJ
    }
}

/// The dialect and the sqlx URL for `connection.url`, JDBC-style or native. Of a JDBC URL's
/// parameters, `user`, `password` and the TLS ones are kept (PostgreSQL's `sslmode`,
/// `sslrootcert`, and the client certificate's `sslcert` and `sslkey`; MySQL's `sslMode` or
/// `useSSL`, MariaDB's `sslMode` and `serverSslCert`, as sqlx's `ssl-mode` and `ssl-ca`);
/// other driver-specific ones are dropped. PostgreSQL's `sslpassword` (of an encrypted key,
/// which Tributary does not read) is refused.
pub fn native_url(url: &str) -> Result<(Dialect, String), String> {
    let url = url.trim();
    let shown = without_password(url);
    let (dialect, rest) = [
        ("jdbc:postgresql://", Dialect::Postgres),
        ("postgresql://", Dialect::Postgres),
        ("postgres://", Dialect::Postgres),
        ("jdbc:mysql://", Dialect::MySql),
        ("jdbc:mariadb://", Dialect::MySql),
        ("mysql://", Dialect::MySql),
        ("mariadb://", Dialect::MySql),
    ]
    .iter()
    .find_map(|(prefix, dialect)| url.strip_prefix(prefix).map(|rest| (*dialect, rest)))
    .ok_or_else(|| {
        format!("connection.url {shown:?} is not a PostgreSQL or MySQL/MariaDB URL (jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb://, postgres://, mysql://)")
    })?;
    let scheme = match dialect {
        Dialect::Postgres => "postgres",
        Dialect::MySql => "mysql",
    };
    let mut parsed = Url::parse(&format!("{scheme}://{rest}")).map_err(|e| format!("connection.url {shown:?}: {e}"))?;
    if url.starts_with("jdbc:") {
        if dialect == Dialect::Postgres && parsed.query_pairs().any(|(key, _)| key == "sslpassword") {
            return Err(format!(
                "connection.url {shown:?}: sslpassword (an encrypted client key) is not supported: give \
                 sslkey the key unencrypted (openssl pkey -in <key> -out <unencrypted key>)"
            ));
        }
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(key, value)| native_parameter(dialect, &key, &value))
            .collect();
        parsed.set_query(None);
        for (key, value) in kept {
            match key.as_str() {
                "user" => parsed
                    .set_username(&value)
                    .map_err(|_| format!("connection.url {shown:?}: bad user"))?,
                "password" => parsed
                    .set_password(Some(&value))
                    .map_err(|_| format!("connection.url {shown:?}: bad password"))?,
                _ => {
                    parsed.query_pairs_mut().append_pair(&key, &value);
                }
            }
        }
    }
    Ok((dialect, parsed.to_string()))
}

/// `url` with its password (`user:password@`, or a parameter whose name ends in `password`)
/// replaced by `[hidden]`, for messages that reach logs, statuses and validation answers.
pub fn without_password(url: &str) -> String {
    const HIDDEN: &str = "[hidden]";
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..].find(['/', '?']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i) {
            if let Some(colon) = out[start..at].find(':').map(|i| start + i) {
                out.replace_range(colon + 1..at, HIDDEN);
            }
        }
    }
    let mut search = 0;
    while let Some(found) = out[search..].to_ascii_lowercase().find("password=").map(|i| search + i) {
        // A parameter whose name ends in `password` (`password`, `sslpassword`,
        // `trustStorePassword`...).
        let preceded = out[..found].contains(['?', ';']);
        let value_start = found + "password=".len();
        let value_end = out[value_start..]
            .find(['&', ';'])
            .map_or(out.len(), |i| value_start + i);
        if preceded {
            out.replace_range(value_start..value_end, HIDDEN);
            search = value_start + HIDDEN.len();
        } else {
            search = value_start;
        }
    }
    out
}

/// A JDBC URL parameter as sqlx's (`None` for one Tributary does not use).
fn native_parameter(dialect: Dialect, key: &str, value: &str) -> Option<(String, String)> {
    let kept = |key: &str, value: &str| Some((key.to_string(), value.to_string()));
    match (dialect, key) {
        (_, "user" | "password") => kept(key, value),
        (Dialect::Postgres, "sslmode" | "sslrootcert" | "sslcert" | "sslkey") => kept(key, value),
        // MySQL Connector/J (DISABLED … VERIFY_IDENTITY) and MariaDB Connector/J (disable,
        // trust, verify-ca, verify-full).
        (Dialect::MySql, "sslMode") => {
            let mode = match value.to_ascii_lowercase().replace('-', "_").as_str() {
                "disabled" | "disable" => "disabled",
                "preferred" => "preferred",
                "required" | "trust" => "required",
                "verify_ca" => "verify_ca",
                "verify_identity" | "verify_full" => "verify_identity",
                _ => return None,
            };
            kept("ssl-mode", mode)
        }
        (Dialect::MySql, "useSSL") => kept(
            "ssl-mode",
            if value.eq_ignore_ascii_case("true") {
                "required"
            } else {
                "disabled"
            },
        ),
        (Dialect::MySql, "serverSslCert") => kept("ssl-ca", value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_connection_keys_are_driver_properties_as_url_parameters() {
        let config = |pairs: &[(&str, &str)]| {
            let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            config_def().parse(&map).unwrap()
        };
        let url = jdbc_url(&config(&[
            ("connection.url", "jdbc:postgresql://db/shop?sslmode=disable"),
            ("connection.user", "app"),
            ("connection.attempts", "5"),
            ("connection.sslmode", "require"),
            ("connection.sslrootcert", "/etc/ca dir/ca.pem"),
        ]));
        assert_eq!(
            url,
            "jdbc:postgresql://db/shop?sslmode=disable&sslrootcert=%2Fetc%2Fca+dir%2Fca.pem"
        );
        assert_eq!(
            native_url(&url).unwrap().1,
            "postgres://db/shop?sslmode=disable&sslrootcert=%2Fetc%2Fca+dir%2Fca.pem"
        );
        let native = config(&[
            ("connection.url", "postgres://db/shop"),
            ("connection.sslmode", "require"),
        ]);
        assert_eq!(jdbc_url(&native), "postgres://db/shop");
    }

    #[test]
    fn jdbc_urls_become_native_ones() {
        assert_eq!(
            native_url("jdbc:postgresql://db:5432/shop?user=app&password=s3cret&ApplicationName=x").unwrap(),
            (Dialect::Postgres, "postgres://app:s3cret@db:5432/shop".to_string())
        );
        assert_eq!(
            native_url("jdbc:mysql://db:3306/shop?useSSL=false&allowPublicKeyRetrieval=true").unwrap(),
            (Dialect::MySql, "mysql://db:3306/shop?ssl-mode=disabled".to_string())
        );
        assert_eq!(native_url("jdbc:mariadb://db/shop").unwrap().0, Dialect::MySql);
        assert_eq!(
            native_url("jdbc:postgresql://db/shop?sslmode=verify-full&sslrootcert=/ca.pem&sslfactory=x").unwrap(),
            (
                Dialect::Postgres,
                "postgres://db/shop?sslmode=verify-full&sslrootcert=%2Fca.pem".to_string()
            )
        );
        assert_eq!(
            native_url("jdbc:mysql://db/shop?sslMode=VERIFY_IDENTITY").unwrap().1,
            "mysql://db/shop?ssl-mode=verify_identity"
        );
        assert_eq!(
            native_url("jdbc:mariadb://db/shop?sslMode=verify-ca&serverSslCert=/ca.pem")
                .unwrap()
                .1,
            "mysql://db/shop?ssl-mode=verify_ca&ssl-ca=%2Fca.pem"
        );
        assert_eq!(
            native_url("postgres://u@db/shop?sslmode=disable").unwrap(),
            (Dialect::Postgres, "postgres://u@db/shop?sslmode=disable".to_string())
        );
    }

    #[test]
    fn a_postgres_client_certificate_is_kept_and_an_encrypted_key_refused() {
        assert_eq!(
            native_url("jdbc:postgresql://db/shop?sslmode=require&sslcert=/c.crt&sslkey=/c.key").unwrap(),
            (
                Dialect::Postgres,
                "postgres://db/shop?sslmode=require&sslcert=%2Fc.crt&sslkey=%2Fc.key".to_string()
            )
        );
        let refused = native_url("jdbc:postgresql://db/shop?sslkey=/c.pk8&sslpassword=secret").unwrap_err();
        assert!(
            refused.contains("sslpassword (an encrypted client key) is not supported"),
            "{refused}"
        );
        assert!(!refused.contains("secret"), "{refused}");
    }

    #[test]
    fn a_mariadb_url_names_mariadbs_driver() {
        assert_eq!(mysql_driver("jdbc:mariadb://db/shop"), MySqlDriver::MariaDb);
        assert_eq!(zero_dates("jdbc:mariadb://db/shop"), ZeroDates::Null);
        assert_eq!(zero_dates("jdbc:mysql://db/shop"), ZeroDates::Refused);
        assert_eq!(
            zero_dates("jdbc:mysql://db/shop?useSSL=false&zeroDateTimeBehavior=CONVERT_TO_NULL"),
            ZeroDates::Null
        );
        assert_eq!(
            zero_dates("jdbc:mysql://db/shop?zeroDateTimeBehavior=convertToNull"),
            ZeroDates::Null
        );
        assert_eq!(
            zero_dates("jdbc:mysql://db/shop?zeroDateTimeBehavior=EXCEPTION"),
            ZeroDates::Refused
        );
        assert_eq!(mysql_driver(" mariadb://db/shop"), MySqlDriver::MariaDb);
        assert_eq!(mysql_driver("jdbc:mysql://db/shop"), MySqlDriver::ConnectorJ);
        assert_eq!(mysql_driver("mysql://db/shop"), MySqlDriver::ConnectorJ);
    }

    #[test]
    fn other_urls_are_refused_with_the_accepted_forms() {
        let error = native_url("jdbc:oracle:thin:@db:1521/x").unwrap_err();
        assert_eq!(
            without_password("jdbc:postgresql://db/x?user=u&password=p4ss&ssl=true"),
            "jdbc:postgresql://db/x?user=u&password=[hidden]&ssl=true"
        );
        assert_eq!(
            without_password("postgres://u:p4ss@db:5432/x"),
            "postgres://u:[hidden]@db:5432/x"
        );
        assert_eq!(
            without_password("mysql://db/x;password=p;x=1"),
            "mysql://db/x;password=[hidden];x=1"
        );
        assert_eq!(
            without_password("jdbc:postgresql://db/x?sslkey=/k&sslpassword=p4ss&sslmode=require"),
            "jdbc:postgresql://db/x?sslkey=/k&sslpassword=[hidden]&sslmode=require"
        );
        let error_with_secret = native_url("jdbc:sqlserver://db;password=p4ss").unwrap_err();
        assert!(!error_with_secret.contains("p4ss"), "{error_with_secret}");
        assert!(error.contains("jdbc:postgresql://"), "{error}");
    }

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        assert_eq!(Dialect::Postgres.quote_table("public.my\"t"), "\"public\".\"my\"\"t\"");
        assert_eq!(Dialect::MySql.quote_table("shop.orders"), "`shop`.`orders`");
    }
}
