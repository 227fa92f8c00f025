//! Liberal, typed reading of one table file.
//!
//! Columns are found by header name in any order; unknown columns are kept.
//! Every problem is reported with file, line (where the record starts) and column,
//! and the faulty record is left out of the table (the folder then opens read-only).

pub(crate) mod fast;
mod fields;
mod progress;
mod source;
mod split;
mod tokenize;

pub(crate) use crate::model::{DAY_CACHE_START, DayCache};
pub(crate) use fast::FastDecode;
pub(crate) use fields::{Fields, MAX_FIELD_BYTES};
pub use progress::LoadProgress;
pub(crate) use source::Overlay;
pub(crate) use split::{PARALLEL_FROM_BYTES, append_moving};

use super::error::{Error, Problem};
use super::kind::TableKind;
use crate::model::Row;
use progress::Counting;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;
use tokenize::Part;

pub(crate) use super::line_list::LineList;

/// Rows of one file, sorted by key, with the line each came from.
pub(crate) struct ReadTable<R> {
    pub rows: Vec<R>,
    /// The line of each row (a run, while they follow on).
    pub lines: LineList,
    pub extra_columns: Vec<String>,
    pub problems: Vec<Problem>,
    /// Which of the table's new columns the file has (see `Schema::NEW`).
    pub new_columns: u8,
}

impl<R> ReadTable<R> {
    /// No rows, no problems (a missing or empty file).
    pub(crate) fn empty() -> Self {
        Self {
            rows: Vec::new(),
            lines: LineList::default(),
            extra_columns: Vec::new(),
            problems: Vec::new(),
            new_columns: 0,
        }
    }
}

/// Read and type one table file with the given decoder (tests compare decoders).
#[cfg(test)]
pub(crate) fn read_table<R: Row + Send>(
    dir: &Path,
    kind: TableKind,
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    progress: Option<&LoadProgress>,
) -> Result<ReadTable<R>, Error> {
    read_table_fast(dir, kind, kind.columns(), kind.optional_columns(), decode, None, progress, None)
}

/// [`read_table`], with a decoder for the lines the app writes, and the end an
/// interrupted save gives the file, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_table_fast<R: Row + Send>(
    dir: &Path,
    kind: TableKind,
    columns: &'static [&'static str],
    optional: &'static [&'static str],
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    fast: Option<FastDecode<R>>,
    progress: Option<&LoadProgress>,
    overlay: Option<Overlay<'_>>,
) -> Result<ReadTable<R>, Error> {
    let file_name = kind.file_name();
    let path = dir.join(file_name);
    let mut out = ReadTable::empty();
    // Only a regular file is a table: a FIFO would block the open forever, a directory
    // or a device (a link to /dev/zero) is no CSV. Looked at before opening anything.
    // A symbolic link to a regular file is read (so its data shows) but is a problem:
    // the app writes only regular files inside the folder, never through a link.
    let linked = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()).then(|| {
        Problem::new(
            file_name,
            0,
            None,
            "is a symbolic link: the app reads it but writes only regular files inside the folder (replace the link with the file itself)",
        )
    });
    match std::fs::metadata(&path) {
        Ok(meta) if !meta.is_file() => {
            let what = not_regular(&meta.file_type());
            return Err(Error::io(
                path,
                std::io::Error::other(format!("is {what}, not a regular file: cannot be read")),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A table an interrupted save creates whole: read as that save meant it.
            if let Some(o) = overlay.filter(|o| o.offset == 0 && o.holds()) {
                return read_source(
                    kind,
                    columns,
                    optional,
                    decode,
                    fast,
                    progress,
                    source::Source::bytes(&path, o.tail),
                );
            }
            out.problems.extend(linked);
            return Ok(out);
        }
        Err(e) => return Err(Error::io(path, e)),
    }
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(path, e)),
    };
    // A save writes the end of this file in place under an exclusive lock (`Io::write_at`):
    // a shared one while reading means the reader never sees it half-written. (Best effort:
    // a file system without locks is read without.)
    let _ = file.lock_shared();
    let overlay = overlay.filter(|o| o.holds_for(&file));
    let source = source::Source::new(&path, &file, file.metadata().map_err(|e| Error::io(&path, e))?.len(), overlay);
    let mut out = read_source(kind, columns, optional, decode, fast, progress, source)?;
    out.problems.extend(linked);
    Ok(out)
}

