//! What a table file looked like when the app last read or wrote it (length and
//! modification time), to notice changes made outside the app before writing.

use super::kind::TableKind;
use std::path::Path;
use std::time::SystemTime;

/// Length and modification time of a file; `None` when there is no file.
pub type Fingerprint = Option<(u64, SystemTime)>;

/// The fingerprint of a file now.
pub fn fingerprint(path: &Path) -> Fingerprint {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The fingerprints of a folder's seven tables, in [`TableKind::ALL`] order.
pub fn fingerprints(dir: &Path) -> [Fingerprint; TableKind::COUNT] {
    TableKind::ALL.map(|k| fingerprint(&dir.join(k.file_name())))
}
