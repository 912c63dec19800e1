//! A small CPU rasteriser for egui's tessellated meshes, so that a map can be
//! drawn to a PNG without a window or a GPU (CI has neither).
//!
//! It does what egui's own GPU painters (`egui_glow`, `egui-wgpu`) do:
//! textured triangles with per-vertex colours, both sRGBA with premultiplied
//! alpha, multiplied and blended **in gamma space** ("the only way to get text
//! to look right", egui_glow's fragment shader), `src + dst·(1 − src.a)`,
//! clipped to each primitive's clip rectangle. Pixels are sampled at their
//! centres with the top-left fill rule, so the feathering triangles egui puts
//! along every edge do not blend twice where they meet.
//!
//! No maintained crate does this for egui 0.37: `egui_software_backend` 0.0.3
//! (the one candidate) is built against egui 0.34.

use std::collections::HashMap;

use egui::epaint::textures::TexturesDelta;
use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId};
use egui::{Color32, TextureFilter};

/// One texture as uploaded by egui (premultiplied sRGBA).
struct Texture {
    width: usize,
    height: usize,
    pixels: Vec<Color32>,
    linear: bool,
}

/// The textures egui has asked the painter to hold, kept up to date from each
/// pass's [`TexturesDelta`].
#[derive(Default)]
pub struct TextureStore {
    textures: HashMap<TextureId, Texture>,
}

