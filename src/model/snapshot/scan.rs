//! What a snapshot's steps ask, read in one scan of JSON as the app (and the original
//! design) writes it: the snapshot's own fields, each once, texts without escapes. Any
//! other JSON gives `None`, and serde ([`super::SnapshotAsks`]) reads it and decides; every
//! JSON this accepts serde accepts too, with the same steps (tested on mutations).
//!
//! Hand-written for the load's budget (`stats` against DuckDB): the check reads every
//! snapshot (25,000, 30 MB of JSON at y1): serde reads them in ~60 ms, this in ~40 ms;
//! what the versions ask, kept with each row, 75 -> 58 ms (BENCHMARKS.md, session 24).

/// Each step's id (when it has one), kind and options, in order.
pub(super) type Steps<'a> = Vec<(Option<u32>, &'a str, &'a str)>;

/// The steps of a snapshot, or `None` for anything but plain JSON of its own fields.
pub(super) fn steps(json: &str) -> Option<Steps<'_>> {
    // No control characters at all (the app's JSON is one line; tabs and line ends
    // between tokens are left to serde): strings then end only at `"` or `\`.
    if json.bytes().fold(u8::MAX, u8::min) < 0x20 {
        return None;
    }
    let mut s = Scan { json, b: json.as_bytes(), i: 0 };
    let mut steps = Vec::new();
    let mut seen = 0u8;
    s.object(|s, key| {
        let k = once(&mut seen, key, &["id", "name", "description", "version", "labels", "steps"])?;
        match k {
            0 | 3 => s.u32().map(drop),
            1 | 2 => s.text(),
            4 => s.array(Scan::text),
            _ => s.array(|s| {
                steps.push(step(s)?);
                Some(())
            }),
        }
    })?;
    // `id`, `name` and `version` are required.
    if seen & 0b1011 != 0b1011 {
        return None;
    }
    s.ws();
    (s.i == s.b.len()).then_some(steps)
}

/// One step object.
fn step<'a>(s: &mut Scan<'a>) -> Option<(Option<u32>, &'a str, &'a str)> {
    const KEYS: &[&str] =
        &["id", "order", "description", "estimated_duration", "kind", "options", "required", "show_if"];
    let (mut id, mut kind, mut options) = (None, "", "");
    let mut seen = 0u8;
    s.object(|s, key| match once(&mut seen, key, KEYS)? {
        0 => {
            id = if s.null() { None } else { Some(s.u32()?) };
            Some(())
        }
        1 => s.u32().map(drop),
        2 | 7 => s.text(),
        3 => {
            if !s.null() {
                s.number()?;
            }
            Some(())
        }
        4 => {
            kind = s.string()?;
            Some(())
        }
        5 => {
            options = s.string()?;
            Some(())
        }
        _ => {
            if !(s.null() || s.word(b"true") || s.word(b"false")) {
                return None;
            }
            Some(())
        }
    })?;
    // `order` and `description` are required.
    (seen & 0b110 == 0b110).then_some((id, kind, options))
}

/// The index of `key` among `keys`, marked seen in `seen`; `None` for an unknown key or
/// one seen before (serde refuses a repeated field).
fn once(seen: &mut u8, key: &str, keys: &[&str]) -> Option<usize> {
    let k = keys.iter().position(|k| *k == key)?;
    let bit = 1u8 << k;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(k)
}