/// Read and type a table from bytes in memory (a table the team database sent, in the
/// folder's spelling), as [`read_table_fast`] reads its file: the same decoders and
/// messages, lines counted from the header.
pub(crate) fn read_bytes_fast<R: Row + Send>(
    kind: TableKind,
    columns: &'static [&'static str],
    optional: &'static [&'static str],
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    fast: Option<FastDecode<R>>,
    bytes: &[u8],
) -> Result<ReadTable<R>, Error> {
    let path = Path::new(kind.file_name());
    read_source(kind, columns, optional, decode, fast, None, source::Source::bytes(path, bytes))
}

/// The reading of [`read_table_fast`] once the bytes are found.
fn read_source<R: Row + Send>(
    kind: TableKind,
    columns: &'static [&'static str],
    optional: &'static [&'static str],
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    fast: Option<FastDecode<R>>,
    progress: Option<&LoadProgress>,
    source: source::Source<'_>,
) -> Result<ReadTable<R>, Error> {
    let file_name = kind.file_name();
    let path = source.path.to_path_buf();
    let overlay = source.overlay;
    let mut out = ReadTable::empty();
    let file_len = source.len;
    if file_len == 0 {
        return Ok(out);
    }
    let counter = progress.map(|p| &p.read[kind as usize]);
    let bytes = source.read_from(0, file_len).map_err(|e| Error::io(&path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, Counting { inner: bytes, counter }));

    // Header.
    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Ok(out),
        Err(e) => {
            out.problems.push(csv_problem(file_name, &e));
            return Ok(out);
        }
    }
    let known = columns;
    let mut cols: Vec<Option<usize>> = vec![None; known.len()];
    let mut extra_idx = Vec::new();
    let mut extra_seen = std::collections::HashSet::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            out.problems.push(Problem::new(file_name, 1, None, format!("header field {} is not valid UTF-8", i + 1)));
            return Ok(out);
        };
        let name = name.trim_start_matches('\u{feff}').trim();
        match known.iter().position(|k| *k == name) {
            Some(c) if cols[c].is_some() => {
                out.problems.push(Problem::new(file_name, 1, Some(name), "column appears twice in the header"));
            }
            Some(c) => cols[c] = Some(i),
            None => {
                // A set, not a scan of the names so far: a header of a million columns
                // is read in linear time.
                if !extra_seen.insert(name) {
                    out.problems.push(Problem::new(file_name, 1, Some(name), "column appears twice in the header"));
                }
                extra_idx.push(i);
                out.extra_columns.push(name.to_owned());
            }
        }
    }
    if header.len() == 1 && header.get(0).is_some_and(|h| h.contains(&b';')) {
        out.problems.push(Problem::new(
            file_name,
            1,
            None,
            "the columns are separated by ; (a spreadsheet's export?): save the file as comma-separated CSV",
        ));
        return Ok(out);
    }
    for (c, name) in known.iter().enumerate() {
        if cols[c].is_none() && !optional.contains(name) {
            let expected = known[..kind.new_from()].join(",");
            out.problems.push(Problem::new(
                file_name,
                1,
                Some(name),
                format!("missing column (the header must name the columns {expected})"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return Ok(out);
    }
    let width = header.len();
    // The new columns the file has; the layout is canonical when the known columns it
    // has come in canonical order, first, with nothing else (then the fast path reads it).
    let new_from = kind.new_from();
    out.new_columns = (new_from..known.len()).filter(|c| cols[*c].is_some()).fold(0, |m, c| m | (1 << (c - new_from)));
    let present: Vec<usize> = (0..known.len()).filter(|c| cols[*c].is_some()).collect();
    let canonical = width == present.len()
        && (0..new_from).all(|c| cols[c].is_some())
        && present.iter().enumerate().all(|(k, c)| cols[*c] == Some(k));
    let fast = fast.filter(|_| canonical);
    let data_start = rdr.position().byte();
    let data_line = rdr.position().line();
    let part = Part { file_name, columns, source, width, cols: &cols, extra_idx: &extra_idx, new: out.new_columns };

    // A big file is parsed in parts, by as many threads as there are cores (whichever
    // comes free takes the next part, of this file or another: see `store::load`).
    let big = file_len >= PARALLEL_FROM_BYTES.load(Ordering::Relaxed);
    let cuts = if big && (overlay.is_none() || source.in_memory()) {
        split::cuts(&source, data_start, file_len)
    } else {
        Vec::new()
    };
    let all = split::parse_parts(data_start, data_line, &cuts, |start, line, end| {
        part.parse(start, line, end, counter, &decode, fast)
    })?;
    out.rows = all.rows;
    out.lines = all.lines;
    out.problems = all.problems;
    if !all.in_order {
        sort_and_dedupe(&mut out, file_name, kind, columns[0]);
    }
    Ok(out)
}

/// A later part's file lines and problems after the ones before: its lines, counted from
/// 1 (or 2), moved on by `shift`, as are its problems' (those with a line).
fn append_counted(
    (lines, problems): (&mut LineList, &mut Vec<Problem>),
    (mut more_lines, mut more_problems): (LineList, Vec<Problem>),
    shift: u64,
) {
    more_lines.shift(shift);
    more_problems.iter_mut().filter(|p| p.line > 0).for_each(|p| p.line += shift);
    lines.append(more_lines);
    problems.append(&mut more_problems);
}

/// Parts of one table read apart, in order (each part's lines counted from 2): one
/// table, lines counted on, sorted by key with duplicates reported; the rows moved into
/// one vector as a file's parts are ([`split::move_all`]).
pub(crate) fn join_parts<R: Row + Send>(kind: TableKind, parts: Vec<ReadTable<R>>) -> ReadTable<R> {
    let mut parts = parts.into_iter();
    let Some(mut out) = parts.next() else { return ReadTable::empty() };
    let mut rows = Vec::new();
    let mut before = out.rows.len();
    for part in parts {
        append_counted((&mut out.lines, &mut out.problems), (part.lines, part.problems), before as u64);
        before += part.rows.len();
        rows.push(part.rows);
    }
    split::move_all(&mut out.rows, rows);
    sort_and_dedupe(&mut out, kind.file_name(), kind, kind.columns()[0]);
    out
}

/// What a file that is not a regular file is, in words.
fn not_regular(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() { "a directory" } else { "not a file" }
}

fn csv_problem(file: &str, e: &csv::Error) -> Problem {
    let line = e.position().map_or(0, csv::Position::line);
    Problem::new(file, line, None, format!("cannot parse CSV: {e}"))
}

/// `rows` in (key, line) order. Rows come nearly sorted (a database's table in page
/// order: the rows updated since they were inserted sit at the end): the rows that keep
/// the order are kept as they are, only the others are sorted, and the two are merged,
/// in linear time when few are out of place (a whole sort of y1's 5,000,000 run steps
/// with 450 out of place took 0.5 s).
fn sorted_by_key<R: Row>(rows: impl Iterator<Item = (R, u64)>) -> impl Iterator<Item = (R, u64)> {
    let mut kept: Vec<(R, u64)> = Vec::with_capacity(rows.size_hint().0);
    let mut stray: Vec<(R, u64)> = Vec::new();
    for (r, line) in rows {
        match kept.last() {
            Some((last, _)) if last.key() > r.key() => stray.push((r, line)),
            _ => kept.push((r, line)),
        }
    }
    stray.sort_by_key(|(r, line)| (r.key(), *line));
    let (mut kept, mut stray) = (kept.into_iter().peekable(), stray.into_iter().peekable());
    std::iter::from_fn(move || match (kept.peek(), stray.peek()) {
        (Some((a, la)), Some((b, lb))) if (b.key(), *lb) < (a.key(), *la) => stray.next(),
        (Some(_), _) => kept.next(),
        (None, _) => stray.next(),
    })
}

/// Sort rows by key (keeping lines aligned) and drop duplicates, reporting them.
fn sort_and_dedupe<R: Row>(t: &mut ReadTable<R>, file: &str, kind: TableKind, col: &str) {
    if !t.rows.windows(2).all(|w| w[0].key() < w[1].key()) {
        let mut last: Option<(u64, u64)> = None;
        let (rows, lines) = (std::mem::take(&mut t.rows), std::mem::take(&mut t.lines));
        for (r, line) in sorted_by_key(rows.into_iter().zip(lines.iter())) {
            if let Some((key, first_line)) = last
                && key == r.key()
            {
                let what = if kind == TableKind::ProcedureLabels {
                    format!("duplicate link (first on line {first_line})")
                } else {
                    format!("duplicate id {} (first on line {first_line})", r.key())
                };
                t.problems.push(Problem::new(file, line, Some(col), what));
                continue;
            }
            last = Some((r.key(), line));
            t.rows.push(r);
            t.lines.push(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fields::plain_u32;
    use super::*;
    use crate::model::Timestamp;

    #[test]
    fn rows_out_of_place_are_sorted_in_and_duplicates_reported_by_line() {
        use crate::model::{Label, LabelId};
        // Sorted, with a few stragglers (a database's page order) and a duplicate.
        let ids = [1, 2, 4, 5, 7, 8, 3, 9, 6, 5];
        let mut t = ReadTable::empty();
        for (i, id) in ids.iter().enumerate() {
            t.rows.push(Label {
                id: LabelId(*id),
                name: format!("l{id}"),
                color: String::new(),
                extra: Box::default(),
            });
            t.lines.push(i as u64 + 2);
        }
        sort_and_dedupe(&mut t, "labels.csv", TableKind::Labels, "id");
        assert_eq!(t.rows.iter().map(|r| r.id.0).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(t.lines.to_vec(), [2, 3, 8, 4, 5, 10, 6, 7, 9]);
        let said: Vec<String> = t.problems.iter().map(|p| format!("{}: {}", p.line, p.message)).collect();
        assert_eq!(said, ["11: duplicate id 5 (first on line 5)"]);
    }

    #[test]
    fn parts_parse_like_one_whole() {
        // Files with quoted newlines (one may span a cut: then the parts around it are
        // parsed again as one), CRLF or LF, a blank line and torn last lines: whole and in
        // parts of every size alike.
        let decode = |f: &mut Fields<'_>| {
            use crate::model::*;
            RunStep::new(
                RunStepId(f.id(0usize)),
                RunId(f.id(1usize)),
                StepId(f.id(2usize)),
                f.bool(3usize),
                f.opt_ts(4usize),
            )
            .with_more(f.str(5usize), f.extra())
        };
        for (every, eol) in [(7, "\n"), (1, "\n"), (2, "\n"), (3, "\r\n"), (1000, "\n"), (5, "\r\n")] {
            let dir = tempfile::tempdir().expect("tmp");
            let mut text = format!("id,run_id,step_id,completed,completed_at,notes{eol}");
            for i in 1..=400 {
                let note = if i % every == 0 { "\"two\nlines, \"\"quoted\"\"\"" } else { "" };
                text.push_str(&format!("{i},{},{},True,2025-01-01 08:00:00,{note}{eol}", i / 10 + 1, i % 10 + 1));
                if i == 200 {
                    text.push_str(eol);
                }
            }
            text.push_str(&format!("401,41,1,maybe,,{eol}402,41,2,Tr"));
            let (whole, in_parts) = whole_and_in_parts(dir.path(), &text, decode);
            for (parts, t) in in_parts {
                assert_eq!(whole.rows, t.rows, "{every} {eol:?}, {parts} parts");
                assert_eq!(whole.lines, t.lines, "{every} {eol:?}, {parts} parts");
                assert_eq!(whole.problems, t.problems, "{every} {eol:?}, {parts} parts");
            }
            assert_eq!(whole.rows.len(), 400);
            assert_eq!(whole.lines.get(0), Some(2), "the first record is on line 2, CRLF or not");
            assert_eq!(whole.problems.len(), 2, "{:?}", whole.problems);
            // The header, 399 records before, their notes' extra lines, the blank line.
            let expected = 402 + 399 / every;
            assert_eq!(whole.lines.get(399), Some(expected as u64), "{every} {eol:?}");
            assert_eq!(whole.rows[399].notes(), if 400 % every == 0 { "two\nlines, \"quoted\"" } else { "" });
        }
    }

    #[test]
    fn a_read_buffer_kept_from_another_read_lends_none_of_its_bytes() {
        // A thread keeps its read buffer for the next part or file: bytes left in it
        // (quotes and line ends throughout) are never read as the next file's.
        let _size = SIZE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().expect("tmp");
        let text = "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-01 08:00:00,\"a\nb\"\n\
                    2,1,2,False,,\n3,1,3,Tr";
        std::fs::write(dir.path().join("run_steps.csv"), text).expect("write");
        let decode = |f: &mut Fields<'_>| {
            use crate::model::*;
            RunStep::new(RunStepId(f.id(0usize)), RunId(f.id(1usize)), StepId(f.id(2usize)), f.bool(3usize), None)
                .with_more(f.str(5usize), f.extra())
        };
        tokenize::swap_spare(Vec::new());
        let fresh = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("read");
        let stale: Vec<u8> = b"\"\n\r,".iter().copied().cycle().take(3 << 20).collect();
        tokenize::swap_spare(stale);
        let reused = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("read");
        assert_eq!(tokenize::swap_spare(Vec::new()).len(), 3 << 20, "the stale buffer was used and kept again");
        assert_eq!(
            fresh.rows.iter().map(|r| (r.id.0, r.notes().to_owned())).collect::<Vec<_>>(),
            [(1, "a\nb".to_owned()), (2, String::new())]
        );
        assert_eq!(fresh.problems.len(), 1, "the torn last line");
        assert_eq!((fresh.rows, fresh.lines, fresh.problems), (reused.rows, reused.lines, reused.problems));
    }

    /// Read sizes of one test at a time (other tests' reads are cut anyhow, alike).
    static SIZE: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// `text` as `run_steps.csv` in `dir`, read whole and read in parts: a part a line
    /// (as many as [`split::MAX_PARTS`]), parts of a few lines, four quarters (the file
    /// just big enough to be cut); each with how many parts it was cut into.
    #[allow(clippy::type_complexity)]
    fn whole_and_in_parts(
        dir: &Path,
        text: &str,
        decode: impl Fn(&mut Fields<'_>) -> crate::model::RunStep + Sync,
    ) -> (ReadTable<crate::model::RunStep>, Vec<(usize, ReadTable<crate::model::RunStep>)>) {
        let _size = SIZE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::fs::write(dir.join("run_steps.csv"), text).expect("write");
        let whole = read_table(dir, TableKind::RunSteps, &decode, None).expect("whole");
        let len = text.len() as u64;
        let in_parts = [1, 4 * 200, len]
            .into_iter()
            .map(|from| {
                PARALLEL_FROM_BYTES.store(from.min(len), Ordering::Relaxed);
                let path = dir.join("run_steps.csv");
                let file = File::open(&path).expect("open");
                let source = source::Source::new(&path, &file, len, None);
                let parts = split::cuts(&source, 0, len).len() + 1;
                assert!(parts > 1, "{from}: one part");
                let t = read_table(dir, TableKind::RunSteps, &decode, None).expect("in parts");
                (parts, t)
            })
            .collect::<Vec<_>>();
        PARALLEL_FROM_BYTES.store(32 << 20, Ordering::Relaxed);
        let counts: Vec<usize> = in_parts.iter().map(|(n, _)| *n).collect();
        assert!(counts[0] > 100 && counts[1] > 10 && counts[2] == 4, "{counts:?}");
        (whole, in_parts)
    }

    /// Rows out of order (in either half, or only where parts meet) and duplicates
    /// (across the cut) are sorted in and reported alike, whole and in parts: the
    /// order seen while parsing decides whether the sort is skipped.
    #[test]
    fn rows_out_of_order_in_a_split_file_are_sorted_as_in_a_whole_one() {
        let decode = |f: &mut Fields<'_>| {
            use crate::model::*;
            RunStep::new(RunStepId(f.id(0usize)), RunId(f.id(1usize)), StepId(f.id(2usize)), f.bool(3usize), None)
        };
        let in_order: Vec<u32> = (1..=400).collect();
        let mut first_half = in_order.clone();
        first_half.swap(10, 11);
        let mut second_half = in_order.clone();
        second_half.swap(300, 301);
        let halves_swapped: Vec<u32> = (201..=400).chain(1..=200).collect();
        let mut duplicate = in_order.clone();
        duplicate[249] = 150;
        for ids in [in_order, first_half, second_half, halves_swapped, duplicate] {
            let dir = tempfile::tempdir().expect("tmp");
            let mut text = "id,run_id,step_id,completed\n".to_owned();
            ids.iter().for_each(|i| text.push_str(&format!("{i},{},1,False\n", i / 10 + 1)));
            let (whole, in_parts) = whole_and_in_parts(dir.path(), &text, decode);
            for (parts, t) in in_parts {
                assert_eq!(whole.rows, t.rows, "{ids:?}, {parts} parts");
                assert_eq!(whole.lines, t.lines, "{ids:?}, {parts} parts");
                assert_eq!(whole.problems, t.problems, "{ids:?}, {parts} parts");
            }
            assert!(whole.rows.windows(2).all(|w| w[0].id < w[1].id), "{ids:?}");
            let duplicates = whole.problems.iter().filter(|p| p.to_string().contains("duplicate id")).count();
            assert_eq!(
                duplicates,
                usize::from(ids.len() != ids.iter().collect::<std::collections::HashSet<_>>().len())
            );
        }
    }

    #[test]
    fn append_moving_keeps_every_item_once() {
        // 500,000 strings are 12 MB, by pages after the first part's odd count of items
        // (one copying as it goes, the other moving pages).
        for (n1, n2) in [(0, 0), (3, 0), (0, 5), (7, 200_000), (0, 500_001), (1_001, 500_001)] {
            for in_two in [false, true] {
                let mut a: Vec<String> = (0..n1).map(|i| i.to_string()).collect();
                let b: Vec<String> = (n1..n1 + n2).map(|i| i.to_string()).collect();
                if in_two {
                    split::move_all(&mut a, vec![b]);
                } else {
                    append_moving(&mut a, b);
                }
                assert_eq!(a.len(), n1 + n2);
                assert!(a.iter().enumerate().all(|(i, s)| *s == i.to_string()), "{n1} + {n2}, in two: {in_two}");
            }
        }
    }

    #[test]
    fn parts_moved_at_once_keep_rows_of_any_width_at_any_offset() {
        // 40-byte rows (a run step's width: not a divisor of a page), parts of 16 MB down
        // to one row, after first parts that end at many offsets within a page.
        let sizes = [400_003, 1, 26_215, 0, 100_000, 3, 4_097];
        for n1 in [0, 1, 2, 101, 102, 1_000, 26_215] {
            let mut a: Vec<[u64; 5]> = (0..n1).map(|i| [i as u64; 5]).collect();
            let mut next = n1;
            let parts: Vec<Vec<[u64; 5]>> = sizes
                .iter()
                .map(|&n| {
                    next += n;
                    (next - n..next).map(|i| [i as u64; 5]).collect()
                })
                .collect();
            split::move_all(&mut a, parts);
            assert_eq!(a.len(), next);
            assert!(a.iter().enumerate().all(|(i, r)| *r == [i as u64; 5]), "after {n1}");
        }
    }

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        let mut cache = DAY_CACHE_START;
        for t in [
            "2025-01-01 08:06:46",
            "2025-01-01 09:00:00",
            "2024-02-29 23:59:59",
            "1999-12-31 00:00:00",
            "1970-01-01 00:00:01",
            "2100-03-01 12:00:00",
        ] {
            assert_eq!(
                Timestamp::parse_canonical(t.as_bytes(), &mut cache),
                Some(Timestamp::parse(t).expect("valid")),
                "{t}"
            );
        }
        for bad in [
            "2025-02-29 00:00:00",
            "2025-13-01 00:00:00",
            "2100-03-01 24:00:00",
            "2025-01-01T08:06:46",
            "\0\0\0\0\0\0\0\0\0\0 00:00:00",
        ] {
            assert_eq!(Timestamp::parse_canonical(bad.as_bytes(), &mut cache), None, "{bad}");
        }
        assert_eq!(plain_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(plain_u32(b"4294967296"), None);
        assert_eq!(plain_u32(b"12.0"), None);
    }
}
