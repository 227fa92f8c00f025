//! The team database (CONTRACT "Team database"): a PostgreSQL database with the same
//! tables and columns as a data folder, created and migrated by the app (`migrations/`
//! in the repository), reached with the sync `postgres` client over TLS by rustls.
//!
//! - `mod.rs`: what a URL is, connecting (password from the URL, `PGPASSWORD` or
//!   `~/.pgpass`, never stored by the app; a clear message within 10 s when the server
//!   cannot be reached or refuses), the migrations.
//! - `transfer.rs`: a whole folder into an empty database (`push`, one transaction) and
//!   back out (`pull`, through the folder's own decoders and canonical writer), so
//!   folder → database → folder gives the folder's files back byte for byte.
//! - `read.rs`: a whole database read into memory in one snapshot over several
//!   connections, typed by the folder's decoders (what `check URL` and opening do).
//! - `remote.rs`: a database opened to work on (the window, `run` on a URL): read with
//!   progress and revisions, then a writer thread that writes each op's rows in one
//!   transaction, an update naming the revision it saw; ids reserved in blocks.
//! - `pending.rs`, `offline.rs`: the journal of changes not yet on the server, the
//!   writer's loop that keeps working while the connection is lost, and the sending of
//!   what an earlier session left (issue #32).
//! - `feed.rs`: the change feed — the changes after a position, with their rows, in one
//!   snapshot; a connection that listens for the wake-ups.

mod binary;
mod fast_copy;
mod feed;
mod offline;
mod pending;
mod read;
mod remote;
mod theirs;
mod transfer;
mod watch;

pub use feed::{Batch, Change, ChangeOp, ChangedRows, Feed, Followed};
pub use pending::{FORMAT as PENDING_FORMAT, Journaled, Pending};
pub use remote::{Opened, Remote, Replayed, Written, open, set_blocks};
pub use theirs::{Theirs, row_key_text};
pub use transfer::{Moved, load_url, load_url_split_from, pull, pull_within, push, push_within};
pub use watch::QUIET_LIMIT;

use std::time::Duration;

