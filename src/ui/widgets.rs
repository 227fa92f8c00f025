//! Small shared widgets and formatting helpers.

use crate::model::*;
use crate::store::Dataset;
use egui::{Color32, RichText, Ui};

/// A label's color from `#rrggbb` (grey when unreadable).
pub fn label_color(hex: &str) -> Color32 {
    let h = hex.trim_start_matches('#');
    let p = |i: usize| h.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok());
    match (h.len(), p(0), p(2), p(4)) {
        (6, Some(r), Some(g), Some(b)) => Color32::from_rgb(r, g, b),
        _ => Color32::GRAY,
    }
}

/// Black or white, whichever reads better on `bg`.
fn text_on(bg: Color32) -> Color32 {
    let l = 0.299 * f32::from(bg.r()) + 0.587 * f32::from(bg.g()) + 0.114 * f32::from(bg.b());
    if l > 150.0 { Color32::BLACK } else { Color32::WHITE }
}

/// A label chip in its color.
pub fn label_chip(ui: &mut Ui, label: &Label) {
    let bg = label_color(&label.color);
    egui::Frame::new().fill(bg).corner_radius(8.0).inner_margin(egui::Margin::symmetric(6, 1)).show(ui, |ui| {
        ui.label(RichText::new(&label.name).color(text_on(bg)).small());
    });
}

/// A toggleable label chip (for filters); returns true when clicked.
pub fn label_toggle(ui: &mut Ui, label: &Label, on: bool) -> bool {
    let bg = label_color(&label.color);
    let (fill, text) = if on { (bg, text_on(bg)) } else { (Color32::TRANSPARENT, ui.visuals().text_color()) };
    let button = egui::Button::new(RichText::new(&label.name).color(text).small())
        .fill(fill)
        .stroke(egui::Stroke::new(1.5, bg))
        .corner_radius(8.0)
        .selected(on);
    ui.add(button).on_hover_text(format!("Show only procedures labelled {}", label.name)).clicked()
}

/// The chips of a procedure's labels.
pub fn label_chips(ui: &mut Ui, db: &Dataset, pid: ProcedureId) {
    for l in db.labels_of(pid).iter().filter_map(|l| db.label(*l)) {
        label_chip(ui, l);
    }
}

