//! Fonts for the scripts egui's own fonts lack. egui ships Latin, Greek and Cyrillic
//! (and monochrome emoji); Hebrew, Arabic, Devanagari, Thai, CJK… would be empty boxes.
//! The system's fonts are searched once (fontdb, on a thread at start) for a face that
//! has each script's letters, and each face found is added after egui's own, for both
//! families. CJK faces are big (20 MB and more): they are added only once a folder
//! shows CJK text.
//!
//! What egui cannot do with these letters (Arabic joining, right-to-left order) is in
//! the README's "Known limits".

use std::collections::HashSet;
use std::sync::Arc;

/// A letter of each script whose font is looked for at start.
const SCRIPTS: [(&str, char); 12] = [
    ("Hebrew", 'א'),
    ("Arabic", 'ا'),
    ("Devanagari", 'क'),
    ("Bengali", 'ক'),
    ("Tamil", 'க'),
    ("Thai", 'ก'),
    ("Georgian", 'ა'),
    ("Armenian", 'Ա'),
    ("Ethiopic", 'ሀ'),
    ("Sinhala", 'ක'),
    ("Khmer", 'ក'),
    ("Lao", 'ກ'),
];

/// CJK letters, looked for when a folder has them.
const CJK: [(&str, char); 3] = [("Han", '中'), ("Kana", 'あ'), ("Hangul", '한')];

/// Whether a letter is CJK (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Add, on a thread, the system fonts for the scripts egui lacks.
pub fn install_fallbacks(ctx: &egui::Context) {
    spawn(ctx, || SCRIPTS.to_vec());
}

/// Add, on a thread, the system's CJK fonts when the folder's procedures or steps have
/// CJK text (looked at there: 100,000 steps at y1 are no work for the UI thread).
pub fn install_cjk_if_used(ctx: &egui::Context, folder: crate::store::Dataset) {
    spawn(ctx, move || {
        let cjk = |t: &str| t.chars().any(is_cjk);
        let used = folder.procedures.rows().iter().any(|p| cjk(&p.name) || cjk(&p.description))
            || folder.steps.rows().iter().any(|s| cjk(&s.description));
        if used { CJK.to_vec() } else { Vec::new() }
    });
}

/// On a thread: the letters `wanted` asks for, a face for each found among the system's
/// fonts and added (egui keeps a font it already has by that name).
fn spawn(ctx: &egui::Context, wanted: impl FnOnce() -> Vec<(&'static str, char)> + Send + 'static) {
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new().name("fonts".into()).spawn(move || {
        let wanted = wanted();
        if wanted.is_empty() {
            return;
        }
        let db = system_fonts();
        for (name, data) in faces_for(&db, &wanted) {
            ctx.add_font(egui::epaint::text::FontInsert::new(
                &name,
                data,
                vec![
                    egui::epaint::text::InsertFontFamily {
                        family: egui::FontFamily::Proportional,
                        priority: egui::epaint::text::FontPriority::Lowest,
                    },
                    egui::epaint::text::InsertFontFamily {
                        family: egui::FontFamily::Monospace,
                        priority: egui::epaint::text::FontPriority::Lowest,
                    },
                ],
            ));
        }
        ctx.request_repaint();
    });
    if let Err(e) = spawned {
        log::warn!("no fonts for other scripts: {e}");
    }
}

/// The system's fonts, read once per process (a scan of the font folders).
fn system_fonts() -> Arc<fontdb::Database> {
    static DB: std::sync::OnceLock<Arc<fontdb::Database>> = std::sync::OnceLock::new();
    Arc::clone(DB.get_or_init(|| {
        let started = std::time::Instant::now();
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        log::info!("{} system font faces found in {:.0?}", db.len(), started.elapsed());
        Arc::new(db)
    }))
}

/// For each wanted letter not yet covered, the best face that has it (regular, upright,
/// sans-serif first), with its bytes; each face once.
pub fn faces_for(db: &fontdb::Database, wanted: &[(&str, char)]) -> Vec<(String, egui::FontData)> {
    let mut out = Vec::new();
    let mut added: HashSet<(String, u32)> = HashSet::new();
    let mut covered: Vec<char> = Vec::new();
    for (script, letter) in wanted {
        if covered.contains(letter) {
            continue;
        }
        let Some(face) = best_face(db, *letter) else {
            log::debug!("no system font has {script} letters: they show as boxes");
            continue;
        };
        let key = (face.post_script_name.clone(), face.index);
        let Some((bytes, letters)) = db.with_face_data(face.id, |data, index| {
            let parsed = ttf_parser::Face::parse(data, index).ok();
            let letters: Vec<char> = wanted
                .iter()
                .map(|(_, c)| *c)
                .filter(|c| parsed.as_ref().is_some_and(|f| f.glyph_index(*c).is_some()))
                .collect();
            (data.to_vec(), letters)
        }) else {
            continue;
        };
        covered.extend(letters);
        if added.insert(key.clone()) {
            log::info!("font for {script}: {} ({} KB)", key.0, bytes.len() / 1024);
            let mut data = egui::FontData::from_owned(bytes);
            data.index = face.index;
            out.push((format!("system:{}:{}", key.0, key.1), data));
        }
    }
    out
}

/// The face to use for a letter: one that has it, preferring regular upright
/// sans-serif faces (not monospace), then the smallest family name (the plain one).
fn best_face(db: &fontdb::Database, letter: char) -> Option<&fontdb::FaceInfo> {
    let has = |face: &fontdb::FaceInfo| {
        db.with_face_data(face.id, |data, index| {
            ttf_parser::Face::parse(data, index).is_ok_and(|f| f.glyph_index(letter).is_some())
        })
        .unwrap_or(false)
    };
    let rank = |face: &fontdb::FaceInfo| {
        let family = face.families.first().map_or("", |(name, _)| name.as_str()).to_ascii_lowercase();
        (
            face.style != fontdb::Style::Normal,
            face.weight != fontdb::Weight::NORMAL,
            face.monospaced,
            !family.contains("sans"),
            family.contains("serif") && !family.contains("sans"),
            family.len(),
        )
    };
    let mut candidates: Vec<&fontdb::FaceInfo> = db.faces().collect();
    candidates.sort_by_key(|f| rank(f));
    candidates.into_iter().find(|f| has(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_with_hebrew_and_arabic_is_found_when_the_system_has_one() {
        let path = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        if !path.exists() {
            eprintln!("skipped: no DejaVu Sans on this machine");
            return;
        }
        let mut db = fontdb::Database::new();
        db.load_font_file(path).expect("load");
        let faces = faces_for(&db, &[("Hebrew", 'ב'), ("Arabic", 'ا'), ("Han", '中')]);
        // DejaVu Sans has Hebrew and Arabic (one face for both), not Han.
        assert_eq!(faces.len(), 1, "{:?}", faces.iter().map(|f| &f.0).collect::<Vec<_>>());
        assert!(faces[0].0.contains("DejaVuSans"), "{}", faces[0].0);
        assert!(is_cjk('中') && is_cjk('한') && !is_cjk('ב'));
    }
}
