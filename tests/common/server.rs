//! A PostgreSQL server of one test's own, to restart in the middle of it: made with the
//! distribution's `initdb` and `pg_ctl` (as `.ci/run` makes its server: as the `postgres`
//! user when the tests run as root), on a free local port, trusting local connections,
//! stopped and removed when dropped. Only where the team-database tests run
//! (`PROCEDURES_TEST_PG` set); without the binaries the test says why and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct OwnServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_root: bool,
    port: u16,
    /// The administrator's URL.
    pub url: String,
}

impl OwnServer {
    pub fn start() -> Option<Self> {
        if std::env::var("PROCEDURES_TEST_PG").is_err() {
            eprintln!("skipped: PROCEDURES_TEST_PG is not set (.ci/run starts a PostgreSQL server and sets it)");
            return None;
        }
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| {
                d.filter_map(Result::ok).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect()
            })
            .unwrap_or_default();
        bins.sort_by_key(|b| b.parent().and_then(Path::file_name).and_then(|v| v.to_str()?.parse::<u32>().ok()));
        let Some(bin) = bins.pop() else {
            eprintln!("skipped: no /usr/lib/postgresql/*/bin/initdb to make a server of the test's own");
            return None;
        };
        let as_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = tempfile::Builder::new().prefix("procedures-own-pg").tempdir_in("/tmp").expect("tmp");
        if as_root {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let server = Self { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), dir, bin, as_root, port };
        let data = server.data();
        run(server.command("initdb").args(["-U", "postgres", "--auth=trust", "-D"]).arg(&data));
        server.start_again();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// One of the server's programs, as the user it runs as.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Start the server again after [`OwnServer::stop`].
    pub fn start_again(&self) {
        let options = format!("-c listen_addresses=127.0.0.1 -p {} -k {}", self.port, self.dir.path().display());
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "start"]));
    }

    /// Stop the server (every connection ends, as in a restart) and start it again.
    pub fn restart(&self) {
        self.stop();
        self.start_again();
    }

    /// Stop the server: every connection ends, none is taken until it starts again.
    pub fn stop(&self) {
        run(self.command("pg_ctl").arg("-D").arg(self.data()).args(["-w", "-t", "60", "-m", "fast", "stop"]));
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}

fn run(c: &mut Command) {
    let out = c.output().expect("the program runs");
    assert!(out.status.success(), "{c:?}: {}", String::from_utf8_lossy(&out.stderr));
}
