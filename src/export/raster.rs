//! Raster exports of a [`Grid`] in SWEREF 99 TM (EPSG:3006):
//!
//! - a PNG with a colour ramp (transparent where the value is zero), a world
//!   file (`.pgw`) and a `.prj` (a world file names no CRS);
//! - a GeoTIFF with float32 values (for a heatmap: incidents per km²),
//!   written with the `tiff` crate as a baseline TIFF (uncompressed strips,
//!   SampleFormat 3) with the GeoTIFF tags ModelPixelScale (33550),
//!   ModelTiepoint (33922) and GeoKeyDirectory (34735: projected, PixelIsArea,
//!   EPSG:3006, metres).
//!
//! Row 0 of an image is the northernmost row of the grid (the grid's row 0 is
//! the southernmost).

use std::path::{Path, PathBuf};

use super::ExportError;
use super::geojson::write_atomically;
use crate::analysis::Grid;

/// SWEREF 99 TM as ESRI WKT (what `gdalsrsinfo -o wkt_esri EPSG:3006`
/// prints), for `.prj` files.
pub const PRJ_SWEREF99_TM: &str = concat!(
    r#"PROJCS["SWEREF99_TM",GEOGCS["GCS_SWEREF99",DATUM["D_SWEREF99","#,
    r#"SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],"#,
    r#"UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],"#,
    r#"PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],"#,
    r#"PARAMETER["Central_Meridian",15.0],PARAMETER["Scale_Factor",0.9996],"#,
    r#"PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
);

/// The six lines of a world file for `grid`: pixel size in x, two rotation
/// terms (0), minus the pixel size in y, then x and y of the CENTRE of the
/// upper-left pixel.
pub fn world_file(grid: &Grid) -> String {
    let c = grid.cell_m;
    let x = grid.x0 + c / 2.0;
    let y = grid.y0 + grid.ny as f64 * c - c / 2.0;
    format!("{c}\n0\n0\n{}\n{x}\n{y}\n", -c)
}

