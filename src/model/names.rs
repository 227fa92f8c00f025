//! People's names (`started_by`, `completed_by`), interned: a run step holds two bytes
//! for who ticked it, not a string (millions of rows, a handful of people).

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// A person's name, interned for the process; [`Name::NONE`] when nobody is recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(u16);

struct Names {
    list: Vec<&'static str>,
    index: HashMap<&'static str, u16>,
}

fn names() -> &'static RwLock<Names> {
    static NAMES: OnceLock<RwLock<Names>> = OnceLock::new();
    NAMES.get_or_init(|| RwLock::new(Names { list: vec![""], index: HashMap::new() }))
}

thread_local! {
    /// The last name interned on this thread (a column of names repeats).
    static LAST: std::cell::Cell<(Name, &'static str)> = const { std::cell::Cell::new((Name(0), "")) };
    /// The first names this thread met, looked up without the shared lock (a folder
    /// has a handful of people; two loading threads otherwise take turns on one lock
    /// half a million times).
    static SEEN: std::cell::RefCell<Vec<(&'static str, Name)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many names [`SEEN`] keeps per thread.
const SEEN_MAX: usize = 32;

/// `text` without surrounding whitespace; no scan when it starts and ends with a
/// visible ASCII character (nearly every name).
fn trimmed(text: &str) -> &str {
    let b = text.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

impl Name {
    /// Nobody.
    pub const NONE: Name = Name(0);

    /// The name for `text` (trimmed; empty is [`Name::NONE`]); `None` when the process
    /// already holds 65,535 different names.
    pub fn of(text: &str) -> Option<Name> {
        let t = trimmed(text);
        if t.is_empty() {
            return Some(Name::NONE);
        }
        let (last, last_text) = LAST.get();
        if last_text == t {
            return Some(last);
        }
        let seen = SEEN.with_borrow(|seen| seen.iter().find(|(s, _)| *s == t).copied());
        if let Some((text, name)) = seen {
            LAST.set((name, text));
            return Some(name);
        }
        let found = names().read().ok().and_then(|n| n.index.get(t).copied());
        let id = match found {
            Some(id) => id,
            None => {
                let mut n = names().write().ok()?;
                match n.index.get(t) {
                    Some(id) => *id,
                    None => {
                        let id = u16::try_from(n.list.len()).ok()?;
                        let leaked: &'static str = Box::leak(t.to_owned().into_boxed_str());
                        n.list.push(leaked);
                        n.index.insert(leaked, id);
                        id
                    }
                }
            }
        };
        let text: &'static str = names().read().ok().and_then(|n| n.list.get(usize::from(id)).copied()).unwrap_or("");
        LAST.set((Name(id), text));
        SEEN.with_borrow_mut(|seen| {
            if seen.len() < SEEN_MAX {
                seen.push((text, Name(id)));
            }
        });
        Some(Name(id))
    }

    /// The name as text (empty for nobody).
    pub fn as_str(self) -> &'static str {
        if self.0 == 0 {
            return "";
        }
        names().read().ok().and_then(|n| n.list.get(usize::from(self.0)).copied()).unwrap_or("")
    }

    /// The person logged in to the OS: the real name when the system knows one, else
    /// the login name (what "Your name" defaults to, and the CLI records without `--by`).
    pub fn login_name() -> String {
        let real = whoami::realname();
        if real.trim().is_empty() || real == "Unknown" { whoami::username() } else { real }
    }

    /// Whether nobody is recorded.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_intern_and_read_back() {
        let a = Name::of(" Ann ").expect("room");
        assert_eq!(a, Name::of("Ann").expect("room"));
        assert_eq!(a.as_str(), "Ann");
        assert_ne!(a, Name::of("Bob").expect("room"));
        assert_eq!(Name::of("  "), Some(Name::NONE));
        assert_eq!(Name::NONE.as_str(), "");
    }
}