/// Whether `s` names a team database rather than a folder.
pub fn is_url(s: &str) -> bool {
    let s = s.trim_start();
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The connection string does not parse.
    #[error("{url}: not a PostgreSQL connection string ({why})")]
    BadUrl {
        /// The string, without its password.
        url: String,
        /// The parser's message.
        why: String,
    },
    /// The server could not be reached, or refused us.
    #[error("cannot connect to {url}: {why}")]
    Connect {
        /// Where (without the password).
        url: String,
        /// What the server or the network said.
        why: String,
    },
    /// A statement failed.
    #[error("{what}: {why}")]
    Query {
        /// What was being done.
        what: String,
        /// What the server said.
        why: String,
    },
    /// The database or the folder is not fit for the operation.
    #[error("{0}")]
    Refused(String),
    /// The folder side failed.
    #[error(transparent)]
    Folder(#[from] super::Error),
}

/// `what` failed with the server's words (the database message, not the debug form).
pub(crate) fn query_error(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> PgError {
    let what = what.into();
    move |e| PgError::Query { what, why: server_words(&e) }
}

/// The most useful words of a client error: the server's message and detail when it
/// sent one, else the error itself and its cause.
fn server_words(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_owned(),
        };
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// The connection string as it may be shown: built from its parsed settings (user,
/// hosts, ports, database), so no password gets through however it was written
/// (`user:pw@`, `?password=`, a password with `@` in it). A folder path is shown as is;
/// a string that does not parse is not shown at all.
pub fn redacted(url: &str) -> String {
    if !is_url(url) {
        return url.to_owned();
    }
    // A host with `@` in it is the rest of a password that had an unescaped `@`.
    let odd_host = |c: &postgres::Config| {
        c.get_hosts().iter().any(|h| matches!(h, postgres::config::Host::Tcp(h) if h.contains('@')))
    };
    match url.trim().parse::<postgres::Config>() {
        Ok(config) if !odd_host(&config) => shown(&config),
        _ => {
            "a postgres:// connection string (not shown: it does not parse; write an @ in a password as %40)".to_owned()
        }
    }
}

/// `postgres://user@host:port/database` from parsed settings.
fn shown(config: &postgres::Config) -> String {
    let user = config.get_user().map_or(String::new(), |u| format!("{u}@"));
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                postgres::config::Host::Tcp(h) if h.contains(':') => format!("[{h}]"),
                postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(if ports.len() == 1 { ports.first() } else { None }) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    let db = config.get_dbname().map_or(String::new(), |d| format!("/{d}"));
    format!("postgres://{user}{}{db}", hosts.join(","))
}

/// Whether the connection string carries a password (visible to every user of the
/// machine in the process list when given on a command line).
pub fn has_password(url: &str) -> bool {
    is_url(url) && url.trim().parse::<postgres::Config>().is_ok_and(|c| c.get_password().is_some())
}

/// `url` with `password` put in (percent-encoded), for connecting: the result is kept in
/// memory only and never shown (see [`redacted`]).
pub fn with_password(url: &str, password: &str) -> String {
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    // The user part ends at the first `@` before the host (a URL without one has no user).
    let (user, host) = rest.split_once('@').map_or(("", rest), |(u, h)| (u, h));
    let user = user.split_once(':').map_or(user, |(u, _)| u);
    format!("{scheme}://{user}:{encoded}@{host}")
}

/// Connect to the database `url` names (`postgres://user@host:port/db?sslmode=…`):
/// the password from the URL, else `PGPASSWORD`, else the first matching line of
/// `~/.pgpass` (or `PGPASSFILE`); TLS by rustls unless `sslmode=disable` (`prefer`,
/// the default, falls back to plain when the server has no TLS); at most 10 s to
/// connect unless the URL says `connect_timeout`.
pub fn connect(url: &str) -> Result<postgres::Client, PgError> {
    let shown = redacted(url);
    let config = config_for(url)?;
    // The whole of connecting (TCP, TLS, authentication) within the connect timeout: a
    // server that accepts the connection and then says nothing must not hang us. The
    // client's own timeout covers only the TCP part, so the connect runs on a thread
    // that is left behind if it never answers.
    let limit = connect_limit(config.get_connect_timeout());
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("pg-connect".into()).spawn(move || {
        let connected = match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => config.connect(postgres::NoTls),
            _ => config.connect(tls()),
        };
        tx.send(connected).ok();
    });
    if let Err(e) = spawned {
        return Err(PgError::Connect { url: shown, why: format!("cannot start connecting: {e}") });
    }
    match rx.recv_timeout(limit + Duration::from_millis(500)) {
        Ok(connected) => connected.map_err(|e| PgError::Connect { url: shown, why: server_words(&e) }),
        Err(_) => Err(PgError::Connect {
            url: shown,
            why: format!(
                "timed out after {} s: the server accepted the connection but did not finish connecting (no TLS or authentication answer)",
                limit.as_secs()
            ),
        }),
    }
}

/// How long connecting may take as a whole.
fn connect_limit(set: Option<&Duration>) -> Duration {
    set.copied().unwrap_or(Duration::from_secs(10)).max(Duration::from_secs(1))
}

/// The same settings for the async client (the reader's helpers use it: see `fast_copy`).
fn async_config(url: &str) -> Result<tokio_postgres::Config, PgError> {
    let sync = config_for(url)?;
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e: postgres::Error| PgError::BadUrl { url: redacted(url), why: e.to_string() })?;
    if let Some(pw) = sync.get_password() {
        config.password(pw);
    }
    if let Some(user) = sync.get_user() {
        config.user(user);
    }
    config.connect_timeout(connect_limit(sync.get_connect_timeout()));
    config.keepalives(true).keepalives_idle(Duration::from_secs(30)).keepalives_interval(Duration::from_secs(10));
    config.keepalives_retries(3);
    #[cfg(target_os = "linux")]
    config.tcp_user_timeout(Duration::from_secs(30));
    Ok(config)
}

