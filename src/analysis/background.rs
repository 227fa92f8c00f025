//! The one owner of background work: a named thread per kind of work (analytics, the
//! schedules of Today, the History listing) that computes the newest request only —
//! requests queued while it works are superseded by the last one, never computed — and
//! hands back each result with the time it took, waking the UI. The work may keep state
//! from one request to the next (the schedules' expansions). As rerun's
//! `background_tasks.rs`, in one place instead of a thread per keystroke.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// A background thread computing the newest of the requests it is sent.
pub struct Latest<Job, Out> {
    tx: Sender<Job>,
    rx: Receiver<(Out, Duration)>,
}

impl<Job, Out> std::fmt::Debug for Latest<Job, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Latest")
    }
}

impl<Job: Send + 'static, Out: Send + 'static> Latest<Job, Out> {
    /// Start the thread `name`: `work` computes a request, `wake` is called after each
    /// result (a repaint).
    pub fn spawn(
        name: &str,
        mut work: impl FnMut(Job) -> Out + Send + 'static,
        wake: impl Fn() + Send + 'static,
    ) -> Self {
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel();
        let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            while let Ok(mut job) = jobs.recv() {
                // Only the newest request matters.
                while let Ok(newer) = jobs.try_recv() {
                    job = newer;
                }
                let started = std::time::Instant::now();
                let out = work(job);
                if done.send((out, started.elapsed())).is_err() {
                    break;
                }
                wake();
            }
        });
        if let Err(e) = spawned {
            log::error!("cannot start the {name} thread: {e}");
        }
        Self { tx, rx }
    }

    /// Ask for a result (superseding any request not started yet).
    pub fn request(&self, job: Job) {
        let _ = self.tx.send(job);
    }

    /// The newest result that arrived, if any (older ones are dropped).
    pub fn poll(&self) -> Option<(Out, Duration)> {
        self.rx.try_iter().last()
    }

    /// Wait up to `limit` for the next result (tests).
    pub fn wait(&self, limit: Duration) -> Option<(Out, Duration)> {
        self.rx.recv_timeout(limit).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_queued_while_it_works_give_way_to_the_newest() {
        let (gate_tx, gate) = channel::<()>();
        let worker = Latest::spawn(
            "test",
            move |n: u32| {
                if n == 1 {
                    // Hold the first request until the others are queued.
                    let _ = gate.recv_timeout(Duration::from_secs(10));
                }
                n * 10
            },
            || {},
        );
        worker.request(1);
        std::thread::sleep(Duration::from_millis(50));
        for n in 2..=5 {
            worker.request(n);
        }
        gate_tx.send(()).expect("open the gate");
        let first = worker.wait(Duration::from_secs(10)).expect("the first").0;
        let next = worker.wait(Duration::from_secs(10)).expect("the newest").0;
        assert_eq!((first, next), (10, 50), "2, 3 and 4 were never computed");
        assert!(worker.wait(Duration::from_millis(100)).is_none());
    }
}
