//! Photo evidence: what kind of image an upload really is (by content, never by name), what its EXIF says
//! about when and where it was taken, and why a photo deserves a second look. Pure: bytes in, values out.

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use exif::{Exif, In, Tag, Value};
use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An image format accepted as photo evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
    Heic,
}

impl ImageKind {
    pub const ALL: [ImageKind; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Heic];

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
        }
    }

    /// The file extension objects of this kind are stored under, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// ISO-BMFF brands that make a file HEIF/HEIC ([ISO 23008-12] image and sequence brands).
const HEIF_BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

/// AVIF is HEIF with AV1 inside and lists `mif1` too; it is not HEIC, and not accepted.
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

/// The kind of image the bytes are, by their content (magic numbers), whatever the file is called; None
/// for anything else (a PDF renamed .jpg, a truncated header…).
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    // infer knows HEIF only as major brand heic/heix or mif1/msf1 listing heic, which misses hevc, heim,
    // heis, hevx and mif1 files listing only heix, so HEIC gets its own brand check.
    if is_heic(bytes) {
        return Some(ImageKind::Heic);
    }
    // infer looks at a few bytes only (four for PNG, the WEBP tag but not RIFF for WebP); requiring the
    // whole signature and the first chunk's header keeps a truncated header or a lookalike out.
    match infer::get(bytes)?.mime_type() {
        "image/jpeg" => Some(ImageKind::Jpeg),
        "image/png" if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") => {
            Some(ImageKind::Png)
        }
        "image/webp"
            if bytes.starts_with(b"RIFF") && matches!(bytes.get(12..16), Some(b"VP8 " | b"VP8L" | b"VP8X")) =>
        {
            Some(ImageKind::Webp)
        }
        _ => None,
    }
}

/// A complete `ftyp` box first, a HEIF brand among its major and compatible brands, and no AVIF brand.
fn is_heic(bytes: &[u8]) -> bool {
    let (Some(size), Some(b"ftyp")) = (bytes.get(0..4), bytes.get(4..8)) else {
        return false;
    };
    let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
    // 16 bytes: size, type, major brand, minor version; a box size of 0 or 1 (to end, 64-bit) never
    // occurs for ftyp and falls out here too.
    let Some(ftyp) = bytes.get(..size).filter(|_| size >= 16) else {
        return false;
    };
    let brands = std::iter::once(&ftyp[8..12]).chain(ftyp[16..].chunks_exact(4));
    let mut heif = false;
    for brand in brands {
        if AVIF_BRANDS.iter().any(|b| &b[..] == brand) {
            return false;
        }
        heif |= HEIF_BRANDS.iter().any(|b| &b[..] == brand);
    }
    heif
}

/// What EXIF says about a photo.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhotoMeta {
    /// When the photo was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// Where it was taken: (lon, lat), WGS-84 (what phones' GPS records).
    pub position: Option<(f64, f64)>,
}

/// Reads EXIF DateTimeOriginal (falling back to DateTime) and GPS position from a JPEG, PNG, WebP or HEIC;
/// EXIF times without OffsetTimeOriginal (OffsetTime for DateTime) are local time in `tz` (phones in
/// China record Beijing time). Never fails: unreadable or absent EXIF gives `PhotoMeta::default()`. GPS
/// with S/W refs is negative; a (0,0) position, a missing ref or out-of-range values are ignored.
pub fn read_meta(bytes: &[u8], tz: Tz) -> PhotoMeta {
    let mut reader = exif::Reader::new();
    // Phones write vendor maker notes that kamadak-exif sometimes cannot parse; the fields it did read
    // are still good.
    reader.continue_on_error(true);
    let exif = match reader.read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return PhotoMeta::default(),
    };
    PhotoMeta { taken_at: taken_at(&exif, tz), position: position(&exif) }
}

fn taken_at(exif: &Exif, tz: Tz) -> Option<DateTime<Utc>> {
    [
        (Tag::DateTimeOriginal, Tag::SubSecTimeOriginal, Tag::OffsetTimeOriginal),
        (Tag::DateTime, Tag::SubSecTime, Tag::OffsetTime),
    ]
    .into_iter()
    .find_map(|(time, subsec, offset)| exif_time(exif, time, subsec, offset, tz))
}

