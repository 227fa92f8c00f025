//! The team database (issue #16) against a real PostgreSQL server: the one `.ci/run`
//! starts and names in `PROCEDURES_TEST_PG` (an administrator's URL). Without it these
//! tests print why and pass; CI always has one.

mod common;
use common::pg::TestDb;
use common::*;
use procedures::store::{self, TableSet, pg};
use std::time::{Duration, Instant};

#[test]
fn the_schema_is_created_and_migrated_from_an_older_version_keeping_the_data() {
    let Some(db) = TestDb::new("migrate") else { return };
    let mut c = pg::connect(&db.url).expect("connect");
    assert_eq!(pg::schema_version(&mut c).expect("version"), 0);
    assert_eq!(pg::migrate(&mut c, Some(1)).expect("v1"), vec![1]);
    c.batch_execute("INSERT INTO procedures (id, name, version) VALUES (1, 'Kitchen opening', 1)").expect("row");
    let has_schedules: bool = c.query_one("SELECT to_regclass('schedules') IS NOT NULL", &[]).expect("q").get(0);
    assert!(!has_schedules, "version 1 has no schedules");
    assert_eq!(pg::migrate(&mut c, None).expect("newest"), vec![2, 3, 4, 5, 6]);
    assert_eq!(pg::migrate(&mut c, None).expect("again"), Vec::<i32>::new(), "each migration once");
    assert_eq!(pg::schema_version(&mut c).expect("version"), 6);
    let (name, revision): (String, i64) = {
        let r = c.query_one("SELECT name, revision FROM procedures WHERE id = 1", &[]).expect("kept");
        (r.get(0), r.get(1))
    };
    assert_eq!((name.as_str(), revision), ("Kitchen opening", 1));

    // Every change is logged and announced (the payload: its transaction's change
    // position, migration 005): another client hears it within a second.
    let mut listener = pg::connect(&db.url).expect("connect");
    listener.batch_execute("LISTEN procedures").expect("listen");
    c.batch_execute("UPDATE procedures SET name = 'Opening' WHERE id = 1").expect("update");
    let started = Instant::now();
    use postgres::fallible_iterator::FallibleIterator as _;
    let heard = listener.notifications().timeout_iter(Duration::from_secs(1)).next().expect("ok").expect("notified");
    assert!(started.elapsed() < Duration::from_secs(1));
    let logged: (String, String, String) = {
        let r = c
            .query_one(
                "SELECT table_name, row_key, op FROM changes WHERE position = $1::text::bigint",
                &[&heard.payload()],
            )
            .expect("the change the notification names");
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!(logged, ("procedures".into(), "1".into(), "UPDATE".into()));
}

#[test]
fn folder_to_database_to_folder_gives_the_same_files() {
    let Some(db) = TestDb::new("roundtrip") else { return };
    // A generated folder (every feature: values, names, sections, schedules).
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 3).expect("generate");
    let moved = pg::push(src.path(), &db.url).expect("push");
    assert!(moved.rows.iter().any(|(k, n)| *k == store::TableKind::Schedules && *n > 0));
    let back = tempfile::tempdir().expect("tmp");
    let out = back.path().join("pulled");
    pg::pull(&db.url, &out).expect("pull");
    assert_eq!(snapshot_files(&out), snapshot_files(src.path()), "byte for byte");

    // The database reads as the folder does (check, stats).
    let a = store::load(src.path()).expect("folder");
    let b = pg::load_url(&db.url).expect("database");
    assert!(b.problems.is_empty(), "{:?}", b.problems);
    let stats =
        |db: &store::Dataset| serde_json::to_string(&procedures::analysis::stats_report(db, None)).expect("json");
    assert_eq!(stats(&b.db), stats(&a.db));

    // A second push is refused: the database holds data; nothing changed in it.
    let e = pg::push(src.path(), &db.url).expect_err("not empty");
    assert!(e.to_string().contains("already holds data"), "{e}");
    // Pull never writes over a folder.
    let e = pg::pull(&db.url, src.path()).expect_err("a folder with data");
    assert!(e.to_string().contains("never over one"), "{e}");
}

#[cfg(unix)]
#[test]
fn pull_writes_only_the_tables_of_the_target_folder_and_follows_no_link() {
    let Some(db) = TestDb::new("pull_links") else { return };
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 5).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    // A hostile target: the old scratch name is a link to another folder.
    let root = tempfile::tempdir().expect("tmp");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let target = root.path().join("target");
    std::fs::create_dir(&target).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, target.join(".procedures-pull")).expect("link");
    pg::pull(&db.url, &target).expect("pull");
    assert_eq!(std::fs::read_dir(&elsewhere).expect("read").count(), 0, "nothing written through the link");
    assert_eq!(snapshot_files(&target), snapshot_files(src.path()), "the tables, byte for byte");
    // A table that is a link is refused before anything is written.
    let target2 = root.path().join("target2");
    std::fs::create_dir(&target2).expect("mkdir");
    let victim = root.path().join("victim.csv");
    std::fs::write(&victim, "keep me").expect("write");
    std::os::unix::fs::symlink(&victim, target2.join("runs.csv")).expect("link");
    let e = pg::pull(&db.url, &target2).expect_err("refused");
    assert!(e.to_string().contains("never over one"), "{e}");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep me");
    assert_eq!(std::fs::read_dir(&target2).expect("read").count(), 1);
}

