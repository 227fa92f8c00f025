//! A bound on every wait for the server once connected. A server that is frozen (a
//! stopped process, a hung machine whose kernel still acknowledges) never answers and
//! never closes; the sync client would wait for it forever, and keepalives cannot tell.
//! So the work on a database runs on a thread of its own that reports each step it
//! begins (a statement, a chunk of a `COPY`), and the caller gives up when no step has
//! begun for [`QUIET_LIMIT`], saying what the server did not answer. The thread is left
//! behind (its connection closes with the process; the server then rolls back what was
//! not committed).

use super::PgError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the server may stay silent in the middle of an operation.
pub const QUIET_LIMIT: Duration = Duration::from_secs(60);

/// The work's report of progress: the step it is on, and when it began.
#[derive(Clone)]
pub struct Beat {
    started: Instant,
    /// Milliseconds from `started` to the last step begun.
    last: Arc<AtomicU64>,
    what: Arc<Mutex<String>>,
}

impl Beat {
    fn new() -> Self {
        Self { started: Instant::now(), last: Arc::new(AtomicU64::new(0)), what: Arc::new(Mutex::new(String::new())) }
    }

    /// A step begins (its name is what a timeout reports).
    pub fn step(&self, what: impl Into<String>) {
        if let Ok(mut w) = self.what.lock() {
            *w = what.into();
        }
        self.tick();
    }

    /// Progress within the step (a chunk sent or received).
    pub fn tick(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.started.elapsed().saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    fn what(&self) -> String {
        self.what.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

/// Run `work` on its own thread; its result, or an error when it began no step for
/// `quiet`.
pub fn watched<T: Send + 'static>(
    quiet: Duration,
    work: impl FnOnce(&Beat) -> Result<T, PgError> + Send + 'static,
) -> Result<T, PgError> {
    let beat = Beat::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = beat.clone();
    std::thread::Builder::new()
        .name("pg-work".into())
        .spawn(move || {
            tx.send(work(&worker)).ok();
        })
        .map_err(|e| PgError::Refused(format!("cannot start the database work: {e}")))?;
    let poll = (quiet / 4).clamp(Duration::from_millis(20), Duration::from_millis(500));
    loop {
        match rx.recv_timeout(poll) {
            Ok(result) => return result,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PgError::Refused("the database work stopped without an answer".into()));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if beat.quiet_for() > quiet => {
                return Err(PgError::Query {
                    what: beat.what(),
                    why: format!(
                        "the server stopped answering (nothing for {} s: stopped, overloaded, or the network is gone); what was not committed is rolled back",
                        quiet.as_secs()
                    ),
                });
            }
            Err(_) => {}
        }
    }
}