fn exif_time(exif: &Exif, time: Tag, subsec: Tag, offset: Tag, tz: Tz) -> Option<DateTime<Utc>> {
    let mut dt = exif::DateTime::from_ascii(ascii(exif, time)?).ok()?;
    // Sub-seconds and offset are optional extras: a malformed one drops itself, not the time.
    if let Some(raw) = ascii(exif, subsec) {
        let _ = dt.parse_subsec(raw);
    }
    if let Some(raw) = ascii(exif, offset)
        && dt.parse_offset(raw).is_err()
    {
        dt.offset = None;
    }
    // kamadak-exif checks the layout only; chrono rejects month 13 and the "0000:00:00" of unset clocks.
    let naive = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?.and_hms_nano_opt(
        dt.hour.into(),
        dt.minute.into(),
        dt.second.into(),
        dt.nanosecond.unwrap_or(0),
    )?;
    let local = match dt.offset {
        Some(minutes) => FixedOffset::east_opt(i32::from(minutes) * 60)?.from_local_datetime(&naive).single(),
        // A time repeated by a DST change is taken at its first occurrence; one skipped never happened.
        None => tz.from_local_datetime(&naive).earliest().map(|t| t.fixed_offset()),
    };
    local.map(|t| t.with_timezone(&Utc))
}

/// The first string of an ASCII field of the primary image (EXIF and GPS IFDs included).
fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(strings) => strings.first().map(Vec::as_slice),
        _ => None,
    }
}

fn position(exif: &Exif) -> Option<(f64, f64)> {
    let lat = coordinate(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'N', b'S')?;
    let lon = coordinate(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'E', b'W')?;
    // (0,0) is what some phones write before they have a fix.
    let plausible = lat.abs() <= 90.0 && lon.abs() <= 180.0 && (lat, lon) != (0.0, 0.0);
    plausible.then_some((lon, lat))
}

/// Degrees from EXIF's degrees/minutes/seconds rationals, signed by the hemisphere ref.
fn coordinate(exif: &Exif, tag: Tag, ref_tag: Tag, positive: u8, negative: u8) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    // Some writers leave out zero minutes and seconds.
    let mut dms = parts.iter().map(|r| r.to_f64());
    let degrees = dms.next()?;
    let minutes = dms.next().unwrap_or(0.0);
    let seconds = dms.next().unwrap_or(0.0);
    // Also rejects NaN and infinities from zero denominators.
    let in_range = |v: f64, max: f64| (0.0..max).contains(&v);
    if !(in_range(degrees, 181.0) && in_range(minutes, 60.0) && in_range(seconds, 60.0)) {
        return None;
    }
    let value = degrees + minutes / 60.0 + seconds / 3600.0;
    // Without a ref the hemisphere is a guess; a wrong guess would put the photo across the globe.
    match ascii(exif, ref_tag)?.first()?.to_ascii_uppercase() {
        r if r == positive => Some(value),
        r if r == negative => Some(-value),
        _ => None,
    }
}

/// How far after the upload a photo may claim to be taken before it looks like clock or EXIF tampering;
/// phone clocks drift and uploads queue, so a little is normal.
pub const AFTER_UPLOAD_SLACK_MINUTES: f64 = 10.0;

/// Why a photo deserves a second look (flags, never rejections).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhotoFlag {
    /// Taken farther from the incident than the limit.
    FarFromIncident { distance_m: f64, limit_m: f64 },
    /// Taken longer before the incident was reported than the limit.
    TakenLongBefore { hours: f64, limit_hours: f64 },
    /// Taken, by its EXIF, after it was uploaded.
    TakenAfterUpload { minutes: f64 },
}