/// The settings of a connection to `url`: the password from the URL, `PGPASSWORD` or
/// `~/.pgpass`; the user from the URL, `PGUSER` or the login; a 10 s connect timeout
/// unless the URL says otherwise; keepalives.
fn config_for(url: &str) -> Result<postgres::Config, PgError> {
    let shown = redacted(url);
    let mut config: postgres::Config =
        url.parse().map_err(|e: postgres::Error| PgError::BadUrl { url: shown.clone(), why: e.to_string() })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_password().is_none() {
        if let Some(pw) = std::env::var_os("PGPASSWORD") {
            config.password(pw.to_string_lossy().as_bytes());
        } else if let Some(pw) = pgpass_password(&config) {
            config.password(pw.as_bytes());
        }
    }
    if config.get_user().is_none()
        && let Ok(user) = std::env::var("PGUSER").or_else(|_| std::env::var("USER"))
    {
        config.user(&user);
    }
    // A peer that vanishes (a cable pulled, a machine gone) is noticed by the kernel:
    // keepalive probes, and unacknowledged data given up after 30 s.
    config.keepalives(true).keepalives_idle(Duration::from_secs(30)).keepalives_interval(Duration::from_secs(10));
    config.keepalives_retries(3);
    #[cfg(target_os = "linux")]
    config.tcp_user_timeout(Duration::from_secs(30));
    Ok(config)
}

/// rustls with the system's root certificates (ring as the crypto provider).
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tokio_postgres_rustls::MakeRustlsConnect::with_native_certs() {
        Ok((connector, _)) => connector,
        // No system roots: a server certificate cannot be verified (`sslmode=prefer`
        // still connects to a server without TLS).
        Err(_) => tokio_postgres_rustls::MakeRustlsConnect::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
    }
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives for this host, port, database and
/// user (`hostname:port:database:username:password`, `*` matches anything, `\:` and
/// `\\` escaped), as libpq reads it.
fn pgpass_password(config: &postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(_)) => "localhost".to_owned(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default().to_owned();
    let db = config.get_dbname().map_or_else(|| user.clone(), str::to_owned);
    pgpass_lookup(&text, &[&host, &port, &db, &user])
}

/// The password of the first line of a `.pgpass` text whose four fields match `want`.
fn pgpass_lookup(text: &str, want: &[&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let (mut cur, mut chars) = (String::new(), line.chars());
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() == 5 && fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return fields.pop();
        }
    }
    None
}

/// The schema, as versioned migrations (applied in order, each once, in a transaction).
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "tables", include_str!("../../../migrations/001_tables.sql")),
    (2, "schedules and changes", include_str!("../../../migrations/002_schedules_and_changes.sql")),
    (3, "rows, ids and people", include_str!("../../../migrations/003_rows_ids_people.sql")),
    (4, "whole seconds", include_str!("../../../migrations/004_whole_seconds.sql")),
    (5, "change positions", include_str!("../../../migrations/005_change_positions.sql")),
    (6, "applied ops", include_str!("../../../migrations/006_applied_ops.sql")),
];

/// Bring the schema to `up_to` (default: the newest): create what is missing, apply the
/// migrations not applied yet. Returns the versions applied now.
pub fn migrate(client: &mut postgres::Client, up_to: Option<i32>) -> Result<Vec<i32>, PgError> {
    // Asked first: creating it, even "if not exists", needs the right to create tables,
    // which the people of a team need not have once the owner made them.
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .map_err(query_error("reading schema_migrations"))?
        .get(0);
    if !exists {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            )
            .map_err(query_error("creating schema_migrations"))?;
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, ..)| up_to.is_none_or(|u| *v <= u)) {
        let mut tx = client.transaction().map_err(query_error("starting a migration"))?;
        // One migration at a time, whoever else is connecting.
        tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
            .map_err(query_error("locking migrations"))?;
        let done = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version])
            .map_err(query_error("reading schema_migrations"))?
            .is_some();
        if done {
            continue;
        }
        tx.batch_execute(sql).map_err(query_error(format!("migration {version} ({name})")))?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[version, name])
            .map_err(query_error("recording a migration"))?;
        tx.commit().map_err(query_error(format!("committing migration {version}")))?;
        applied.push(*version);
    }
    Ok(applied)
}

