//! Canonical fields: minimal quoting, `YYYY-MM-DD HH:MM:SS`, `True`/`False`, integers
//! without `.0`, LF. What a table's `encode` writes its fields with.

use crate::model::Timestamp;

/// Where encoded bytes go: memory, or a comparison with a file's bytes.
pub(crate) trait Sink: std::io::Write {
    /// Bytes received so far.
    fn written(&self) -> u64;
}

impl<S: Sink> Sink for &mut S {
    fn written(&self) -> u64 {
        (**self).written()
    }
}

impl Sink for Vec<u8> {
    fn written(&self) -> u64 {
        self.len() as u64
    }
}

/// Writes the fields of rows canonically (reused buffers): what a table's `encode` calls.
pub(crate) struct FieldWriter<S: Sink> {
    w: csv::Writer<S>,
    buf: String,
}

impl<S: Sink> FieldWriter<S> {
    pub(crate) fn new(sink: S) -> Self {
        let w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(sink);
        Self { w, buf: String::new() }
    }

    pub(crate) fn text(&mut self, s: &str) {
        let _ = self.w.write_field(s);
    }

    pub(crate) fn int(&mut self, v: impl Into<u64>) {
        // Digits by hand: `fmt` is the slowest part of writing millions of rows.
        let (mut digits, mut n, mut at) = ([0u8; 20], v.into(), 20);
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let _ = self.w.write_field(&digits[at..]);
    }

    pub(crate) fn opt_int(&mut self, v: Option<u32>) {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    /// A line end after the fields written so far (a header).
    pub(crate) fn end_line(&mut self) {
        let _ = self.w.write_record(None::<&[u8]>);
    }

    /// Hand everything written to the sink.
    pub(crate) fn flush(&mut self) {
        let _ = self.w.flush();
    }

    pub(crate) fn ts(&mut self, t: Option<Timestamp>) {
        if let Some(text) = t.and_then(|t| t.canonical_ascii()) {
            let _ = self.w.write_field(text);
            return;
        }
        self.buf.clear();
        if let Some(t) = t {
            t.write_canonical(&mut self.buf);
        }
        let _ = self.w.write_field(&self.buf);
    }

    pub(crate) fn opt_bool(&mut self, b: Option<bool>) {
        match b {
            Some(b) => self.bool(b),
            None => self.text(""),
        }
    }

    pub(crate) fn bool(&mut self, b: bool) {
        self.text(if b { "True" } else { "False" });
    }

    /// The unknown columns' values (`width` of them), then the line end.
    pub(crate) fn end(&mut self, extra: &[Box<str>], width: usize) {
        for i in 0..width {
            let v = extra.get(i).map_or("", |s| &**s);
            let _ = self.w.write_field(v);
        }
        let _ = self.w.write_record(None::<&[u8]>);
    }

    /// The number of bytes written so far (flushing the csv buffer into the Vec).
    pub(crate) fn position(&mut self) -> u64 {
        let _ = self.w.flush();
        self.w.get_ref().written()
    }
}