#[test]
fn the_pandas_folder_comes_back_as_the_app_writes_it() {
    let Some(db) = TestDb::new("pandas") else { return };
    pg::push(&pandas_fixture(), &db.url).expect("push");
    let out = tempfile::tempdir().expect("tmp");
    let pulled = out.path().join("pulled");
    pg::pull(&db.url, &pulled).expect("pull");
    // The canonical form of the fixture: what the app's first save of every table writes.
    let canonical = copy_of(&pandas_fixture());
    let mut l = store::load(canonical.path()).expect("load");
    l.db.mark_changed(TableSet::all());
    store::save(canonical.path(), &mut l.db).expect("save");
    assert_eq!(snapshot_files(&pulled), snapshot_files(canonical.path()));
}

#[test]
fn a_folder_with_problems_is_not_pushed_and_the_database_stays_empty() {
    let Some(db) = TestDb::new("refused") else { return };
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/38-bad-schedules");
    let e = pg::push(&bad, &db.url).expect_err("problems");
    assert!(e.to_string().contains("checks clean"), "{e}");
    let mut c = pg::connect(&db.url).expect("connect");
    assert_eq!(pg::schema_version(&mut c).expect("version"), 0, "nothing was created");
}

#[test]
fn a_wrong_password_or_an_unreachable_server_is_said_within_ten_seconds() {
    let Some(db) = TestDb::new("auth") else { return };
    // The same server, the wrong password.
    let wrong = match db.url.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.rsplit_once(':').map_or(userinfo, |(u, _)| u);
            let user = if user.ends_with('/') { format!("{user}postgres") } else { user.to_owned() };
            format!("{user}:not-the-password@{host}")
        }
        None => db.url.clone(),
    };
    let started = Instant::now();
    let e = pg::connect(&wrong).map(|_| ()).expect_err("refused");
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = e.to_string();
    assert!(text.contains("password authentication failed") && !text.contains("not-the-password"), "{text}");
    // Nobody listens on this port.
    let started = Instant::now();
    let e = pg::connect("postgres://ann@127.0.0.1:1/kitchen").map(|_| ()).expect_err("unreachable");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(e.to_string().starts_with("cannot connect to postgres://ann@127.0.0.1:1/kitchen:"), "{e}");
    // A malformed URL says so.
    let e = pg::connect("postgres://ann@host:notaport/db").map(|_| ()).expect_err("bad");
    assert!(e.to_string().contains("not a PostgreSQL connection string"), "{e}");
}