/// "just now", "5 minutes ago", "3 days ago", "in 2 hours".
pub fn relative(now: Timestamp, then: Timestamp) -> String {
    let secs = now.secs_since(&then);
    let (future, s) = (secs < 0, secs.unsigned_abs());
    let (n, unit) = match s {
        0..=59 => return "just now".into(),
        60..=3599 => (s / 60, "minute"),
        3600..=86_399 => (s / 3600, "hour"),
        86_400..=2_591_999 => (s / 86_400, "day"),
        2_592_000..=31_535_999 => (s / 2_592_000, "month"),
        _ => (s / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if future { format!("in {n} {unit}{plural}") } else { format!("{n} {unit}{plural} ago") }
}

/// A completion rate as text.
pub fn rate_text(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{r:.0}%"))
}

/// A status with its color.
pub fn status_text(status: RunStatus) -> RichText {
    let c = match status {
        RunStatus::InProgress => Color32::from_rgb(0x42, 0x85, 0xf4),
        RunStatus::Completed => Color32::from_rgb(0x2e, 0x9e, 0x4f),
        RunStatus::Cancelled => Color32::from_rgb(0xc0, 0x50, 0x40),
    };
    RichText::new(status.label()).color(c)
}

/// Local time of day `08:31:02`, with the date when not today.
pub fn time_text(now: Timestamp, t: Timestamp) -> String {
    let c = t.canonical();
    if t.local_date() == now.local_date() { c[11..].to_owned() } else { c[..16].to_owned() }
}

/// Whether a description has no Markdown in it (then it shows as typed, in one label).
pub fn looks_plain(text: &str) -> bool {
    !text.contains(['*', '_', '`', '[', '#', '>', '<', '|', '~', '\n']) && !text.contains("://")
}

/// A description (CommonMark): plain text as one wrapping label; anything with Markdown
/// rendered by egui_commonmark — links open in the browser, code blocks have a copy
/// button. `id_salt` keeps each text's viewer state apart.
pub fn rich_text(ui: &mut Ui, id_salt: impl std::hash::Hash + std::fmt::Debug, text: &str) {
    if looks_plain(text) {
        ui.add(egui::Label::new(text).wrap());
        return;
    }
    // Rendering is bounded whatever the text: the renderer's work and memory grow with
    // nesting (a 20 KB run of `> - ` took gigabytes), so past the limits it shows plain.
    if text.len() > MAX_RICH_BYTES || markdown_depth(text) > MAX_RICH_DEPTH {
        ui.add(egui::Label::new(text).wrap());
        ui.label(
            egui::RichText::new(format!(
                "Shown as plain text: nested deeper than {MAX_RICH_DEPTH} levels, or longer than {} KB",
                MAX_RICH_BYTES / 1024
            ))
            .weak()
            .small(),
        );
        return;
    }
    type Shared = std::sync::Arc<std::sync::Mutex<egui_commonmark::CommonMarkCache>>;
    let cache =
        ui.ctx().data_mut(|d| d.get_temp_mut_or_default::<Shared>(egui::Id::unique("commonmark-cache")).clone());
    let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let id = ui.scope_id().with(id_salt);
    egui_commonmark::CommonMarkViewer::new().show_with_id(id, ui, &mut cache, text);
}

/// A salt for the scroll state of a view's table, new with each view state: a folder's
/// views start at the top, not where another folder's were; selecting a row or opening
/// the detail keeps it (the table's id no longer depends on them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewSalt(u64);

impl Default for ViewSalt {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Deepest nesting of block quotes and lists rendered as Markdown.
pub const MAX_RICH_DEPTH: usize = 12;
/// Longest text rendered as Markdown.
pub const MAX_RICH_BYTES: usize = 64 * 1024;

/// How deep a text's block quotes and lists nest, as its line prefixes say (`> - > 1. `,
/// and indentation, two spaces a level): an upper bound of what CommonMark would nest,
/// found in one pass over the text.
pub fn markdown_depth(text: &str) -> usize {
    let mut deepest = 0;
    let mut in_fence = false;
    for line in text.lines() {
        // Code blocks nest nothing, however indented their lines.
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut depth = 0;
        let mut rest = line;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let indent = (rest.len() - trimmed.len()) / 2;
            let marked = |a: &str| a.is_empty() || a.starts_with([' ', '\t']);
            rest = if let Some(after) = trimmed.strip_prefix('>') {
                after
            } else if let Some(after) = trimmed.strip_prefix(['-', '*', '+']).filter(|a| marked(a)) {
                after
            } else {
                let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
                match trimmed[digits..].strip_prefix(['.', ')']) {
                    Some(after) if (1..=9).contains(&digits) && marked(after) => after,
                    // Indented text without a marker is a paragraph, not a level.
                    _ => break,
                }
            };
            depth += indent + 1;
        }
        deepest = deepest.max(depth);
    }
    deepest
}

/// Label colours that read well on light and dark themes (Sasha Trubetskoy's distinct
/// colours), offered before any custom colour.
pub const LABEL_PALETTE: [Color32; 12] = [
    Color32::from_rgb(0xe6, 0x19, 0x4b),
    Color32::from_rgb(0xf5, 0x82, 0x31),
    Color32::from_rgb(0xff, 0xe1, 0x19),
    Color32::from_rgb(0xbf, 0xef, 0x45),
    Color32::from_rgb(0x3c, 0xb4, 0x4b),
    Color32::from_rgb(0x46, 0x99, 0x90),
    Color32::from_rgb(0x42, 0xd4, 0xf4),
    Color32::from_rgb(0x43, 0x63, 0xd8),
    Color32::from_rgb(0x91, 0x1e, 0xb4),
    Color32::from_rgb(0xf0, 0x32, 0xe6),
    Color32::from_rgb(0x9a, 0x63, 0x24),
    Color32::from_rgb(0xa9, 0xa9, 0xa9),
];

/// A colour button that opens a palette of label colours, and a simple custom picker
/// (no alpha); returns true when the colour changed.
pub fn label_color_button(ui: &mut Ui, color: &mut Color32, hover: &str) -> bool {
    let mut changed = false;
    let button = egui::Button::new("").fill(*color).min_size(egui::vec2(28.0, 18.0));
    let response = ui.add(button).on_hover_text(hover);
    let popup = egui::Popup::menu(&response).close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    popup.show(|ui| {
        ui.label(RichText::new("Label colour").weak());
        egui::Grid::new("palette").spacing([4.0, 4.0]).show(ui, |ui| {
            for (i, c) in LABEL_PALETTE.iter().enumerate() {
                let swatch = egui::Button::new("").fill(*c).min_size(egui::vec2(22.0, 22.0)).selected(*c == *color);
                let name = format!("Colour #{:02x}{:02x}{:02x}", c.r(), c.g(), c.b());
                let swatch = ui.add(swatch);
                swatch.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if swatch.clicked() {
                    *color = *c;
                    changed = true;
                }
                if i % 6 == 5 {
                    ui.end_row();
                }
            }
        });
        ui.separator();
        ui.label(RichText::new("Custom").weak());
        let mut rgb = [color.r(), color.g(), color.b()];
        if egui::widgets::color_picker::color_edit_button_srgb(ui, &mut rgb).changed() {
            *color = Color32::from_rgb(rgb[0], rgb[1], rgb[2]);
            changed = true;
        }
    });
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ColorWell, true, hover));
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_depth_counts_quotes_lists_and_indentation() {
        assert_eq!(markdown_depth("plain"), 0);
        assert_eq!(markdown_depth("- a\n  - b\n    - c"), 3);
        assert_eq!(markdown_depth("> quote\n> > deeper"), 2);
        assert_eq!(markdown_depth("1. one\n-12 degrees\n3.5 kg"), 1);
        assert_eq!(markdown_depth(&"> - ".repeat(5_000)), 10_000);
        assert_eq!(markdown_depth("```yaml\n                        deep: yes\n```"), 0);
        assert_eq!(markdown_depth("                        indented text"), 0);
    }
}
