//! Draws Aviso's icon: a bell on a rounded square whose colour says the connection's state,
//! with the unread count in a red badge (none for 0, 1–99, "99+"). The tray and the window
//! use it; `icons/*.png` are renderings of it (see `write_app_icons` in the tests).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Transform};

/// The badge font: DejaVu Sans Bold reduced to the glyphs 0-9, + and ! (2 KB).
const BADGE_FONT: &[u8] = include_bytes!("../icons/fonts/badge-digits.ttf");

/// What the icon's background says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    /// Connected (or no account yet): Aviso blue.
    Live,
    /// Working on polling: amber, it works but slower.
    Polling,
    /// Not connected: grey.
    Offline,
    /// Credentials refused: grey with a red "!" badge.
    NeedsLogin,
}

impl Look {
    fn background(self) -> Color {
        match self {
            Look::Live => Color::from_rgba8(0x3b, 0x5b, 0xdb, 0xff),
            Look::Polling => Color::from_rgba8(0xd9, 0x8a, 0x0b, 0xff),
            Look::Offline | Look::NeedsLogin => Color::from_rgba8(0x86, 0x8e, 0x96, 0xff),
        }
    }
}

/// The badge's text for a count: none for 0.
pub fn badge_text(count: u64) -> Option<String> {
    match count {
        0 => None,
        1..=99 => Some(count.to_string()),
        _ => Some("99+".into()),
    }
}

fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> tiny_skia::Path {
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.quad_to(x + w, y, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.quad_to(x + w, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.quad_to(x, y + h, x, y + h - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish().expect("a rounded rectangle is a valid path")
}

fn paint(color: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color);
    p.anti_alias = true;
    p
}

/// A bell in a `size`-pixel square, white, centred at (cx, cy).
fn bell(pixmap: &mut Pixmap, cx: f32, cy: f32, s: f32) {
    let white = paint(Color::WHITE);
    let mut pb = PathBuilder::new();
    // Dome and flared skirt.
    pb.move_to(cx - 0.30 * s, cy + 0.18 * s);
    pb.cubic_to(
        cx - 0.30 * s,
        cy - 0.34 * s,
        cx + 0.30 * s,
        cy - 0.34 * s,
        cx + 0.30 * s,
        cy + 0.18 * s,
    );
    pb.line_to(cx + 0.38 * s, cy + 0.26 * s);
    pb.line_to(cx - 0.38 * s, cy + 0.26 * s);
    pb.close();
    if let Some(path) = pb.finish() {
        pixmap.fill_path(
            &path,
            &white,
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
    // Clapper and the knob on top.
    for (x, y, r) in [(cx, cy + 0.33 * s, 0.08 * s), (cx, cy - 0.27 * s, 0.05 * s)] {
        if let Some(c) = PathBuilder::from_circle(x, y, r) {
            pixmap.fill_path(&c, &white, FillRule::Winding, Transform::identity(), None);
        }
    }
}

/// Draws `text` in white, centred in the given box, with the badge font.
fn draw_text(pixmap: &mut Pixmap, text: &str, center_x: f32, center_y: f32, height: f32) {
    let font = FontRef::try_from_slice(BADGE_FONT).expect("the embedded badge font is valid");
    let scale = PxScale::from(height);
    let scaled = font.as_scaled(scale);
    let width: f32 = text
        .chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum();
    let mut x = center_x - width / 2.0;
    let baseline = center_y + (scaled.ascent() + scaled.descent()) / 2.0;
    let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
    let data = pixmap.data_mut();
    for c in text.chars() {
        let glyph = font
            .glyph_id(c)
            .with_scale_and_position(scale, ab_glyph::point(x, baseline));
        x += scaled.h_advance(font.glyph_id(c));
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let (px, py) = (
                bounds.min.x as i32 + gx as i32,
                bounds.min.y as i32 + gy as i32,
            );
            if px < 0 || py < 0 || px >= w || py >= h {
                return;
            }
            // Blend white over the premultiplied pixel.
            let i = ((py * w + px) * 4) as usize;
            let a = coverage.clamp(0.0, 1.0);
            for ch in 0..4 {
                let old = data[i + ch] as f32;
                data[i + ch] = (old + (255.0 - old) * a).round() as u8;
            }
        });
    }
}

/// Renders the icon as straight (non-premultiplied) RGBA, `size`×`size`.
pub fn render(size: u32, count: u64, look: Look) -> Vec<u8> {
    let mut pixmap = Pixmap::new(size, size).expect("icon size is non-zero");
    let s = size as f32;
    let bg = rounded_rect(0.04 * s, 0.04 * s, 0.92 * s, 0.92 * s, 0.22 * s);
    pixmap.fill_path(
        &bg,
        &paint(look.background()),
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    bell(&mut pixmap, 0.5 * s, 0.48 * s, 0.78 * s);
    let badge = if look == Look::NeedsLogin {
        Some("!".to_string())
    } else {
        badge_text(count)
    };
    if let Some(text) = badge {
        let red = paint(Color::from_rgba8(0xe0, 0x31, 0x31, 0xff));
        let h = 0.50 * s;
        let w = if text.len() >= 3 {
            0.78 * s
        } else if text.len() == 2 {
            0.62 * s
        } else {
            h
        };
        let (x, y) = (s - w, 0.0);
        let pill = rounded_rect(x, y, w, h, h / 2.0);
        pixmap.fill_path(&pill, &red, FillRule::Winding, Transform::identity(), None);
        let text_h = if text.len() >= 3 { 0.36 * s } else { 0.42 * s };
        draw_text(&mut pixmap, &text, x + w / 2.0, y + h / 2.0, text_h);
    }
    pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: u32 = 64;

    fn px(rgba: &[u8], x: u32, y: u32) -> [u8; 4] {
        let i = ((y * SIZE + x) * 4) as usize;
        [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
    }

    /// Strongly red pixels (the badge) in the top-right quarter.
    fn red_pixels(rgba: &[u8]) -> usize {
        (0..SIZE / 2)
            .flat_map(|y| (SIZE / 2..SIZE).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let [r, g, b, a] = px(rgba, x, y);
                a > 200 && r > 180 && g < 90 && b < 90
            })
            .count()
    }

    #[test]
    fn badge_text_follows_the_count() {
        assert_eq!(badge_text(0), None);
        assert_eq!(badge_text(7).as_deref(), Some("7"));
        assert_eq!(badge_text(99).as_deref(), Some("99"));
        assert_eq!(badge_text(100).as_deref(), Some("99+"));
    }

    #[test]
    fn no_badge_for_zero_a_badge_for_one_and_more() {
        assert_eq!(red_pixels(&render(SIZE, 0, Look::Live)), 0);
        let one = render(SIZE, 1, Look::Live);
        let many = render(SIZE, 120, Look::Live);
        assert!(red_pixels(&one) > 100, "{}", red_pixels(&one));
        assert!(
            red_pixels(&many) > red_pixels(&one),
            "the 99+ pill is wider"
        );
        // Different counts draw different digits.
        assert_ne!(render(SIZE, 3, Look::Live), render(SIZE, 8, Look::Live));
        assert_ne!(render(SIZE, 12, Look::Live), render(SIZE, 13, Look::Live));
    }

    #[test]
    fn looks_differ_by_background_colour() {
        let corner = |look| px(&render(SIZE, 0, look), 8, SIZE - 12);
        let [r, g, b, _] = corner(Look::Live);
        assert!(b > r && b > g, "live is blue");
        let [r, g, b, _] = corner(Look::Polling);
        assert!(r > b && g > b, "polling is amber");
        let [r, g, b, _] = corner(Look::Offline);
        assert!(r.abs_diff(g) < 20 && g.abs_diff(b) < 20, "offline is grey");
        // Needs login: grey with a red "!" badge even with no unread.
        let needs = render(SIZE, 0, Look::NeedsLogin);
        assert!(red_pixels(&needs) > 100);
    }

    fn write_png(path: &std::path::Path, size: u32, rgba: &[u8]) {
        let file = std::fs::File::create(path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), size, size);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(rgba).unwrap();
    }

    /// The tray icons a user sees, as pictures in docs/screenshots/ (rewritten each run;
    /// the renderer is deterministic, so they only change when the drawing does).
    #[test]
    fn tray_icon_gallery_is_written_to_docs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let mut pictures = Vec::new();
        for (name, count, look) in [
            ("tray-0", 0, Look::Live),
            ("tray-7", 7, Look::Live),
            ("tray-42", 42, Look::Live),
            ("tray-99plus", 150, Look::Live),
            ("tray-polling", 3, Look::Polling),
            ("tray-offline", 3, Look::Offline),
            ("tray-needs-login", 0, Look::NeedsLogin),
        ] {
            let path = dir.join(format!("{name}.png"));
            let rgba = render(SIZE, count, look);
            write_png(&path, SIZE, &rgba);
            // What the docs show is what the tray draws: read back, pixel for pixel.
            let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
            let mut reader = decoder.read_info().unwrap();
            let mut back = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut back).unwrap();
            assert_eq!((info.width, info.height), (SIZE, SIZE), "{name}");
            assert_eq!(back, rgba, "{name} is not the rendering");
            // A badge exactly where there is something to say.
            let badged = count > 0 || look == Look::NeedsLogin;
            assert_eq!(red_pixels(&rgba) > 100, badged, "{name}'s badge");
            pictures.push((name, rgba));
        }
        // Seven pictures, seven different icons.
        for (i, (a, pa)) in pictures.iter().enumerate() {
            for (b, pb) in &pictures[i + 1..] {
                assert_ne!(pa, pb, "{a} and {b} look the same");
            }
        }
    }

    /// Regenerates `icons/*.png` from the renderer when asked (`AVISO_WRITE_ICONS=1`), and
    /// otherwise checks the committed ones are still what the renderer draws.
    #[test]
    fn app_icons_are_renderings_of_the_icon() {
        for (name, size) in [
            ("32x32.png", 32u32),
            ("128x128.png", 128),
            ("icon.png", 512),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("icons")
                .join(name);
            let rgba = render(size, 0, Look::Live);
            if std::env::var_os("AVISO_WRITE_ICONS").is_some() {
                write_png(&path, size, &rgba);
            }
            let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size()];
            reader.next_frame(&mut buf).unwrap();
            assert_eq!(buf, rgba, "{name} is stale: run with AVISO_WRITE_ICONS=1");
        }
    }

    /// The sizes Windows picks from an `.ico`: the taskbar and Start menu (16–48 at 100–200 %
    /// scaling), Explorer's large views (256).
    const ICO_SIZES: [u32; 6] = [16, 24, 32, 48, 64, 256];

    /// `icons/icon.ico` (the exe's icon, the installer's, the toasts' registration on Windows)
    /// is the same rendering as the PNGs: written when asked, otherwise checked entry by entry.
    #[test]
    fn windows_icon_is_a_rendering_of_the_icon() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("icons/icon.ico");
        if std::env::var_os("AVISO_WRITE_ICONS").is_some() {
            let mut dir = ico::IconDir::new(ico::ResourceType::Icon);
            for size in ICO_SIZES {
                let image = ico::IconImage::from_rgba_data(size, size, render(size, 0, Look::Live));
                dir.add_entry(ico::IconDirEntry::encode(&image).unwrap());
            }
            dir.write(std::fs::File::create(&path).unwrap()).unwrap();
        }
        let dir = ico::IconDir::read(std::fs::File::open(&path).unwrap()).unwrap();
        let sizes: Vec<u32> = dir.entries().iter().map(|e| e.width()).collect();
        assert_eq!(
            sizes, ICO_SIZES,
            "icon.ico is stale: run with AVISO_WRITE_ICONS=1"
        );
        for entry in dir.entries() {
            let image = entry.decode().unwrap();
            assert_eq!(
                image.rgba_data(),
                render(entry.width(), 0, Look::Live).as_slice(),
                "icon.ico's {0}x{0} is stale: run with AVISO_WRITE_ICONS=1",
                entry.width()
            );
        }
    }
}