#[test]
fn the_command_line_takes_a_url_where_it_takes_a_folder() {
    let Some(db) = TestDb::new("cli") else { return };
    let exe = env!("CARGO_BIN_EXE_procedures");
    let dir = copy_of(&sample_data());
    let run = |args: &[&str]| std::process::Command::new(exe).args(args).output().expect("run");
    let out = run(&["push", &dir.path().to_string_lossy(), &db.url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pushed "));
    let out = run(&["check", &db.url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(": ok (11 procedures"), "{text}");
    let json = |args: &[&str]| String::from_utf8_lossy(&run(args).stdout).into_owned();
    let dir_s = dir.path().to_string_lossy().into_owned();
    assert_eq!(
        json(&["due", &db.url, "--json", "--at", "2026-12-02 08:30"]),
        json(&["due", &dir_s, "--json", "--at", "2026-12-02 08:30"])
    );
    assert_eq!(
        json(&["stats", &db.url, "--json", "--at", "2026-12-02 08:30"]),
        json(&["stats", &dir_s, "--json", "--at", "2026-12-02 08:30"])
    );
    let out = run(&["pull", &db.url, &dir_s]);
    assert_eq!(out.status.code(), Some(2), "never over a folder");
}

/// A connection string is shown only as rebuilt from its parsed settings: no password,
/// however it was written (#28.9). Needs no server.
#[test]
fn passwords_never_show_however_they_are_written() {
    for (url, shown) in [
        ("postgres://ann:S3cr3t@db.example.com/team", "postgres://ann@db.example.com:5432/team"),
        ("postgres://ann@db.example.com/team?password=S3cr3t", "postgres://ann@db.example.com:5432/team"),
        ("postgresql://bob:p%40ss%40word@db:6543/x", "postgres://bob@db:6543/x"),
        (
            "postgres://db.example.com/team?user=ann&password=S3cr3t&sslmode=require",
            "postgres://ann@db.example.com:5432/team",
        ),
    ] {
        assert_eq!(pg::redacted(url), shown, "{url}");
        assert!(pg::has_password(url), "{url}");
    }
    // A password with a raw `@` (not percent-encoded) does not parse: nothing is shown.
    let odd = "postgres://bob:pz@qx@db/x";
    assert!(!pg::redacted(odd).contains("qx"), "{}", pg::redacted(odd));
    // A folder path is shown as it is.
    assert_eq!(pg::redacted("/home/ann/procedures"), "/home/ann/procedures");
    // The command line says so, and never prints the password.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures"))
        .args(["check", "postgres://ann:S3cr3t@127.0.0.1:1/none?connect_timeout=2"])
        .output()
        .expect("runs");
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("S3cr3t"), "{all}");
    assert!(all.contains("PGPASSWORD"), "{all}");
}

/// A server that accepts the connection and never answers: every command says what
/// timed out within the connect timeout, never hangs (#28.8). Needs no server.
#[test]
fn a_silent_server_times_out_with_a_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accept and hold every connection, saying nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let started = Instant::now();
    let url = format!("postgres://ann@127.0.0.1:{port}/team?connect_timeout=2&sslmode=disable");
    let e = pg::connect(&url).map(|_| ()).expect_err("silent");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(e.to_string().contains("timed out after 2 s"), "{e}");
    // The same through the command line, with TLS asked for (the default).
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures"))
        .args(["check", &format!("postgres://ann@127.0.0.1:{port}/team?connect_timeout=2")])
        .output()
        .expect("runs");
    assert!(started.elapsed() < Duration::from_secs(6), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `push` into a database that is not ours is refused, clearly, and leaves nothing
/// behind (#28.10).
#[test]
fn push_refuses_a_database_holding_tables_it_did_not_create() {
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 2).expect("generate");
    let tables = |url: &str| -> Vec<String> {
        let mut c = pg::connect(url).expect("connect");
        c.query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .expect("list")
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    // Someone else's `runs`.
    let Some(db) = TestDb::new("foreign_runs") else { return };
    pg::connect(&db.url).expect("c").batch_execute("CREATE TABLE runs (id text, started date)").expect("create");
    let e = pg::push(src.path(), &db.url).expect_err("refused");
    assert!(e.to_string().contains("tables that Procedures did not create (runs)"), "{e}");
    assert_eq!(tables(&db.url), ["runs"], "nothing left behind");
    // Someone else's migrations table.
    let Some(db) = TestDb::new("foreign_migrations") else { return };
    pg::connect(&db.url)
        .expect("c")
        .batch_execute("CREATE TABLE schema_migrations (version text PRIMARY KEY, dirty boolean)")
        .expect("create");
    let e = pg::push(src.path(), &db.url).expect_err("refused");
    assert!(e.to_string().contains("schema_migrations table that Procedures did not create"), "{e}");
    assert_eq!(tables(&db.url), ["schema_migrations"]);
}

/// A TCP proxy to the test server that stops passing bytes (both ways, keeping the
/// connections open) once `after` bytes went in the direction watched: a server frozen
/// mid-operation, as a stopped process or a hung machine whose kernel still answers.
struct FreezingProxy {
    port: u16,
    /// Set when the test is done with it: the connections close (the server then rolls
    /// back what the frozen client had not committed).
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl FreezingProxy {
    /// `upstream` is host:port; `to_server`: count the bytes sent to the server (else
    /// those it sends back), on all connections together; frozen after `after` bytes.
    fn start(upstream: String, after: usize, to_server: bool) -> Self {
        use std::io::{Read as _, Write as _};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let closing = Arc::clone(&closed);
        // Bytes counted over every connection (a read uses several at once).
        let counted = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { return };
                for (mut from, mut to, counts) in [
                    (client.try_clone().expect("clone"), server.try_clone().expect("clone"), to_server),
                    (server, client, !to_server),
                ] {
                    let (frozen, counted, closing) = (Arc::clone(&frozen), Arc::clone(&counted), Arc::clone(&closing));
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 8192];
                        loop {
                            if closing.load(Ordering::SeqCst) {
                                let _ = from.shutdown(std::net::Shutdown::Both);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            if frozen.load(Ordering::SeqCst) {
                                // Hold the connection, pass nothing (the test ends us).
                                std::thread::sleep(Duration::from_millis(50));
                                continue;
                            }
                            let Ok(n) = from.read(&mut buf) else { return };
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                return;
                            }
                            if counts && counted.fetch_add(n, Ordering::SeqCst) + n >= after {
                                frozen.store(true, Ordering::SeqCst);
                            }
                        }
                    });
                }
            }
        });
        Self { port, closed }
    }
}

