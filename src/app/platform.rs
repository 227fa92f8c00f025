//! What the window needs of the operating system: the icon, opening a file with the
//! system's program, the theme, the sample folder shipped with the app, PNG encoding.

use crate::ui::Theme;
use std::path::{Path, PathBuf};

/// The window icon, decoded from the PNG in assets/.
pub fn window_icon() -> Option<egui::IconData> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(include_bytes!("../../assets/icon-256.png").as_slice()));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return None;
    }
    buf.truncate(info.buffer_size());
    Some(egui::IconData { rgba: buf, width: info.width, height: info.height })
}

/// Open a file with the system's default program (the print view in a browser);
/// `report` hears, on a thread, whether it opened: the opener's failure (no browser,
/// no opener at all) is an error; an opener still running after a few seconds is
/// taken as showing the file.
pub(super) fn open_with_system(path: &Path, report: impl FnOnce(Result<(), String>) + Send + 'static) {
    open_target(path.as_os_str(), report);
}

/// The schemes a link in a description may open (CONTRACT: every other is refused).
pub const LINK_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether a link may be opened: its scheme is one of [`LINK_SCHEMES`]; otherwise why not.
pub fn link_allowed(url: &str) -> Result<(), String> {
    let scheme = url.split_once(':').map(|(s, _)| s.trim().to_ascii_lowercase()).unwrap_or_default();
    let odd = url.chars().any(char::is_control)
        || scheme.is_empty()
        || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if LINK_SCHEMES.contains(&scheme.as_str()) && !odd {
        Ok(())
    } else if odd {
        Err(format!("Not opened: “{}” is not a web or mail link (only http, https and mailto links open)", url.trim()))
    } else {
        Err(format!("Not opened: links to “{scheme}:” are refused (only http, https and mailto links open)"))
    }
}

/// Open an http, https or mailto link in the system's browser or mail program.
pub fn open_link(url: &str) {
    open_target(std::ffi::OsStr::new(url), |result| {
        if let Err(e) = result {
            log::warn!("a link did not open: {e}");
        }
    });
}

fn open_target(target: &std::ffi::OsStr, report: impl FnOnce(Result<(), String>) + Send + 'static) {
    // Windows: the URL protocol handler, not `cmd /C start`, which would read `&` in a
    // link as a command separator.
    #[cfg(target_os = "windows")]
    let (opener, spawned) =
        ("rundll32", std::process::Command::new("rundll32").arg("url.dll,FileProtocolHandler").arg(target).spawn());
    #[cfg(target_os = "macos")]
    let (opener, spawned) = ("open", std::process::Command::new("open").arg(target).spawn());
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let (opener, spawned) = ("xdg-open", std::process::Command::new("xdg-open").arg(target).spawn());
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            log::warn!("cannot open {}: {e}", target.to_string_lossy());
            report(Err(format!("{opener} could not be started: {e}")));
            return;
        }
    };
    let waiter = std::thread::Builder::new().name("open-with".into()).spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let result = loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => break Ok(()),
                Ok(Some(status)) => break Err(format!("{opener} failed: {status}")),
                Ok(None) if std::time::Instant::now() >= deadline => break Ok(()),
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
                Err(e) => break Err(format!("{opener}: {e}")),
            }
        };
        report(result);
    });
    if let Err(e) = waiter {
        log::warn!("cannot wait for {opener}: {e}");
    }
}

/// Follow the system, or a chosen theme.
pub(super) fn apply_theme(ctx: &egui::Context, theme: Theme) {
    ctx.set_theme(match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    });
}

/// The sample folder shipped with the app: `data/` next to the executable or in the
/// source tree.
pub fn bundled_sample() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("data"));
        candidates.push(dir.join("../../data"));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"));
    candidates.into_iter().find(|d| d.join("procedures.csv").is_file())
}

/// Crop a screenshot to `rect` (points) and encode it as PNG.
pub(super) fn crop_png(image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return Err("the plot is not on screen".into());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for x in x0..x1 {
            rgba.extend_from_slice(&image.pixels[y * w + x].to_srgba_unmultiplied());
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, (x1 - x0) as u32, (y1 - y0) as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A desktop notification (on a thread: the notification service may be slow or absent;
/// a failure is only logged).
pub fn notify(summary: &str, body: &str) {
    // Freedesktop servers may render markup (body, and some the summary too): a
    // procedure named `<b>x</b>` or `a & b` shows as written.
    let (summary, body) = if cfg!(all(unix, not(target_os = "macos"))) {
        (markup_escape(summary), markup_escape(body))
    } else {
        (summary.to_owned(), body.to_owned())
    };
    let spawned = std::thread::Builder::new().name("notify".into()).spawn(move || {
        let shown = notify_rust::Notification::new().appname("Procedures").summary(&summary).body(&body).show();
        if let Err(e) = shown {
            log::info!("no desktop notification ({e}): {summary}");
        }
    });
    if let Err(e) = spawned {
        log::info!("no desktop notification ({e})");
    }
}

/// Text as notification markup shows it: `&`, `<`, `>` escaped.
fn markup_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_text_is_escaped_for_markup() {
        assert_eq!(markup_escape("Due now: <b>A & B</b>"), "Due now: &lt;b&gt;A &amp; B&lt;/b&gt;");
    }

    #[test]
    fn only_web_and_mail_links_are_allowed() {
        for ok in ["https://example.com", "HTTP://example.com", "mailto:a@b.c"] {
            assert!(link_allowed(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("javascript:alert(1)", "“javascript:”"),
            ("file:///etc/passwd", "“file:”"),
            ("data:text/html,hi", "“data:”"),
            ("slack://open", "“slack:”"),
            ("relative/page", "is not a web or mail link"),
            ("https://a.b/\nx", "is not a web or mail link"),
        ] {
            let bad = bad.replace("\\n", "\n");
            let e = link_allowed(&bad).expect_err(&bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_window_icon_decodes() {
        let icon = window_icon().expect("icon");
        assert_eq!((icon.width, icon.height, icon.rgba.len()), (256, 256, 256 * 256 * 4));
    }

    #[test]
    fn crop_png_cuts_the_plot_rect_out_of_a_screenshot() {
        // A 4×2 px image at 2 px per point: the rect (1,0)-(2,1) points is px (2,0)-(4,2).
        let mut image = egui::ColorImage::filled([4, 2], egui::Color32::BLACK);
        image.pixels[3] = egui::Color32::WHITE;
        let png =
            crop_png(&image, egui::Rect::from_min_max(egui::pos2(1.0, 0.0), egui::pos2(2.0, 1.0)), 2.0).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        assert_eq!((info.width, info.height), (2, 2));
        assert_eq!(&buf[4..8], &[255, 255, 255, 255], "the white pixel is top right");
        assert!(crop_png(&image, egui::Rect::from_min_max(egui::pos2(9.0, 9.0), egui::pos2(10.0, 10.0)), 2.0).is_err());
    }
}