/// Flags for a photo of an incident at `incident` (lon, lat WGS-84) reported at `reported_at`, uploaded at
/// `uploaded_at`: farther than `max_distance_m` (haversine), taken more than `max_age_hours` before the
/// report, or taken more than [`AFTER_UPLOAD_SLACK_MINUTES`] after the upload. A limit reached exactly
/// is not exceeded; what EXIF does not say raises nothing.
pub fn flags(
    meta: &PhotoMeta,
    incident: (f64, f64),
    reported_at: DateTime<Utc>,
    uploaded_at: DateTime<Utc>,
    max_distance_m: f64,
    max_age_hours: f64,
) -> Vec<PhotoFlag> {
    let mut flags = Vec::new();
    if let Some((lon, lat)) = meta.position {
        let distance_m = Haversine.distance(Point::new(lon, lat), Point::new(incident.0, incident.1));
        if distance_m > max_distance_m {
            flags.push(PhotoFlag::FarFromIncident { distance_m, limit_m: max_distance_m });
        }
    }
    if let Some(taken_at) = meta.taken_at {
        let hours = (reported_at - taken_at).as_seconds_f64() / 3600.0;
        if hours > max_age_hours {
            flags.push(PhotoFlag::TakenLongBefore { hours, limit_hours: max_age_hours });
        }
        let minutes = (taken_at - uploaded_at).as_seconds_f64() / 60.0;
        if minutes > AFTER_UPLOAD_SLACK_MINUTES {
            flags.push(PhotoFlag::TakenAfterUpload { minutes });
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use chrono_tz::Asia::Shanghai;
    use exif::experimental::Writer;
    use exif::{Field, Rational};

    use super::*;

    // --- building real images, byte by byte ---

    fn ascii_field(tag: Tag, text: &str) -> Field {
        Field { tag, ifd_num: In::PRIMARY, value: Value::Ascii(vec![text.as_bytes().to_vec()]) }
    }

    fn rational_field(tag: Tag, parts: &[(u32, u32)]) -> Field {
        let parts = parts.iter().map(|&(num, denom)| Rational { num, denom }).collect();
        Field { tag, ifd_num: In::PRIMARY, value: Value::Rational(parts) }
    }

    /// Degrees as EXIF writes them: whole degrees, whole minutes, seconds in thousandths.
    fn dms(degrees: f64) -> Vec<(u32, u32)> {
        let d = degrees.abs();
        let whole = d.trunc();
        let minutes = ((d - whole) * 60.0).trunc();
        let millis = ((d - whole - minutes / 60.0) * 3_600_000.0).round();
        vec![(whole as u32, 1), (minutes as u32, 1), (millis as u32, 1000)]
    }

    fn gps(lat: f64, lon: f64) -> Vec<Field> {
        vec![
            ascii_field(Tag::GPSLatitudeRef, if lat < 0.0 { "S" } else { "N" }),
            rational_field(Tag::GPSLatitude, &dms(lat)),
            ascii_field(Tag::GPSLongitudeRef, if lon < 0.0 { "W" } else { "E" }),
            rational_field(Tag::GPSLongitude, &dms(lon)),
        ]
    }

    /// A TIFF/EXIF block (what JPEG APP1, PNG eXIf, WebP EXIF and HEIF Exif items carry).
    fn tiff(fields: &[Field], little_endian: bool) -> Vec<u8> {
        let mut writer = Writer::new();
        for field in fields {
            writer.push_field(field);
        }
        let mut out = Cursor::new(Vec::new());
        writer.write(&mut out, little_endian).unwrap();
        out.into_inner()
    }

    /// The usual phone photo: taken 2026-12-01 09:30 Beijing time in Shenyang.
    fn phone_exif() -> Vec<u8> {
        let mut fields = vec![ascii_field(Tag::DateTimeOriginal, "2026:12:01 09:30:00")];
        fields.extend(gps(41.79, 123.4));
        tiff(&fields, false)
    }

    /// SOI, an optional APP1 "Exif" segment, a baseline SOF0 for 1×1 greyscale, EOI.
    fn jpeg(exif: Option<&[u8]>) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        if let Some(tiff) = exif {
            out.extend([0xFF, 0xE1]);
            out.extend(u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
            out.extend(b"Exif\0\0");
            out.extend(tiff);
        }
        out.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00]);
        out.extend([0xFF, 0xD9]);
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }

    /// Signature, IHDR for 1×1 greyscale, an optional eXIf chunk, IEND (no IDAT: sniffing and EXIF need
    /// none).
    fn png(exif: Option<&[u8]>) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        png_chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        if let Some(tiff) = exif {
            png_chunk(&mut out, b"eXIf", tiff);
        }
        png_chunk(&mut out, b"IEND", &[]);
        out
    }

    fn riff_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(kind);
        out.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
        out.extend(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }

    /// RIFF/WEBP with a VP8X header (EXIF flag set when there is EXIF, 1×1 canvas) and an EXIF chunk.
    fn webp(exif: Option<&[u8]>) -> Vec<u8> {
        let mut chunks = Vec::new();
        let flags = if exif.is_some() { 0x08 } else { 0 };
        riff_chunk(&mut chunks, b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        if let Some(tiff) = exif {
            riff_chunk(&mut chunks, b"EXIF", tiff);
        }
        let mut out = b"RIFF".to_vec();
        out.extend(u32::try_from(4 + chunks.len()).unwrap().to_le_bytes());
        out.extend(b"WEBP");
        out.extend(chunks);
        out
    }

    fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(8 + body.len()).unwrap().to_be_bytes().to_vec();
        out.extend(kind);
        out.extend(body);
        out
    }

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let mut body = major.to_vec();
        body.extend([0, 0, 0, 0]);
        for brand in compatible {
            body.extend(*brand);
        }
        bmff_box(b"ftyp", &body)
    }

    /// An iPhone-shaped HEIC: ftyp heic (mif1, heic), a meta box whose one item is the Exif block, placed
    /// by iloc in mdat (4-byte offset to the TIFF header, "Exif\0\0", the TIFF block).
    fn heic(exif: Option<&[u8]>) -> Vec<u8> {
        let ftyp = ftyp(b"heic", &[b"mif1", b"heic"]);
        let Some(tiff) = exif else {
            return ftyp;
        };
        let mut item = 6u32.to_be_bytes().to_vec();
        item.extend(b"Exif\0\0");
        item.extend(tiff);
        let meta = |offset: u32| {
            // infe v2: item 1, no protection, type Exif, empty name.
            let infe = bmff_box(b"infe", &[[2, 0, 0, 0, 0, 1, 0, 0].as_slice(), b"Exif\0"].concat());
            let iinf = bmff_box(b"iinf", &[[0, 0, 0, 0, 0, 1].as_slice(), &infe].concat());
            // iloc v0: 4-byte offsets and lengths, no base offset; item 1, one extent.
            let mut iloc = vec![0, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
            iloc.extend(offset.to_be_bytes());
            iloc.extend(u32::try_from(item.len()).unwrap().to_be_bytes());
            let body = [[0, 0, 0, 0].as_slice(), &bmff_box(b"hdlr", &[0; 25]), &iinf, &bmff_box(b"iloc", &iloc)];
            bmff_box(b"meta", &body.concat())
        };
        let offset = u32::try_from(ftyp.len() + meta(0).len() + 8).unwrap();
        [ftyp, meta(offset), bmff_box(b"mdat", &item)].concat()
    }

    fn beijing(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Shanghai.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap().with_timezone(&Utc)
    }

    fn utc(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn assert_close(actual: (f64, f64), expected: (f64, f64)) {
        let ok = (actual.0 - expected.0).abs() < 1e-6 && (actual.1 - expected.1).abs() < 1e-6;
        assert!(ok, "{actual:?} is not {expected:?}");
    }

    // --- ImageKind ---

    #[test]
    fn kinds_round_trip_and_name_their_media_types() {
        for kind in ImageKind::ALL {
            assert_eq!(ImageKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert!(kind.media_type().starts_with("image/"));
        }
        assert_eq!(ImageKind::Jpeg.media_type(), "image/jpeg");
        assert_eq!(ImageKind::Heic.media_type(), "image/heic");
        assert_eq!(ImageKind::Jpeg.extension(), "jpg");
        assert_eq!(ImageKind::Webp.extension(), "webp");
        assert_eq!(ImageKind::parse("jpg"), None);
        assert_eq!(ImageKind::parse("JPEG"), None);
    }

    // --- sniff ---

    #[test]
    fn sniffs_each_kind_by_content() {
        let exif = phone_exif();
        assert_eq!(sniff(&jpeg(None)), Some(ImageKind::Jpeg));
        assert_eq!(sniff(&jpeg(Some(&exif))), Some(ImageKind::Jpeg));
        assert_eq!(sniff(&png(None)), Some(ImageKind::Png));
        assert_eq!(sniff(&webp(None)), Some(ImageKind::Webp));
        assert_eq!(sniff(&heic(None)), Some(ImageKind::Heic));
        assert_eq!(sniff(&heic(Some(&exif))), Some(ImageKind::Heic));
        // Lossy and lossless WebP start with their bitstream chunk instead of VP8X.
        for first in [b"VP8 ", b"VP8L"] {
            let mut lossy = b"RIFF\x0e\0\0\0WEBP".to_vec();
            riff_chunk(&mut lossy, first, &[0; 2]);
            assert_eq!(sniff(&lossy), Some(ImageKind::Webp));
        }
    }

    #[test]
    fn sniffs_every_heif_brand_and_refuses_avif_and_video() {
        for brand in HEIF_BRANDS {
            assert_eq!(sniff(&ftyp(brand, &[])), Some(ImageKind::Heic), "{}", String::from_utf8_lossy(brand));
        }
        // Android phones write mif1 first with the codec brand among the compatible ones.
        assert_eq!(sniff(&ftyp(b"mif1", &[b"heic"])), Some(ImageKind::Heic));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"miaf", b"heix"])), Some(ImageKind::Heic));
        assert_eq!(sniff(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf"])), None);
        assert_eq!(sniff(&ftyp(b"mif1", &[b"avif", b"miaf"])), None);
        assert_eq!(sniff(&ftyp(b"avis", &[b"msf1"])), None);
        assert_eq!(sniff(&ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])), None);
        assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), None);
    }

    #[test]
    fn refuses_what_is_not_an_image_whatever_it_is_called() {
        // A PDF uploaded as "evidence.jpg": the name never reaches sniff, the bytes say PDF.
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0\0\0\0;"), None);
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\0\0"), None);
        assert_eq!(sniff(b"<html><body>not a photo</body></html>"), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0"), None);
        // A TIFF is an image, and EXIF's own container, but not one accepted as evidence.
        assert_eq!(sniff(&tiff(&[ascii_field(Tag::Make, "x")], true)), None);
    }

    #[test]
    fn refuses_truncated_headers() {
        assert_eq!(sniff(&jpeg(None)[..2]), None);
        assert_eq!(sniff(&[0xFF]), None);
        let png = png(None);
        for len in [4, 8, 15] {
            assert_eq!(sniff(&png[..len]), None, "PNG cut at {len}");
        }
        let webp = webp(None);
        for len in [4, 12, 15] {
            assert_eq!(sniff(&webp[..len]), None, "WebP cut at {len}");
        }
        let heic = ftyp(b"heic", &[b"mif1", b"heic"]);
        for len in [4, 8, 15, heic.len() - 1] {
            assert_eq!(sniff(&heic[..len]), None, "HEIC cut at {len}");
        }
        // A WEBP tag without RIFF before it, an ftyp box that is not first, a box size of 0 or 1.
        assert_eq!(sniff(&[b"XXXX".as_slice(), &webp[4..]].concat()), None);
        assert_eq!(sniff(&[bmff_box(b"free", &[]), heic.clone()].concat()), None);
        for size in [0u8, 1] {
            assert_eq!(sniff(&[[0, 0, 0, size].as_slice(), &heic[4..]].concat()), None);
        }
    }

    #[test]
    fn a_truncated_body_keeps_its_kind() {
        // The header decides; a photo cut short in its body is still the kind it says (decoding is not
        // this module's job).
        let jpeg = jpeg(Some(&phone_exif()));
        assert_eq!(sniff(&jpeg[..20]), Some(ImageKind::Jpeg));
    }

    // --- read_meta ---

    #[test]
    fn reads_beijing_time_and_position_from_a_jpeg() {
        let meta = read_meta(&jpeg(Some(&phone_exif())), Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-01T01:30:00Z")));
        assert_close(meta.position.unwrap(), (123.4, 41.79));
    }

    #[test]
    fn reads_the_same_from_png_webp_and_heic() {
        let exif = phone_exif();
        for (name, bytes) in [("png", png(Some(&exif))), ("webp", webp(Some(&exif))), ("heic", heic(Some(&exif)))] {
            let meta = read_meta(&bytes, Shanghai);
            assert_eq!(meta.taken_at, Some(utc("2026-12-01T01:30:00Z")), "{name}");
            assert_close(meta.position.unwrap(), (123.4, 41.79));
        }
    }

    #[test]
    fn reads_both_byte_orders() {
        let mut fields = vec![ascii_field(Tag::DateTimeOriginal, "2026:12:01 09:30:00")];
        fields.extend(gps(41.79, 123.4));
        let meta = read_meta(&jpeg(Some(&tiff(&fields, true))), Shanghai);
        assert_eq!(meta.taken_at, Some(beijing(2026, 12, 1, 9, 30, 0)));
        assert_close(meta.position.unwrap(), (123.4, 41.79));
    }

    #[test]
    fn local_time_follows_the_given_zone() {
        let meta = read_meta(&jpeg(Some(&phone_exif())), chrono_tz::UTC);
        assert_eq!(meta.taken_at, Some(utc("2026-12-01T09:30:00Z")));
    }

    #[test]
    fn an_offset_overrides_the_zone() {
        let fields = [
            ascii_field(Tag::DateTimeOriginal, "2026:12:01 09:30:00"),
            ascii_field(Tag::OffsetTimeOriginal, "+09:00"),
            ascii_field(Tag::SubSecTimeOriginal, "25"),
        ];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-01T00:30:00.25Z")));
        // A malformed offset falls back to the zone rather than dropping the time.
        let fields =
            [ascii_field(Tag::DateTimeOriginal, "2026:12:01 09:30:00"), ascii_field(Tag::OffsetTimeOriginal, "junk!")];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-01T01:30:00Z")));
    }

    #[test]
    fn falls_back_to_datetime_with_its_own_offset() {
        let fields = [ascii_field(Tag::DateTime, "2026:12:02 08:00:00")];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-02T00:00:00Z")));
        let fields = [ascii_field(Tag::DateTime, "2026:12:02 08:00:00"), ascii_field(Tag::OffsetTime, "-05:00")];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-02T13:00:00Z")));
        // DateTimeOriginal wins when both are there (DateTime is when the file was last edited)…
        let fields = [
            ascii_field(Tag::DateTime, "2026:12:02 08:00:00"),
            ascii_field(Tag::DateTimeOriginal, "2026:12:01 09:30:00"),
        ];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_eq!(meta.taken_at, Some(beijing(2026, 12, 1, 9, 30, 0)));
        // …unless it is the blank or zero date of an unset clock.
        for unset in ["0000:00:00 00:00:00", "    :  :     :  :  ", "2026:13:01 09:30:00"] {
            let fields = [ascii_field(Tag::DateTime, "2026:12:02 08:00:00"), ascii_field(Tag::DateTimeOriginal, unset)];
            let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
            assert_eq!(meta.taken_at, Some(beijing(2026, 12, 2, 8, 0, 0)), "{unset:?}");
        }
    }

    #[test]
    fn southern_and_western_positions_are_negative() {
        let meta = read_meta(&jpeg(Some(&tiff(&gps(-33.8568, -70.6483), false))), Shanghai);
        assert_eq!(meta.taken_at, None);
        assert_close(meta.position.unwrap(), (-70.6483, -33.8568));
        let meta = read_meta(&jpeg(Some(&tiff(&gps(-33.8568, 151.2153), false))), Shanghai);
        assert_close(meta.position.unwrap(), (151.2153, -33.8568));
    }

    #[test]
    fn reads_degrees_without_minutes_and_seconds() {
        let fields = [
            ascii_field(Tag::GPSLatitudeRef, "N"),
            rational_field(Tag::GPSLatitude, &[(417_900, 10_000)]),
            ascii_field(Tag::GPSLongitudeRef, "E"),
            rational_field(Tag::GPSLongitude, &[(1234, 10)]),
        ];
        let meta = read_meta(&jpeg(Some(&tiff(&fields, false))), Shanghai);
        assert_close(meta.position.unwrap(), (123.4, 41.79));
    }

    #[test]
    fn ignores_null_island_and_impossible_positions() {
        let position = |fields: &[Field]| read_meta(&jpeg(Some(&tiff(fields, false))), Shanghai).position;
        assert_eq!(position(&gps(0.0, 0.0)), None);
        assert_eq!(position(&gps(95.0, 123.4)), None);
        assert_eq!(position(&gps(41.79, 181.0)), None);
        let with = |lat: &[(u32, u32)], lat_ref: &str| {
            vec![
                ascii_field(Tag::GPSLatitudeRef, lat_ref),
                rational_field(Tag::GPSLatitude, lat),
                ascii_field(Tag::GPSLongitudeRef, "E"),
                rational_field(Tag::GPSLongitude, &[(123, 1), (24, 1), (0, 1)]),
            ]
        };
        assert!(position(&with(&[(41, 1), (47, 1), (24, 1)], "N")).is_some());
        assert_eq!(position(&with(&[(41, 1), (75, 1), (0, 1)], "N")), None, "75 minutes");
        assert_eq!(position(&with(&[(41, 1), (47, 1), (61, 1)], "N")), None, "61 seconds");
        assert_eq!(position(&with(&[(41, 0), (47, 1), (24, 1)], "N")), None, "zero denominator");
        assert_eq!(position(&with(&[(0, 0)], "N")), None, "0/0");
        assert_eq!(position(&with(&[], "N")), None, "no values");
        assert_eq!(position(&with(&[(41, 1), (47, 1), (24, 1)], "X")), None, "unknown ref");
        let mut no_ref = with(&[(41, 1), (47, 1), (24, 1)], "N");
        no_ref.remove(0);
        assert_eq!(position(&no_ref), None, "no ref");
        // Lower-case refs exist in the wild.
        assert_close(position(&with(&[(41, 1), (47, 1), (24, 1)], "s")).unwrap(), (123.4, -41.79));
    }

    #[test]
    fn no_exif_gives_nothing() {
        for bytes in [jpeg(None), png(None), webp(None), heic(None)] {
            assert_eq!(read_meta(&bytes, Shanghai), PhotoMeta::default());
        }
        assert_eq!(read_meta(b"", Shanghai), PhotoMeta::default());
        assert_eq!(read_meta(b"%PDF-1.7\n", Shanghai), PhotoMeta::default());
        // EXIF without a time or a position.
        let bytes = jpeg(Some(&tiff(&[ascii_field(Tag::Make, "HUAWEI")], false)));
        assert_eq!(read_meta(&bytes, Shanghai), PhotoMeta::default());
    }

    #[test]
    fn broken_exif_never_panics() {
        let exif = phone_exif();
        for bytes in [jpeg(Some(&exif)), png(Some(&exif)), webp(Some(&exif)), heic(Some(&exif))] {
            for len in 0..bytes.len() {
                read_meta(&bytes[..len], Shanghai);
            }
            // Flip each byte of the container and the EXIF in turn.
            for i in 0..bytes.len() {
                let mut broken = bytes.clone();
                broken[i] ^= 0xFF;
                read_meta(&broken, Shanghai);
            }
        }
        // Garbage in the APP1 segment.
        assert_eq!(read_meta(&jpeg(Some(b"II*\0\xFF\xFF\xFF\xFF")), Shanghai), PhotoMeta::default());
    }

    #[test]
    fn reads_the_committed_fixture() {
        // Made by Pillow and piexif: a real encoder's layout, not ours.
        let bytes = include_bytes!("../../tests/api/fixtures/photo_exif.jpg");
        assert_eq!(sniff(bytes), Some(ImageKind::Jpeg));
        let meta = read_meta(bytes, Shanghai);
        assert_eq!(meta.taken_at, Some(utc("2026-12-01T01:30:00Z")));
        assert_close(meta.position.unwrap(), (123.4, 41.79));
        let plain = include_bytes!("../../tests/api/fixtures/photo_plain.png");
        assert_eq!(sniff(plain), Some(ImageKind::Png));
        assert_eq!(read_meta(plain, Shanghai), PhotoMeta::default());
    }

    // --- flags ---

    const INCIDENT: (f64, f64) = (123.4, 41.79);

    fn meta_at(position: Option<(f64, f64)>, taken_at: Option<DateTime<Utc>>) -> PhotoMeta {
        PhotoMeta { taken_at, position }
    }

    #[test]
    fn a_photo_near_and_recent_raises_nothing() {
        let reported = utc("2026-12-01T02:00:00Z");
        let meta = meta_at(Some((123.4005, 41.7903)), Some(utc("2026-12-01T01:30:00Z")));
        assert_eq!(flags(&meta, INCIDENT, reported, reported + TimeDelta::hours(1), 500.0, 24.0), vec![]);
        // Nothing known, nothing flagged.
        assert_eq!(flags(&PhotoMeta::default(), INCIDENT, reported, reported, 500.0, 24.0), vec![]);
    }

    #[test]
    fn far_from_incident_past_the_limit_only() {
        let reported = utc("2026-12-01T02:00:00Z");
        // 0.01° of latitude is about 1.11 km.
        let photo = (123.4, 41.80);
        let distance = Haversine.distance(Point::new(photo.0, photo.1), Point::new(INCIDENT.0, INCIDENT.1));
        assert!((distance - 1111.95).abs() < 0.1, "{distance}");
        let meta = meta_at(Some(photo), None);
        assert_eq!(flags(&meta, INCIDENT, reported, reported, distance, 24.0), vec![]);
        assert_eq!(
            flags(&meta, INCIDENT, reported, reported, 1000.0, 24.0),
            vec![PhotoFlag::FarFromIncident { distance_m: distance, limit_m: 1000.0 }]
        );
        assert_eq!(flags(&meta, INCIDENT, reported, reported, distance - 0.01, 24.0).len(), 1);
    }

    #[test]
    fn taken_long_before_past_the_limit_only() {
        let reported = utc("2026-12-02T09:30:00Z");
        let at_limit = meta_at(None, Some(reported - TimeDelta::hours(24)));
        assert_eq!(flags(&at_limit, INCIDENT, reported, reported, 500.0, 24.0), vec![]);
        let past = meta_at(None, Some(reported - TimeDelta::hours(24) - TimeDelta::seconds(36)));
        assert_eq!(
            flags(&past, INCIDENT, reported, reported, 500.0, 24.0),
            vec![PhotoFlag::TakenLongBefore { hours: 24.01, limit_hours: 24.0 }]
        );
        // Taken after the report (the worker reported, then photographed) is no age problem.
        let after = meta_at(None, Some(reported + TimeDelta::minutes(5)));
        assert_eq!(flags(&after, INCIDENT, reported, reported + TimeDelta::hours(1), 500.0, 24.0), vec![]);
    }

    #[test]
    fn taken_after_upload_past_ten_minutes_only() {
        let reported = utc("2026-12-01T02:00:00Z");
        let uploaded = utc("2026-12-01T02:30:00Z");
        let at_limit = meta_at(None, Some(uploaded + TimeDelta::minutes(10)));
        assert_eq!(flags(&at_limit, INCIDENT, reported, uploaded, 500.0, 24.0), vec![]);
        let past = meta_at(None, Some(uploaded + TimeDelta::minutes(10) + TimeDelta::seconds(30)));
        assert_eq!(
            flags(&past, INCIDENT, reported, uploaded, 500.0, 24.0),
            vec![PhotoFlag::TakenAfterUpload { minutes: 10.5 }]
        );
    }

    #[test]
    fn flags_combine_and_serialize_tagged() {
        let reported = utc("2026-12-03T02:00:00Z");
        let meta = meta_at(Some((123.5, 41.79)), Some(utc("2026-12-01T02:00:00Z")));
        let raised = flags(&meta, INCIDENT, reported, reported, 500.0, 24.0);
        assert_eq!(raised.len(), 2);
        let json = serde_json::to_value(&raised).unwrap();
        assert_eq!(json[0]["kind"], "far_from_incident");
        assert_eq!(json[0]["limit_m"], 500.0);
        assert_eq!(json[1], serde_json::json!({"kind": "taken_long_before", "hours": 48.0, "limit_hours": 24.0}));
        let back: Vec<PhotoFlag> = serde_json::from_value(json).unwrap();
        assert_eq!(back, raised);
        let json = serde_json::to_value(PhotoFlag::TakenAfterUpload { minutes: 15.0 }).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "taken_after_upload", "minutes": 15.0}));
    }
}