/// The URL of `db` through a proxy on `port`.
fn through(url: &str, port: u16) -> (String, String) {
    let cfg: postgres::Config = url.parse().expect("url");
    let host = match &cfg.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(_) => panic!("a TCP test server"),
    };
    let upstream = format!("{host}:{}", cfg.get_ports().first().copied().unwrap_or(5432));
    let at = url.rfind('@').expect("user@host");
    let slash = url[at..].find('/').map(|i| at + i).expect("/db");
    (format!("{}127.0.0.1:{port}{}", &url[..=at], &url[slash..]), upstream)
}

#[test]
fn a_server_frozen_mid_push_or_mid_pull_is_given_up_on_with_what_it_did_not_answer() {
    let Some(db) = TestDb::new("frozen") else { return };
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    let (_, upstream) = through(&db.url, 1);
    // Frozen after 100 KB of the push: in the middle of sending the tables.
    let proxy = FreezingProxy::start(upstream.clone(), 100_000, true);
    let (url, _) = through(&db.url, proxy.port);
    let started = Instant::now();
    let e = pg::push_within(src.path(), &url, Duration::from_secs(2)).expect_err("frozen");
    assert!(started.elapsed() < Duration::from_secs(20), "gave up in {:?}", started.elapsed());
    let words = e.to_string();
    assert!(words.contains("the server stopped answering") && words.contains("nothing for 2 s"), "{words}");
    assert!(words.starts_with("sending ") || words.starts_with("storing "), "says what: {words}");
    // Nothing was committed: once the connection is gone the database is still empty
    // (the push can be done again).
    drop(proxy);
    pg::push(src.path(), &db.url).expect("a push after the frozen one");

    // A pull frozen after 100 KB of what the server sends.
    let proxy = FreezingProxy::start(upstream, 100_000, false);
    let (url, _) = through(&db.url, proxy.port);
    let out = tempfile::tempdir().expect("tmp");
    let started = Instant::now();
    let e = pg::pull_within(&url, &out.path().join("pulled"), Duration::from_secs(2)).expect_err("frozen");
    assert!(started.elapsed() < Duration::from_secs(20), "gave up in {:?}", started.elapsed());
    assert!(e.to_string().contains("reading ") && e.to_string().contains("stopped answering"), "{e}");
    assert!(!out.path().join("pulled").exists(), "nothing written");
}

/// A big database is read over several connections in one snapshot (run_steps split by
/// id, rows in the table's physical order, sorted by the reader): the same rows as one
/// connection reads, rows updated (and so moved) included.
#[test]
fn a_database_read_in_parts_over_several_connections_is_the_same_data() {
    let Some(db) = TestDb::new("parts") else { return };
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 11).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    let mut c = pg::connect(&db.url).expect("connect");
    // Updated rows get new places in the table: the physical order is no longer the ids'.
    c.batch_execute("UPDATE run_steps SET notes = 'moved' WHERE id % 7 = 0").expect("update");
    let whole = pg::load_url(&db.url).expect("one connection");
    for split_from in [1, 100] {
        let parts = pg::load_url_split_from(&db.url, split_from).expect("in parts");
        assert!(parts.problems.is_empty(), "{:?}", parts.problems);
        assert_eq!(parts.db.run_steps.rows(), whole.db.run_steps.rows());
        assert_eq!(parts.db.runs.rows(), whole.db.runs.rows());
        assert_eq!(parts.db.versions.rows(), whole.db.versions.rows());
    }
    let folder = store::load(src.path()).expect("folder");
    assert_eq!(whole.db.run_steps.len(), folder.db.run_steps.len());
    assert!(whole.db.run_steps.rows().iter().filter(|rs| rs.notes() == "moved").count() > 100);
}

/// Times are whole seconds in the database as in the folder: one written by hand with a
/// fraction is stored rounded, and the database still reads clean.
#[test]
fn a_time_written_by_hand_with_a_fraction_is_stored_to_the_second() {
    let Some(db) = TestDb::new("seconds") else { return };
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 4).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    let mut c = pg::connect(&db.url).expect("connect");
    let id: i64 =
        c.query_one("SELECT min(id) FROM run_steps WHERE completed_at IS NOT NULL", &[]).expect("a ticked step").get(0);
    c.execute("UPDATE run_steps SET completed_at = completed_at + interval '0.4 second' WHERE id = $1", &[&id])
        .expect("by hand");
    let loaded = pg::load_url(&db.url).expect("read");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let folder = store::load(src.path()).expect("folder");
    let rs = procedures::model::RunStepId(u32::try_from(id).expect("an id"));
    assert_eq!(loaded.db.run_step(rs).map(|r| r.completed_at()), folder.db.run_step(rs).map(|r| r.completed_at()));
}