/// A position in the JSON.
struct Scan<'a> {
    json: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    /// Step over JSON's whitespace (only spaces: no control characters came in).
    fn ws(&mut self) {
        while self.b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, taken if it is `c`.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let here = self.b.get(self.i) == Some(&c);
        self.i += usize::from(here);
        here
    }

    /// `w` (a literal), taken if it is next.
    fn word(&mut self, w: &[u8]) -> bool {
        self.ws();
        let here = self.b.get(self.i..).is_some_and(|rest| rest.starts_with(w));
        if here {
            self.i += w.len();
        }
        here
    }

    fn null(&mut self) -> bool {
        self.word(b"null")
    }

    /// A string without escapes or control characters: its text (one with escapes is
    /// left to serde, which unescapes it).
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        let n = crate::bytes::first_of(&self.b[start..], b'"', b'\\')?;
        if self.b[start + n] != b'"' {
            return None;
        }
        self.i = start + n + 1;
        // Cut at ASCII bytes of a `str`: at character boundaries (checked, not copied).
        self.json.get(start..start + n)
    }

    /// A string read and dropped: escapes are checked as serde checks them (a `\u` escape
    /// of half a surrogate pair is left to serde).
    fn text(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        loop {
            let n = crate::bytes::first_of(&self.b[self.i..], b'"', b'\\')?;
            self.i += n;
            match (self.b[self.i], self.b.get(self.i + 1)) {
                (b'"', _) => {
                    self.i += 1;
                    return Some(());
                }
                (b'\\', Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')) => self.i += 2,
                (b'\\', Some(b'u')) => {
                    let hex = self.b.get(self.i + 2..self.i + 6).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
                    let v = hex.iter().fold(0u32, |v, &h| v * 16 + (h as char).to_digit(16).unwrap_or(0));
                    if (0xD800..0xE000).contains(&v) {
                        return None;
                    }
                    self.i += 6;
                }
                _ => return None,
            }
        }
    }

    /// Digits without a leading zero (JSON's integer part), at most 18 of them.
    fn digits(&mut self) -> Option<u64> {
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&c) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            v = v * 10 + u64::from(c - b'0');
            self.i += 1;
            if self.i - start > 18 {
                return None;
            }
        }
        let n = self.i - start;
        (n == 1 || (n > 1 && self.b[start] != b'0')).then_some(v)
    }

    /// A whole number that fits a u32.
    fn u32(&mut self) -> Option<u32> {
        self.ws();
        u32::try_from(self.digits()?).ok()
    }

    /// A number: an optional minus, digits, an optional fraction (no exponent).
    fn number(&mut self) -> Option<()> {
        self.ws();
        self.i += usize::from(self.b.get(self.i) == Some(&b'-'));
        self.digits()?;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let start = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) && self.i - start < 18 {
                self.i += 1;
            }
            if self.i == start || self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
        Some(())
    }

    /// `{ "key": value, ... }`, each value read by `value` after its key and colon.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            value(self, key)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// `[ item, ... ]`, each item read by `item`.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            item(self)?;
            if self.eat(b']') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SnapshotAsks;

    /// What serde reads of the steps, as the scan gives it.
    fn by_serde(json: &str) -> Option<Vec<(Option<u32>, String, String)>> {
        let snap = SnapshotAsks::parse(json).ok()?;
        Some(snap.steps.iter().map(|st| (st.id, st.kind.to_string(), st.options.to_string())).collect())
    }

    /// Whenever the scan reads a JSON, serde reads it too, with the same steps.
    fn agree(json: &str) -> bool {
        match super::steps(json) {
            Some(steps) => {
                let serde = by_serde(json).unwrap_or_else(|| panic!("serde refuses what the scan read: {json}"));
                let steps: Vec<_> = steps.into_iter().map(|(id, k, o)| (id, k.to_owned(), o.to_owned())).collect();
                assert_eq!(steps, serde, "{json}");
                true
            }
            None => false,
        }
    }

    const SAMPLES: &[&str] = &[
        r#"{"id":1,"name":"Opening","description":"Open the café","version":3,"labels":["daily","kitchen"],"steps":[{"id":1,"order":1,"description":"Fridge","estimated_duration":120,"kind":"number","options":"°C 0..5","required":true},{"id":2,"order":2,"description":"Lights","estimated_duration":null,"show_if":"1 < 5"},{"order":3,"description":"Old","estimated_duration":90.5,"kind":"choice","options":"Pass|Fail","required":null}]}"#,
        r#"{"id": 1, "name": "Procedure 1", "version": 1, "steps": [{"order": 1, "description": "Step 1: check item"}, {"order": 2, "description": "Step 2"}]}"#,
        r#"{"id":2,"name":"","version":0,"labels":[],"steps":[]}"#,
        r#" { "id" : 7 , "name":"x" ,"version":1 } "#,
        r#"{"id":1,"name":"a \"q\" \\ \/ \n \u00e9 \t\b\f\r","version":1,"steps":[{"order":1,"description":"\u20AC\"","show_if":"\\"}]}"#,
    ];

    #[test]
    fn the_scan_reads_what_the_app_writes_as_serde_does() {
        for json in SAMPLES {
            assert!(agree(json), "read by the scan: {json}");
        }
        let written = crate::generate::build(crate::generate::Scale::Small, 2);
        for v in written.versions.rows() {
            assert!(agree(&v.procedure_snapshot), "read by the scan: {}", v.procedure_snapshot);
        }
        for json in [
            r#"{"id":1,"name":"a","version":1,"steps":[{"order":1,"description":"d","kind":"a\"b"}]}"#,
            "{ \"id\" : 7 ,\n\t\"name\":\"x\",\r\n\"version\":1 }",
            r#"{"id":1,"name":"a\ud800","version":1}"#,
            r#"{"id":1,"name":"a\x","version":1}"#,
            r#"{"id":1,"name":"a","version":1,"name":"b"}"#,
            r#"{"id":1,"name":"a","version":1,"other":2}"#,
            r#"{"id":1,"name":"a"}"#,
            r#"{"id":01,"name":"a","version":1}"#,
            r#"{"id":4294967296,"name":"a","version":1}"#,
            r#"{"id":1,"name":"a","version":1,}"#,
            r#"{"id":1,"name":"a","version":1} x"#,
            r#"{"id":1,"name":"a","version":1,"steps":[{"order":1,"description":"d","estimated_duration":1e3}]}"#,
            r#"{"id":1,"name":"a","version":1,"steps":[{"order":1}]}"#,
        ] {
            assert!(!agree(json), "left to serde: {json}");
        }
    }

    /// Every sample with one byte taken out, put in or changed, wherever: the scan never
    /// reads a JSON serde refuses, nor reads one differently.
    #[test]
    fn the_scan_never_reads_what_serde_refuses_or_reads_otherwise() {
        let bytes: &[u8] = b"\"\\,:{}[] 0-.e1n\n\x01";
        let (mut read, mut tried) = (0, 0);
        for json in SAMPLES {
            let b = json.as_bytes();
            for i in 0..=b.len() {
                let mut variants: Vec<Vec<u8>> = Vec::new();
                if i < b.len() {
                    variants.push([&b[..i], &b[i + 1..]].concat());
                }
                for &c in bytes {
                    variants.push([&b[..i], &[c], &b[i..]].concat());
                    if i < b.len() {
                        variants.push([&b[..i], &[c], &b[i + 1..]].concat());
                    }
                }
                for v in variants {
                    if let Ok(text) = String::from_utf8(v) {
                        tried += 1;
                        read += usize::from(agree(&text));
                    }
                }
            }
        }
        assert!(read > 100 && read < tried, "{read} of {tried} read by the scan");
    }
}