impl TextureStore {
    /// Applies new and changed textures (call before painting a pass).
    pub fn set(&mut self, delta: &TexturesDelta) {
        for (id, updates) in &delta.set {
            for update in updates {
                let ImageData::Color(image) = &update.image;
                let [w, h] = image.size;
                let linear = update.options.magnification == TextureFilter::Linear;
                match update.pos {
                    None => {
                        self.textures.insert(
                            *id,
                            Texture {
                                width: w,
                                height: h,
                                pixels: image.pixels.clone(),
                                linear,
                            },
                        );
                    }
                    Some([x0, y0]) => {
                        let Some(t) = self.textures.get_mut(id) else {
                            continue;
                        };
                        for y in 0..h {
                            let ty = y0 + y;
                            if ty >= t.height {
                                break;
                            }
                            for x in 0..w {
                                let tx = x0 + x;
                                if tx < t.width {
                                    t.pixels[ty * t.width + tx] = image.pixels[y * w + x];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Drops the textures egui has freed (call after painting a pass); this
    /// consumes the pass's delta, whose set part [`TextureStore::set`] took.
    pub fn free(&mut self, mut delta: TexturesDelta) {
        for id in &delta.free {
            self.textures.remove(id);
        }
        delta.clear();
    }

    /// How many textures are held.
    pub fn len(&self) -> usize {
        self.textures.len()
    }

    /// True when no texture is held.
    pub fn is_empty(&self) -> bool {
        self.textures.is_empty()
    }
}

/// An RGBA picture in premultiplied sRGBA, row by row from the top.
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<[u8; 4]>,
}

impl Canvas {
    /// A canvas of `width` × `height` pixels filled with `background`.
    pub fn new(width: usize, height: usize, background: Color32) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![background.to_array(); width * height],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixel at column `x`, row `y` (premultiplied).
    pub fn pixel(&self, x: usize, y: usize) -> Color32 {
        let [r, g, b, a] = self.pixels[y * self.width + x];
        Color32::from_rgba_premultiplied(r, g, b, a)
    }

    /// Paints tessellated primitives whose coordinates are in points, at
    /// `pixels_per_point` pixels per point. Primitives drawing an unknown
    /// texture, and paint callbacks, are skipped.
    pub fn paint(
        &mut self,
        primitives: &[ClippedPrimitive],
        textures: &TextureStore,
        pixels_per_point: f32,
    ) {
        for prim in primitives {
            let Primitive::Mesh(mesh) = &prim.primitive else {
                continue;
            };
            let Some(texture) = textures.textures.get(&mesh.texture_id) else {
                continue;
            };
            let clip = prim.clip_rect;
            let clip = [
                (clip.min.x * pixels_per_point).round().max(0.0) as i64,
                (clip.min.y * pixels_per_point).round().max(0.0) as i64,
                ((clip.max.x * pixels_per_point).round() as i64).min(self.width as i64),
                ((clip.max.y * pixels_per_point).round() as i64).min(self.height as i64),
            ];
            if clip[0] >= clip[2] || clip[1] >= clip[3] {
                continue;
            }
            for tri in mesh.indices.chunks_exact(3) {
                let v = |i: u32| {
                    let v = &mesh.vertices[i as usize];
                    Vert {
                        x: v.pos.x * pixels_per_point,
                        y: v.pos.y * pixels_per_point,
                        u: v.uv.x,
                        v: v.uv.y,
                        c: v.color.to_array().map(f32::from),
                    }
                };
                self.triangle([v(tri[0]), v(tri[1]), v(tri[2])], texture, clip);
            }
        }
    }

    /// Straight (not premultiplied) RGBA bytes, as PNG wants them.
    pub fn to_rgba_unmultiplied(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pixels.len() * 4);
        for p in &self.pixels {
            let c = Color32::from_rgba_premultiplied(p[0], p[1], p[2], p[3]);
            out.extend_from_slice(&c.to_srgba_unmultiplied());
        }
        out
    }

    fn triangle(&mut self, mut t: [Vert; 3], texture: &Texture, clip: [i64; 4]) {
        // Counter-clockwise in screen space (y down) after this swap.
        let area = edge(&t[0], &t[1], t[2].x, t[2].y);
        if area == 0.0 || !area.is_finite() {
            return;
        }
        if area < 0.0 {
            t.swap(1, 2);
        }
        let area = area.abs();
        let min_x =
            (t.iter().map(|v| v.x).fold(f32::INFINITY, f32::min).floor() as i64).max(clip[0]);
        let max_x = (t
            .iter()
            .map(|v| v.x)
            .fold(f32::NEG_INFINITY, f32::max)
            .ceil() as i64)
            .min(clip[2]);
        let min_y =
            (t.iter().map(|v| v.y).fold(f32::INFINITY, f32::min).floor() as i64).max(clip[1]);
        let max_y = (t
            .iter()
            .map(|v| v.y)
            .fold(f32::NEG_INFINITY, f32::max)
            .ceil() as i64)
            .min(clip[3]);
        if min_x >= max_x || min_y >= max_y {
            return;
        }
        let same_uv = t[0].u == t[1].u && t[0].u == t[2].u && t[0].v == t[1].v && t[0].v == t[2].v;
        let same_color = t[0].c == t[1].c && t[0].c == t[2].c;
        let flat_texel = same_uv.then(|| sample(texture, t[0].u, t[0].v));
        let flat = match (same_color, flat_texel) {
            (true, Some(texel)) => Some(modulate(t[0].c, texel)),
            _ => None,
        };
        // Edge i is the one opposite vertex i; a pixel centre exactly on an
        // edge belongs to the triangle only for top and left edges (with this
        // winding a top edge runs towards +x, a left edge upwards).
        let top_left: [bool; 3] = [(1usize, 2usize), (2, 0), (0, 1)].map(|(a, b)| {
            let (a, b) = (&t[a], &t[b]);
            (a.y == b.y && b.x > a.x) || b.y < a.y
        });
        let inside = |w: f32, k: usize| w > 0.0 || (w == 0.0 && top_left[k]);
        for py in min_y..max_y {
            let y = py as f32 + 0.5;
            let row = py as usize * self.width;
            for px in min_x..max_x {
                let x = px as f32 + 0.5;
                let w0 = edge(&t[1], &t[2], x, y);
                let w1 = edge(&t[2], &t[0], x, y);
                let w2 = edge(&t[0], &t[1], x, y);
                if !(inside(w0, 0) && inside(w1, 1) && inside(w2, 2)) {
                    continue;
                }
                let src = match flat {
                    Some(c) => c,
                    None => {
                        let (b0, b1, b2) = (w0 / area, w1 / area, w2 / area);
                        let c =
                            [0, 1, 2, 3].map(|k| b0 * t[0].c[k] + b1 * t[1].c[k] + b2 * t[2].c[k]);
                        let texel = match flat_texel {
                            Some(texel) => texel,
                            None => sample(
                                texture,
                                b0 * t[0].u + b1 * t[1].u + b2 * t[2].u,
                                b0 * t[0].v + b1 * t[1].v + b2 * t[2].v,
                            ),
                        };
                        modulate(c, texel)
                    }
                };
                blend(&mut self.pixels[row + px as usize], src);
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Vert {
    x: f32,
    y: f32,
    u: f32,
    v: f32,
    /// Premultiplied sRGBA, 0–255.
    c: [f32; 4],
}

/// Twice the signed area of (a, b, p); positive when p is left of a→b in
/// y-down screen space, i.e. inside a clockwise-on-screen triangle.
fn edge(a: &Vert, b: &Vert, px: f32, py: f32) -> f32 {
    (b.x - a.x) * (py - a.y) - (b.y - a.y) * (px - a.x)
}

/// The texel at normalised (u, v), premultiplied sRGBA 0–255.
fn sample(t: &Texture, u: f32, v: f32) -> [f32; 4] {
    if t.width == 0 || t.height == 0 {
        return [0.0; 4];
    }
    let fx = u * t.width as f32 - 0.5;
    let fy = v * t.height as f32 - 0.5;
    let at = |x: i64, y: i64| {
        let x = x.clamp(0, t.width as i64 - 1) as usize;
        let y = y.clamp(0, t.height as i64 - 1) as usize;
        t.pixels[y * t.width + x].to_array().map(f32::from)
    };
    if !t.linear {
        return at(fx.round() as i64, fy.round() as i64);
    }
    let (x0, y0) = (fx.floor(), fy.floor());
    let (ax, ay) = (fx - x0, fy - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (p00, p10, p01, p11) = (
        at(x0, y0),
        at(x0 + 1, y0),
        at(x0, y0 + 1),
        at(x0 + 1, y0 + 1),
    );
    [0, 1, 2, 3].map(|k| {
        let top = p00[k] + (p10[k] - p00[k]) * ax;
        let bottom = p01[k] + (p11[k] - p01[k]) * ax;
        top + (bottom - top) * ay
    })
}

/// Vertex colour × texel, both premultiplied 0–255.
fn modulate(c: [f32; 4], texel: [f32; 4]) -> [f32; 4] {
    [0, 1, 2, 3].map(|k| c[k] * texel[k] / 255.0)
}

/// `dst = src + dst·(1 − src.a)`, premultiplied.
fn blend(dst: &mut [u8; 4], src: [f32; 4]) {
    let keep = 1.0 - src[3] / 255.0;
    for k in 0..4 {
        let v = src[k] + f32::from(dst[k]) * keep;
        dst[k] = v.round().clamp(0.0, 255.0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::TextureOptions;
    use egui::epaint::{ImageDelta, Mesh};
    use egui::{Pos2, Rect, pos2};

    fn white_store() -> TextureStore {
        let mut delta = TexturesDelta::default();
        let image = egui::ColorImage::new([1, 1], vec![Color32::WHITE]);
        delta.set.insert(
            TextureId::Managed(0),
            vec![ImageDelta::full(image, TextureOptions::NEAREST)].into(),
        );
        let mut store = TextureStore::default();
        store.set(&delta);
        store.free(delta);
        store
    }

    fn rect_mesh(rect: Rect, color: Color32) -> ClippedPrimitive {
        let mut mesh = Mesh::default();
        mesh.add_colored_rect(rect, color);
        ClippedPrimitive {
            clip_rect: Rect::EVERYTHING,
            primitive: Primitive::Mesh(mesh),
        }
    }

    #[test]
    fn an_opaque_rectangle_covers_exactly_its_pixels() {
        let store = white_store();
        let mut canvas = Canvas::new(10, 10, Color32::WHITE);
        let rect = Rect::from_min_max(pos2(2.0, 3.0), pos2(5.0, 7.0));
        canvas.paint(&[rect_mesh(rect, Color32::RED)], &store, 1.0);
        let mut red = 0;
        for y in 0..10 {
            for x in 0..10 {
                let inside = (2..5).contains(&x) && (3..7).contains(&y);
                let p = canvas.pixel(x, y);
                assert_eq!(p == Color32::RED, inside, "pixel {x},{y} = {p:?}");
                red += usize::from(p == Color32::RED);
            }
        }
        // The shared diagonal of the rectangle's two triangles is not drawn twice.
        assert_eq!(red, 12);
    }

    #[test]
    fn translucent_colours_blend_over_the_background_once() {
        let store = white_store();
        let mut canvas = Canvas::new(4, 4, Color32::WHITE);
        let half_black = Color32::from_black_alpha(128);
        let rect = Rect::from_min_max(Pos2::ZERO, pos2(4.0, 4.0));
        canvas.paint(&[rect_mesh(rect, half_black)], &store, 1.0);
        for y in 0..4 {
            for x in 0..4 {
                // 0 + 255·(1 − 128/255) = 127 on every pixel, diagonal included.
                assert_eq!(canvas.pixel(x, y), Color32::from_gray(127), "{x},{y}");
            }
        }
    }

    #[test]
    fn pixels_per_point_scales_and_the_clip_rectangle_cuts() {
        let store = white_store();
        let mut canvas = Canvas::new(8, 8, Color32::WHITE);
        let mut prim = rect_mesh(
            Rect::from_min_max(Pos2::ZERO, pos2(4.0, 4.0)),
            Color32::BLUE,
        );
        prim.clip_rect = Rect::from_min_max(Pos2::ZERO, pos2(4.0, 2.0));
        canvas.paint(&[prim], &store, 2.0);
        assert_eq!(canvas.pixel(7, 3), Color32::BLUE);
        assert_eq!(canvas.pixel(7, 4), Color32::WHITE);
        assert_eq!(canvas.pixel(0, 0), Color32::BLUE);
    }

    #[test]
    fn textures_are_sampled_and_patched() {
        let mut delta = TexturesDelta::default();
        let image = egui::ColorImage::new([2, 1], vec![Color32::RED, Color32::GREEN]);
        let id = TextureId::Managed(7);
        delta.set.insert(
            id,
            vec![ImageDelta::full(image, TextureOptions::NEAREST)].into(),
        );
        let mut store = TextureStore::default();
        store.set(&delta);
        store.free(delta);
        let mut canvas = Canvas::new(4, 2, Color32::BLACK);
        let mut mesh = Mesh::with_texture(id);
        mesh.add_rect_with_uv(
            Rect::from_min_max(Pos2::ZERO, pos2(4.0, 2.0)),
            Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0)),
            Color32::WHITE,
        );
        let prim = ClippedPrimitive {
            clip_rect: Rect::EVERYTHING,
            primitive: Primitive::Mesh(mesh),
        };
        canvas.paint(std::slice::from_ref(&prim), &store, 1.0);
        assert_eq!(canvas.pixel(0, 0), Color32::RED);
        assert_eq!(canvas.pixel(3, 1), Color32::GREEN);
        // A patch replaces the second texel.
        let mut patch = TexturesDelta::default();
        let blue = egui::ColorImage::new([1, 1], vec![Color32::BLUE]);
        patch.set.insert(
            id,
            vec![ImageDelta::partial([1, 0], blue, TextureOptions::NEAREST)].into(),
        );
        store.set(&patch);
        store.free(patch);
        canvas.paint(&[prim], &store, 1.0);
        assert_eq!(canvas.pixel(3, 1), Color32::BLUE);
        let mut free = TexturesDelta::default();
        free.free.insert(id);
        store.free(free);
        assert!(store.is_empty());
    }
}