/// Every column's SQL type, by (table, column), in the current schema.
pub(super) fn column_types(
    client: &mut postgres::Client,
) -> Result<std::collections::HashMap<(String, String), String>, PgError> {
    Ok(client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema()",
            &[],
        )
        .map_err(query_error("reading the columns"))?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect())
}

/// Refuse a database that holds tables the app did not create: with no
/// `schema_migrations`, any table at all; with one, a `schema_migrations` that is not
/// ours. Checked before anything is created, so a refusal leaves nothing behind.
pub fn refuse_foreign(client: &mut postgres::Client) -> Result<(), PgError> {
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .map_err(query_error("listing the tables"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(());
    }
    if !tables.iter().any(|t| t == "schema_migrations") {
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        let more = if tables.len() > 5 { format!(" and {} more", tables.len() - 5) } else { String::new() };
        return Err(PgError::Refused(format!(
            "this database already holds tables that Procedures did not create ({}{more}); use an empty database (CREATE DATABASE procedures)",
            shown.join(", ")
        )));
    }
    let columns: Vec<(String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations' ORDER BY ordinal_position",
            &[],
        )
        .map_err(query_error("reading schema_migrations"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let ours = [("version", "integer"), ("name", "text"), ("applied_at", "timestamp with time zone")];
    if columns.len() != ours.len() || columns.iter().zip(ours).any(|((n, t), (on, ot))| n != on || t != ot) {
        return Err(PgError::Refused(
            "this database has a schema_migrations table that Procedures did not create (another program's migrations); use an empty database".into(),
        ));
    }
    Ok(())
}

/// The schema version of the database (0: none yet).
pub fn schema_version(client: &mut postgres::Client) -> Result<i32, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .map_err(query_error("reading the schema version"))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(query_error("reading the schema version"))?
        .get(0);
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_passwords_and_pgpass_lines() {
        assert!(is_url("postgres://ann@db/kitchen") && is_url("postgresql://x") && !is_url("data"));
        assert_eq!(redacted("postgres://ann:s3cret@db:5432/k"), "postgres://ann@db:5432/k");
        assert_eq!(redacted("postgres://ann@db/k"), "postgres://ann@db:5432/k");
        let text = "# comment\ndb:5432:other:ann:no\n*:5432:kitchen:ann:pa\\:ss\ndb:*:*:*:last\n";
        assert_eq!(pgpass_lookup(text, &["db", "5432", "kitchen", "ann"]).as_deref(), Some("pa:ss"));
        assert_eq!(pgpass_lookup(text, &["db", "6000", "x", "bob"]).as_deref(), Some("last"));
        assert_eq!(pgpass_lookup(text, &["other", "6000", "x", "bob"]), None);
    }

    #[test]
    fn a_password_typed_in_the_window_goes_into_the_url_and_never_out() {
        let url = with_password("postgres://ann@db:5432/kitchen", "p@ss:w/rd ü");
        let config: postgres::Config = url.parse().expect("parses");
        assert_eq!(config.get_password(), Some("p@ss:w/rd ü".as_bytes()));
        assert_eq!(config.get_user(), Some("ann"));
        assert_eq!(redacted(&url), "postgres://ann@db:5432/kitchen");
        // A password already there is replaced.
        let again = with_password("postgres://ann:old@db/k", "new");
        assert_eq!(again.parse::<postgres::Config>().expect("parses").get_password(), Some(&b"new"[..]));
    }
}
