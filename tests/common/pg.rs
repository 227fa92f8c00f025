//! Databases on the test server `.ci/run` starts (named in `PROCEDURES_TEST_PG`, an
//! administrator's URL): a fresh one per test, and roles for the people of a team.

use procedures::store::pg;

/// A fresh database on the test server, dropped (with the roles made for it) when the
/// guard goes.
pub struct TestDb {
    pub admin: String,
    pub name: String,
    pub url: String,
    roles: Vec<String>,
}

impl TestDb {
    /// `None` (and why, printed) when no test server is named.
    pub fn new(tag: &str) -> Option<Self> {
        let Ok(admin) = std::env::var("PROCEDURES_TEST_PG") else {
            eprintln!("skipped: PROCEDURES_TEST_PG is not set (.ci/run starts a PostgreSQL server and sets it)");
            return None;
        };
        let name = format!("procedures_test_{tag}_{}", std::process::id());
        let mut c = pg::connect(&admin).expect("the test server answers");
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).expect("drop");
        c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create");
        let url = Self::url_on(&admin, &name, None);
        Some(Self { admin, name, url, roles: Vec::new() })
    }

    fn url_on(admin: &str, db: &str, login: Option<(&str, &str)>) -> String {
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        let url = format!("{base}/{db}");
        match login {
            // postgres://user:pw@host:port → postgres://role:secret@host:port
            Some((role, secret)) => {
                let (scheme, rest) = url.split_once("://").expect("a URL");
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                format!("{scheme}://{role}:{secret}@{host}")
            }
            None => url,
        }
    }

    /// A login role for one person of the team (named `people_name` in `people` when
    /// given), and the URL that connects as it.
    pub fn person(&mut self, role: &str, people_name: Option<&str>) -> String {
        // Roles are the server's, not the database's: named after the database too.
        let role = format!("{role}_{}", self.name.trim_start_matches("procedures_test_"));
        let mut c = pg::connect(&self.admin).expect("admin");
        c.batch_execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'secret-{role}'"))
            .expect("role");
        self.roles.push(role.clone());
        if let Some(name) = people_name {
            let mut d = pg::connect(&self.url).expect("admin on the database");
            d.execute("INSERT INTO people (role, name) VALUES ($1, $2)", &[&role, &name]).expect("people");
        }
        Self::url_on(&self.admin, &self.name, Some((&role, &format!("secret-{role}"))))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = pg::connect(&self.admin) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            for r in &self.roles {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {r}"));
            }
        }
    }
}