/// The colour ramp (light yellow → orange → dark red) at `t` in [0, 1], as
/// RGBA; alpha grows from about 40 % to 85 %.
pub fn ramp(t: f64) -> [u8; 4] {
    const STOPS: [[f64; 3]; 5] = [
        [255.0, 255.0, 178.0],
        [254.0, 204.0, 92.0],
        [253.0, 141.0, 60.0],
        [240.0, 59.0, 32.0],
        [189.0, 0.0, 38.0],
    ];
    let t = t.clamp(0.0, 1.0);
    let pos = t * (STOPS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(STOPS.len() - 2);
    let f = pos - i as f64;
    let mix = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    [mix(0), mix(1), mix(2), (100.0 + 117.0 * t).round() as u8]
}

/// RGBA pixels of `grid`, north row first: zero (or not finite) is fully
/// transparent, the rest goes through [`ramp`] scaled to the largest value.
pub fn rgba(grid: &Grid) -> Vec<u8> {
    let max = grid.min_max().map_or(0.0, |(_, hi)| hi);
    let mut px = Vec::with_capacity(grid.nx * grid.ny * 4);
    for iy in (0..grid.ny).rev() {
        for ix in 0..grid.nx {
            let v = grid.get(ix, iy);
            if v.is_finite() && v > 0.0 && max > 0.0 {
                px.extend_from_slice(&ramp(v / max));
            } else {
                px.extend_from_slice(&[0, 0, 0, 0]);
            }
        }
    }
    px
}

/// The side files written with a PNG: `heat.pgw` and `heat.prj` beside
/// `heat.png`.
pub fn side_files(png: &Path) -> (PathBuf, PathBuf) {
    (png.with_extension("pgw"), png.with_extension("prj"))
}

/// The GDAL side file (`heat.png.aux.xml`) that carries a PNG's coordinate
/// system: GDAL reads the world file for the georeferencing but not the
/// `.prj`, so without it `gdalinfo` reports no CRS.
pub fn aux_xml_path(png: &Path) -> PathBuf {
    let mut name = png.as_os_str().to_owned();
    name.push(".aux.xml");
    PathBuf::from(name)
}

/// Escapes text for XML content and attributes.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// GDAL metadata items as `<Item>` / `<MDI>` lines.
fn metadata_items(items: &[(&str, String)], tag: &str) -> String {
    items
        .iter()
        .map(|(k, v)| {
            if tag == "Item" {
                format!("<Item name=\"{}\">{}</Item>", xml_escape(k), xml_escape(v))
            } else {
                format!("<MDI key=\"{}\">{}</MDI>", xml_escape(k), xml_escape(v))
            }
        })
        .collect()
}

/// The `.aux.xml` text for a PNG: EPSG:3006 and `metadata` items.
pub fn png_aux_xml(metadata: &[(&str, String)]) -> String {
    let mut out = String::from("<PAMDataset>\n");
    out.push_str("  <SRS dataAxisToSRSAxisMapping=\"2,1\">");
    out.push_str(&xml_escape(crate::store::gpkg::schema::WKT_3006));
    out.push_str("</SRS>\n");
    if !metadata.is_empty() {
        out.push_str("  <Metadata>");
        out.push_str(&metadata_items(metadata, "MDI"));
        out.push_str("</Metadata>\n");
    }
    out.push_str("</PAMDataset>\n");
    out
}

/// Writes `grid` as a PNG with its world file and `.prj` beside it; returns
/// the paths of the side files.
pub fn write_png(grid: &Grid, path: &Path) -> Result<(PathBuf, PathBuf), ExportError> {
    write_png_with_metadata(grid, path, &[])
}

/// [`write_png`], plus `metadata` items (e.g. what the map was made from) in
/// the `.png.aux.xml` that GDAL reads beside the PNG, which also names
/// EPSG:3006. Every file goes through a temporary file renamed into place.
pub fn write_png_with_metadata(
    grid: &Grid,
    path: &Path,
    metadata: &[(&str, String)],
) -> Result<(PathBuf, PathBuf), ExportError> {
    let (width, height) = dims(grid, path)?;
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let png_err = |e: png::EncodingError| ExportError::Png {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let mut writer = encoder.write_header().map_err(png_err)?;
        writer.write_image_data(&rgba(grid)).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    let (pgw, prj) = side_files(path);
    write_atomically(&pgw, world_file(grid).as_bytes())?;
    write_atomically(&prj, PRJ_SWEREF99_TM.as_bytes())?;
    write_atomically(&aux_xml_path(path), png_aux_xml(metadata).as_bytes())?;
    // The PNG last: once it is there, its side files are too.
    write_atomically(path, &bytes)?;
    Ok((pgw, prj))
}

fn dims(grid: &Grid, path: &Path) -> Result<(u32, u32), ExportError> {
    let bad = |reason: String| ExportError::Invalid {
        path: path.to_owned(),
        reason,
    };
    if grid.nx == 0 || grid.ny == 0 || grid.values.len() != grid.nx * grid.ny {
        return Err(bad(format!(
            "empty or inconsistent grid {} × {}",
            grid.nx, grid.ny
        )));
    }
    if !(grid.cell_m.is_finite() && grid.cell_m > 0.0) {
        return Err(bad(format!("cell size {} m is not positive", grid.cell_m)));
    }
    let w = u32::try_from(grid.nx).map_err(|_| bad("grid too wide".into()))?;
    let h = u32::try_from(grid.ny).map_err(|_| bad("grid too tall".into()))?;
    Ok((w, h))
}

/// GDAL's private TIFF tag holding dataset and band metadata as XML.
const TAG_GDAL_METADATA: u16 = 42112;

/// A GeoTIFF (float32, EPSG:3006, PixelIsArea) of `grid` as bytes.
pub fn geotiff_bytes(grid: &Grid, path: &Path) -> Result<Vec<u8>, ExportError> {
    geotiff_bytes_with_metadata(grid, path, &[], None)
}

/// [`geotiff_bytes`] with dataset `metadata` items and the band's unit (e.g.
/// `incidents/km2`) in the GDAL_METADATA tag (42112), which `gdalinfo` shows.
///
/// The baseline TIFF (uncompressed float32 strips) is written by the `tiff`
/// crate; the GeoTIFF tags go in as plain tags of its directory encoder.
pub fn geotiff_bytes_with_metadata(
    grid: &Grid,
    path: &Path,
    metadata: &[(&str, String)],
    unit: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    use tiff::encoder::{TiffEncoder, colortype::Gray32Float};
    use tiff::tags::{Tag, Type};

    let (width, height) = dims(grid, path)?;
    let data_len = grid.nx * 4 * grid.ny;
    if data_len > (u32::MAX as usize) / 2 {
        return Err(ExportError::Invalid {
            path: path.to_owned(),
            reason: format!(
                "grid {} × {} is too large for a plain TIFF",
                grid.nx, grid.ny
            ),
        });
    }
    let c = grid.cell_m;
    let top = grid.y0 + grid.ny as f64 * c;
    let scale = [c, c, 0.0];
    let tiepoint = [0.0, 0.0, 0.0, grid.x0, top, 0.0];
    // GeoKeyDirectory: version 1.1.0, 4 keys: GTModelType = projected (1),
    // GTRasterType = PixelIsArea (1), ProjectedCSType = 3006,
    // ProjLinearUnits = metre (9001).
    let geokeys: [u16; 20] = [
        1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 3006, 3076, 0, 1, 9001,
    ];
    // North row first.
    let pixels: Vec<f32> = (0..grid.ny)
        .rev()
        .flat_map(|iy| grid.values[iy * grid.nx..(iy + 1) * grid.nx].iter())
        .map(|&v| v as f32)
        .collect();

    let tiff_err = |e: tiff::TiffError| ExportError::Invalid {
        path: path.to_owned(),
        reason: format!("GeoTIFF encoding failed: {e}"),
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(data_len + 4096));
    {
        let mut tiff = TiffEncoder::new(&mut out).map_err(tiff_err)?;
        let mut image = tiff
            .new_image::<Gray32Float>(width, height)
            .map_err(tiff_err)?;
        let dir = image.encoder();
        dir.write_tag(Tag::ModelPixelScaleTag, &scale[..])
            .map_err(tiff_err)?;
        dir.write_tag(Tag::ModelTiepointTag, &tiepoint[..])
            .map_err(tiff_err)?;
        dir.write_tag(Tag::GeoKeyDirectoryTag, &geokeys[..])
            .map_err(tiff_err)?;
        if !metadata.is_empty() || unit.is_some() {
            let mut xml = String::from("<GDALMetadata>");
            xml.push_str(&metadata_items(metadata, "Item"));
            if let Some(u) = unit {
                xml.push_str(&format!(
                    "<Item name=\"UNITTYPE\" sample=\"0\" role=\"unittype\">{}</Item>",
                    xml_escape(u)
                ));
            }
            xml.push_str("</GDALMetadata>");
            // As GDAL writes it: UTF-8 in an ASCII field, NUL-terminated (the
            // crate's `str` value would refuse non-ASCII text such as "Sölvesborg").
            let mut text = xml.into_bytes();
            text.push(0);
            let entry = dir
                .write_entry_bytes(Type::ASCII, &text)
                .map_err(tiff_err)?;
            let mut extra = tiff::Directory::empty();
            extra.extend([(Tag::Unknown(TAG_GDAL_METADATA), entry)]);
            dir.extend_from(&extra);
        }
        image.write_data(&pixels).map_err(tiff_err)?;
    }
    Ok(out.into_inner())
}

/// Writes `grid` as a GeoTIFF (float32, EPSG:3006).
pub fn write_geotiff(grid: &Grid, path: &Path) -> Result<(), ExportError> {
    let bytes = geotiff_bytes(grid, path)?;
    write_atomically(path, &bytes)
}

/// [`write_geotiff`] with metadata items and the band's unit (see
/// [`geotiff_bytes_with_metadata`]).
pub fn write_geotiff_with_metadata(
    grid: &Grid,
    path: &Path,
    metadata: &[(&str, String)],
    unit: Option<&str>,
) -> Result<(), ExportError> {
    let bytes = geotiff_bytes_with_metadata(grid, path, metadata, unit)?;
    write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let mut g = Grid::zeros(470_000.0, 6_200_000.0, 20.0, 3, 2);
        g.values = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        g
    }

    #[test]
    fn world_file_names_the_upper_left_pixel_centre() {
        let w = world_file(&grid());
        let v: Vec<f64> = w.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(v, [20.0, 0.0, 0.0, -20.0, 470_010.0, 6_200_030.0]);
    }

    #[test]
    fn zero_is_transparent_and_rows_run_north_first() {
        let px = rgba(&grid());
        assert_eq!(px.len(), 6 * 4);
        // North row first: values 3, 4, 5, then 0, 1, 2.
        assert_eq!(&px[12..16], &[0, 0, 0, 0]);
        assert_eq!(&px[8..12], &ramp(1.0));
        assert!(px[3] > 0);
        assert_eq!(ramp(0.0)[..3], [255, 255, 178]);
    }

    #[test]
    fn metadata_is_escaped_and_png_aux_names_epsg_3006() {
        let items = [("MADE_FROM", r#"{"a":"<b> & 'c'"}"#.to_owned())];
        let aux = png_aux_xml(&items);
        assert!(
            aux.contains(r#"AUTHORITY[&quot;EPSG&quot;,&quot;3006&quot;]]</SRS>"#),
            "{aux}"
        );
        assert!(aux.contains("<MDI key=\"MADE_FROM\">{&quot;a&quot;:&quot;&lt;b&gt; &amp; &apos;c&apos;&quot;}</MDI>"), "{aux}");
        let b =
            geotiff_bytes_with_metadata(&grid(), Path::new("t.tif"), &items, Some("incidents/km2"))
                .unwrap();
        let text = String::from_utf8_lossy(&b);
        assert!(
            text.contains("<GDALMetadata><Item name=\"MADE_FROM\">"),
            "GDAL_METADATA tag"
        );
        assert!(text.contains("role=\"unittype\">incidents/km2</Item></GDALMetadata>\0"));
        assert_eq!(
            aux_xml_path(Path::new("a/h.png")),
            Path::new("a/h.png.aux.xml")
        );
    }

    #[test]
    fn geotiff_layout() {
        use tiff::decoder::{Decoder, DecodingResult};
        use tiff::tags::Tag;
        let b = geotiff_bytes(&grid(), Path::new("t.tif")).unwrap();
        assert_eq!(&b[..4], b"II*\0");
        let mut d = Decoder::new(std::io::Cursor::new(&b)).unwrap();
        assert_eq!(d.dimensions().unwrap(), (3, 2));
        // North row first: 3, 4, 5, then the south row 0, 1, 2.
        let DecodingResult::F32(v) = d.read_image().unwrap() else {
            panic!("not float32");
        };
        assert_eq!(v, [3.0, 4.0, 5.0, 0.0, 1.0, 2.0]);
        let doubles = |d: &mut Decoder<_>, t| d.get_tag_f64_vec(t).unwrap();
        assert_eq!(doubles(&mut d, Tag::ModelPixelScaleTag), [20.0, 20.0, 0.0]);
        assert_eq!(
            doubles(&mut d, Tag::ModelTiepointTag),
            [0.0, 0.0, 0.0, 470_000.0, 6_200_040.0, 0.0]
        );
        let keys = d.get_tag_u16_vec(Tag::GeoKeyDirectoryTag).unwrap();
        assert_eq!(
            &keys[12..16],
            &[3072, 0, 1, 3006],
            "ProjectedCSType EPSG:3006"
        );
        let empty = Grid::zeros(0.0, 0.0, 1.0, 0, 0);
        assert!(geotiff_bytes(&empty, Path::new("e.tif")).is_err());
    }
}
