//! Binary sniffing: recognises non-text files by their magic bytes, as the reference validator does before decoding.
//!
//! This mirrors the synchronous `fileType(buffer)` of the npm package `file-type` 12.4.2, check for check and
//! in the same order, so that a buffer is refused exactly when the reference refuses it. The reference passes
//! the whole file to that function; most checks only read a fixed prefix (at most offset 196, or the tar
//! header's 512 bytes, or 4100 bytes for Matroska), but the PNG, ZIP and ASF checks scan further to pick
//! the sub-format, so the whole slice is scanned here too. Hand-written and in one file on purpose: a port
//! that must refuse exactly what the reference refuses, read check by check against its source.

/// Returns the detected format's usual extension (e.g. "png", "zip", "pdf") when `bytes` starts like a known binary file.
pub fn sniff_binary(bytes: &[u8]) -> Option<&'static str> {
    // file-type gives up on anything shorter than two bytes.
    if bytes.len() < 2 {
        return None;
    }
    let b = Buf(bytes);

    if b.starts(&[0xFF, 0xD8, 0xFF]) {
        return Some("jpg");
    }
    if b.starts(&[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(png_or_apng(bytes));
    }
    if b.starts(b"GIF") {
        return Some("gif");
    }
    if b.at(8, b"WEBP") {
        return Some("webp");
    }
    if b.starts(b"FLIF") {
        return Some("flif");
    }
    if let Some(ext) = raw_or_tiff(b) {
        return Some(ext);
    }
    if b.starts(b"BM") {
        return Some("bmp");
    }
    if b.starts(&[0x49, 0x49, 0xBC]) {
        return Some("jxr");
    }
    if b.starts(b"8BPS") {
        return Some("psd");
    }
    if let Some(ext) = zip_based(b) {
        return Some(ext);
    }
    if b.starts(b"PK")
        && matches!(b.byte(2), Some(0x03 | 0x05 | 0x07))
        && matches!(b.byte(3), Some(0x04 | 0x06 | 0x08))
    {
        return Some("zip");
    }
    if b.at_masked(148, b"000000", &[0xF8; 6]) && tar_checksum_matches(bytes) {
        return Some("tar");
    }
    if b.starts(&[0x52, 0x61, 0x72, 0x21, 0x1A, 0x07]) && matches!(b.byte(6), Some(0x00 | 0x01)) {
        return Some("rar");
    }
    if b.starts(&[0x1F, 0x8B, 0x08]) {
        return Some("gz");
    }
    if b.starts(b"BZh") {
        return Some("bz2");
    }
    if b.starts(&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
        return Some("7z");
    }
    if b.starts(&[0x78, 0x01]) {
        return Some("dmg");
    }
    if b.at(4, b"free") || b.at(4, b"mdat") || b.at(4, b"moov") || b.at(4, b"wide") {
        return Some("mov");
    }
    // Brand major must start with a character having bit 5 or 6 set (file-type's cheap "printable" test).
    if b.at(4, b"ftyp") && b.byte(8).is_some_and(|c| (c & 0x60) != 0) {
        return Some(ftyp_brand(bytes));
    }
    if b.starts(b"MThd") {
        return Some("mid");
    }
    if b.starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        if let Some(ext) = matroska(bytes) {
            return Some(ext);
        }
    }
    if b.starts(b"RIFF") {
        if b.at(8, b"AVI") {
            return Some("avi");
        }
        if b.at(8, b"WAVE") {
            return Some("wav");
        }
        if b.at(8, b"QLCM") {
            return Some("qcp");
        }
    }
    if b.starts(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9]) {
        return Some(asf(b));
    }
    if b.starts(&[0x00, 0x00, 0x01, 0xBA]) || b.starts(&[0x00, 0x00, 0x01, 0xB3]) {
        return Some("mpg");
    }
    if let Some(ext) = mpeg_audio(b) {
        return Some(ext);
    }
    if b.at(28, b"OpusHead") {
        return Some("opus");
    }
    if b.starts(b"OggS") {
        return Some(ogg(b));
    }
    if let Some(ext) = simple_signatures(b) {
        return Some(ext);
    }
    None
}

/// The file-type `check` helper: an out-of-range byte never matches (JS compares with `undefined`).
#[derive(Debug, Clone, Copy)]
struct Buf<'a>(&'a [u8]);

impl Buf<'_> {
    fn byte(self, i: usize) -> Option<u8> {
        self.0.get(i).copied()
    }

    fn at(self, offset: usize, magic: &[u8]) -> bool {
        self.0.get(offset..).is_some_and(|s| s.starts_with(magic))
    }

    fn starts(self, magic: &[u8]) -> bool {
        self.at(0, magic)
    }

    /// Masked check; JS computes `mask & undefined` as 0, so a missing byte counts as 0.
    fn at_masked(self, offset: usize, magic: &[u8], mask: &[u8]) -> bool {
        magic.iter().zip(mask).enumerate().all(|(i, (&m, &k))| {
            let byte = offset.checked_add(i).and_then(|j| self.byte(j)).unwrap_or(0);
            m == k & byte
        })
    }
}

/// Position of the first occurrence of `needle` starting at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// APNG has an `acTL` chunk before the first `IDAT`; the search starts after the IHDR chunk (offset 33).
fn png_or_apng(bytes: &[u8]) -> &'static str {
    const START: usize = 33;
    // Without an IDAT, file-type slices up to `-1`, i.e. it drops the last byte.
    let end = find(bytes, b"IDAT", START).unwrap_or(bytes.len().saturating_sub(1));
    match bytes.get(START..end) {
        Some(region) if find(region, b"acTL", 0).is_some() => "apng",
        _ => "png",
    }
}

/// Camera raw formats are TIFF-like, so they are tested before plain TIFF.
fn raw_or_tiff(b: Buf<'_>) -> Option<&'static str> {
    let tiff_le = b.starts(&[0x49, 0x49, 0x2A, 0x00]);
    let tiff_be = b.starts(&[0x4D, 0x4D, 0x00, 0x2A]);
    if (tiff_le || tiff_be) && b.at(8, b"CR") {
        return Some("cr2");
    }
    if b.starts(&[0x49, 0x49, 0x52, 0x4F, 0x08, 0x00, 0x00, 0x00, 0x18]) {
        return Some("orf");
    }
    if tiff_le
        && (b.at(4, &[0x10, 0xFB, 0x86, 0x01]) || b.at(4, &[0x08, 0x00, 0x00, 0x00]))
        && b.at(
            9,
            &[0x00, 0xFE, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01],
        )
    {
        return Some("arw");
    }
    if b.starts(&[0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00])
        && (b.at(8, &[0x2D, 0x00, 0xFE, 0x00]) || b.at(8, &[0x27, 0x00, 0xFE, 0x00]))
    {
        return Some("dng");
    }
    if tiff_le && b.at(8, &[0x1C, 0x00, 0xFE, 0x00]) {
        return Some("nef");
    }
    if b.starts(&[0x49, 0x49, 0x55, 0x00, 0x18, 0x00, 0x00, 0x00, 0x88, 0xE7, 0x74, 0xD8]) {
        return Some("rw2");
    }
    if b.starts(b"FUJIFILMCCD-RAW") {
        return Some("raf");
    }
    if tiff_le || tiff_be {
        return Some("tif");
    }
    None
}

/// ZIP containers whose first entry (or any entry, for Office Open XML) names the real format.
/// Returns `None` for other ZIPs, which the generic `zip` check then catches.
fn zip_based(b: Buf<'_>) -> Option<&'static str> {
    const LOCAL_HEADER: &[u8] = &[0x50, 0x4B, 0x03, 0x04];
    // The entry's file name follows the 30-byte local file header.
    const NAME: usize = 30;
    if !b.starts(LOCAL_HEADER) {
        return None;
    }
    if b.at(NAME, b"mimetypeapplication/epub+zip") {
        return Some("epub");
    }
    if b.at(NAME, b"META-INF/mozilla.rsa") {
        return Some("xpi");
    }
    if b.at(NAME, b"mimetypeapplication/vnd.oasis.opendocument.text") {
        return Some("odt");
    }
    if b.at(NAME, b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet") {
        return Some("ods");
    }
    if b.at(NAME, b"mimetypeapplication/vnd.oasis.opendocument.presentation") {
        return Some("odp");
    }
    // OOXML needs a content-types/rels entry and a part folder, in any order, anywhere in the buffer.
    let mut header = 0usize;
    let mut oxml_found = false;
    let mut kind: Option<&'static str> = None;
    loop {
        let offset = header.saturating_add(NAME);
        if !oxml_found {
            oxml_found = b.at(offset, b"[Content_Types].xml") || b.at(offset, b"_rels/.rels");
        }
        if kind.is_none() {
            if b.at(offset, b"word/") {
                kind = Some("docx");
            } else if b.at(offset, b"ppt/") {
                kind = Some("pptx");
            } else if b.at(offset, b"xl/") {
                kind = Some("xlsx");
            }
        }
        if oxml_found && kind.is_some() {
            return kind;
        }
        match find(b.0, LOCAL_HEADER, offset) {
            Some(next) => header = next,
            None => return kind,
        }
    }
}

/// Tar header checksum: sum of the 512 header bytes with the checksum field read as spaces.
fn tar_checksum_matches(bytes: &[u8]) -> bool {
    let (Some(head), Some(field), Some(tail)) = (bytes.get(..148), bytes.get(148..154), bytes.get(156..512))
    else {
        return false;
    };
    let mut sum: i64 = 256;
    let mut signed_bits: i64 = 0;
    for &byte in head.iter().chain(tail) {
        sum += i64::from(byte);
        signed_bits += i64::from(byte & 0x80);
    }
    // The masked check already guarantees six octal digits, so this parse is exact.
    let read = field.iter().fold(0i64, |acc, &d| acc * 8 + i64::from(d.wrapping_sub(b'0') & 0x07));
    // Some writers sum signed bytes; accept that variant as file-type does.
    read == sum || read == sum - (signed_bits << 1)
}

/// ISO base media: the major brand at offset 8 picks the extension; anything else is `mp4`.
fn ftyp_brand(bytes: &[u8]) -> &'static str {
    let raw = bytes.get(8..bytes.len().min(12)).unwrap_or(&[]);
    let mut brand: Vec<u8> = raw.to_vec();
    // JS `.replace('\0', ' ')` only replaces the first NUL.
    if let Some(nul) = brand.iter_mut().find(|c| **c == 0) {
        *nul = b' ';
    }
    let brand = js_trim(&brand);
    match brand {
        b"mif1" | b"msf1" | b"heic" | b"heix" | b"hevc" | b"hevx" => "heic",
        b"qt" => "mov",
        b"M4V" | b"M4VH" | b"M4VP" => "m4v",
        b"M4P" => "m4p",
        b"M4B" => "m4b",
        b"M4A" => "m4a",
        b"F4V" => "f4v",
        b"F4P" => "f4p",
        b"F4A" => "f4a",
        b"F4B" => "f4b",
        _ if brand.starts_with(b"3g2") => "3g2",
        _ if brand.starts_with(b"3g") => "3gp",
        _ => "mp4",
    }
}

/// `String.prototype.trim` on a Latin-1 byte string: JS whitespace in that range includes NBSP (0xA0).
fn js_trim(s: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| matches!(c, 0x09..=0x0D | 0x20 | 0xA0);
    let start = s.iter().position(|c| !is_ws(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !is_ws(c)).map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or(&[])
}

/// EBML: the DocType element (id 0x4282) within the first 4 KiB says Matroska or WebM; otherwise no match.
fn matroska(bytes: &[u8]) -> Option<&'static str> {
    let window = bytes.get(4..bytes.len().min(4 + 4096))?;
    let id = find(window, &[0x42, 0x82], 0)?;
    let doc_type = window.get(id + 3..)?;
    if doc_type.starts_with(b"matroska") {
        Some("mkv")
    } else if doc_type.starts_with(b"webm") {
        Some("webm")
    } else {
        None
    }
}

/// ASF: walk header objects looking for the stream properties object to tell audio from video.
fn asf(b: Buf<'_>) -> &'static str {
    const STREAM_PROPERTIES: &[u8] =
        &[0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65];
    const AUDIO: &[u8] =
        &[0x40, 0x9E, 0x69, 0xF8, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B];
    const VIDEO: &[u8] =
        &[0xC0, 0xEF, 0x19, 0xBC, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B];
    let len = b.0.len();
    let mut offset = 30usize;
    loop {
        let size = offset
            .checked_add(16)
            .and_then(|start| b.0.get(start..start.checked_add(8)?))
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map(u64::from_le_bytes);
        if b.at(offset, STREAM_PROPERTIES) {
            let guid = offset.saturating_add(24);
            if b.at(guid, AUDIO) {
                return "wma";
            }
            if b.at(guid, VIDEO) {
                return "wmv";
            }
            break;
        }
        // A missing size is NaN in JS and ends the walk; a zero size would loop forever there, so stop.
        let next = match size.and_then(|s| usize::try_from(s).ok()) {
            Some(s) if s > 0 => offset.checked_add(s),
            _ => None,
        };
        match next {
            Some(n) if n.checked_add(24).is_some_and(|end| end <= len) => offset = n,
            _ => break,
        }
    }
    "asf"
}

/// MPEG audio frame sync (or ID3) at offset 0 or 1, only tried when the buffer is longer than 16 bytes.
fn mpeg_audio(b: Buf<'_>) -> Option<&'static str> {
    let len = b.0.len();
    for start in (0..2).take_while(|&s| s + 16 < len) {
        let sync = |value: u8, mask: u8| b.at_masked(start, &[0xFF, value], &[0xFF, mask]);
        if b.at(start, b"ID3") || sync(0xE2, 0xE6) {
            return Some("mp3");
        }
        if sync(0xE4, 0xE6) || sync(0xF8, 0xFC) {
            return Some("mp2");
        }
        if sync(0xF0, 0xFC) {
            return Some("mp4");
        }
    }
    None
}

/// Ogg container: the first packet's codec header (at offset 28) names the content.
fn ogg(b: Buf<'_>) -> &'static str {
    if b.at(28, b"\x80theora") {
        "ogv"
    } else if b.at(28, b"\x01video\x00") {
        "ogm"
    } else if b.at(28, b"\x7FFLAC") {
        "oga"
    } else if b.at(28, b"Speex  ") {
        "spx"
    } else if b.at(28, b"\x01vorbis") {
        "ogg"
    } else {
        "ogx"
    }
}

/// The remaining checks, from FLAC to Shapefile, in file-type's order.
fn simple_signatures(b: Buf<'_>) -> Option<&'static str> {
    if b.starts(b"fLaC") {
        return Some("flac");
    }
    if b.starts(b"MAC ") {
        return Some("ape");
    }
    if b.starts(b"wvpk") {
        return Some("wv");
    }
    if b.starts(b"#!AMR\n") {
        return Some("amr");
    }
    if b.starts(b"%PDF") {
        return Some("pdf");
    }
    if b.starts(b"MZ") {
        return Some("exe");
    }
    if matches!(b.byte(0), Some(b'C' | b'F')) && b.at(1, b"WS") {
        return Some("swf");
    }
    if b.starts(b"{\\rtf") {
        return Some("rtf");
    }
    if b.starts(b"\x00asm") {
        return Some("wasm");
    }
    let sfnt = b.at(4, &[0x00, 0x01, 0x00, 0x00]) || b.at(4, b"OTTO");
    if b.starts(b"wOFF") && sfnt {
        return Some("woff");
    }
    if b.starts(b"wOF2") && sfnt {
        return Some("woff2");
    }
    if b.at(34, b"LP")
        && (b.at(8, &[0x00, 0x00, 0x01]) || b.at(8, &[0x01, 0x00, 0x02]) || b.at(8, &[0x02, 0x00, 0x02]))
    {
        return Some("eot");
    }
    if b.starts(&[0x00, 0x01, 0x00, 0x00, 0x00]) {
        return Some("ttf");
    }
    if b.starts(b"OTTO\x00") {
        return Some("otf");
    }
    if b.starts(&[0x00, 0x00, 0x01, 0x00]) {
        return Some("ico");
    }
    if b.starts(&[0x00, 0x00, 0x02, 0x00]) {
        return Some("cur");
    }
    if b.starts(b"FLV\x01") {
        return Some("flv");
    }
    if b.starts(b"%!") {
        return Some("ps");
    }
    if b.starts(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
        return Some("xz");
    }
    if b.starts(b"SQLi") {
        return Some("sqlite");
    }
    if b.starts(b"NES\x1A") {
        return Some("nes");
    }
    if b.starts(b"Cr24") {
        return Some("crx");
    }
    if b.starts(b"MSCF") || b.starts(b"ISc(") {
        return Some("cab");
    }
    // `deb` is an `ar` archive, so it goes first.
    if b.starts(b"!<arch>\ndebian-binary") {
        return Some("deb");
    }
    if b.starts(b"!<arch>") {
        return Some("ar");
    }
    if b.starts(&[0xED, 0xAB, 0xEE, 0xDB]) {
        return Some("rpm");
    }
    if b.starts(&[0x1F, 0xA0]) || b.starts(&[0x1F, 0x9D]) {
        return Some("Z");
    }
    if b.starts(b"LZIP") {
        return Some("lz");
    }
    if b.starts(&[
        0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3E,
    ]) {
        return Some("msi");
    }
    if b.starts(&[0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0D, 0x01, 0x02, 0x01, 0x01, 0x02]) {
        return Some("mxf");
    }
    // MPEG-TS: sync byte 0x47 at offset 4 and again one 188/192-byte packet later.
    if b.byte(4) == Some(0x47) && (b.byte(192) == Some(0x47) || b.byte(196) == Some(0x47)) {
        return Some("mts");
    }
    if b.starts(b"BLENDER") {
        return Some("blend");
    }
    if b.starts(b"BPG\xFB") {
        return Some("bpg");
    }
    // JPEG 2000 family; an unknown brand falls through to the next checks.
    if b.starts(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) {
        if b.at(20, b"jp2 ") {
            return Some("jp2");
        }
        if b.at(20, b"jpx ") {
            return Some("jpx");
        }
        if b.at(20, b"jpm ") {
            return Some("jpm");
        }
        if b.at(20, b"mjp2") {
            return Some("mj2");
        }
    }
    if b.starts(b"FORM") {
        return Some("aif");
    }
    if b.starts(b"<?xml ") {
        return Some("xml");
    }
    if b.at(60, b"BOOKMOBI") {
        return Some("mobi");
    }
    if b.starts(&[0xAB, 0x4B, 0x54, 0x58, 0x20, 0x31, 0x31, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("ktx");
    }
    if b.at(128, b"DICM") {
        return Some("dcm");
    }
    // Musepack SV7 then SV8.
    if b.starts(b"MP+") || b.starts(b"MPCK") {
        return Some("mpc");
    }
    if b.starts(b"BEGIN:") {
        return Some("ics");
    }
    if b.starts(b"glTF\x02\x00\x00\x00") {
        return Some("glb");
    }
    if b.starts(&[0xD4, 0xC3, 0xB2, 0xA1]) || b.starts(&[0xA1, 0xB2, 0xC3, 0xD4]) {
        return Some("pcap");
    }
    if b.starts(b"DSD ") {
        return Some("dsf");
    }
    if b.starts(&[
        0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x46,
    ]) {
        return Some("lnk");
    }
    if b.starts(b"book\x00\x00\x00\x00mark\x00\x00\x00\x00") {
        return Some("alias");
    }
    if b.starts(b"Creative Voice File") {
        return Some("voc");
    }
    if b.starts(&[0x0B, 0x77]) {
        return Some("ac3");
    }
    if (b.starts(&[0x7E, 0x10, 0x04]) || b.starts(&[0x7E, 0x18, 0x04])) && b.at(4, b"0MIE") {
        return Some("mie");
    }
    if b.starts(b"ARROW1\x00\x00") {
        return Some("arrow");
    }
    if b.at(2, &[0x27, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) {
        return Some("shp");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::sniff_binary;

    /// `prefix` placed at `offset` in a zero-filled buffer of `len` bytes.
    fn at(offset: usize, prefix: &[u8], len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len.max(offset + prefix.len())];
        if let Some(dst) = v.get_mut(offset..offset + prefix.len()) {
            dst.copy_from_slice(prefix);
        }
        v
    }

    fn put(v: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
        if v.len() < offset + bytes.len() {
            v.resize(offset + bytes.len(), 0);
        }
        if let Some(dst) = v.get_mut(offset..offset + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    const PNG_SIG: &[u8] = &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    #[test]
    fn empty_and_one_byte_are_never_binary() {
        assert_eq!(sniff_binary(b""), None);
        assert_eq!(sniff_binary(&[0xFF]), None);
        assert_eq!(sniff_binary(b"B"), None);
    }

    #[test]
    fn short_inputs_match_only_complete_signatures() {
        assert_eq!(sniff_binary(b"BM"), Some("bmp"));
        assert_eq!(sniff_binary(b"MZ"), Some("exe"));
        assert_eq!(sniff_binary(&[0xFF, 0xD8]), None);
        assert_eq!(sniff_binary(b"%P"), None);
        assert_eq!(sniff_binary(b"PK"), None);
        assert_eq!(sniff_binary(b"ab"), None);
    }

    #[test]
    fn bal_csv_is_text() {
        let csv = "cle_interop;uid_adresse;voie_nom;lieudit_complement_nom;numero;suffixe;\
                   commune_insee;commune_nom;commune_deleguee_insee;commune_deleguee_nom;position;\
                   x;y;long;lat;cad_parcelles;source;date_der_maj;certification_commune\n\
                   01001_0005_00001;;Rue de la Mairie;;1;;01001;L'Abergement-Clémenciat;;;entrée;\
                   848000.5;6563000.2;4.92;46.15;;commune;2023-01-01;1\n";
        assert_eq!(sniff_binary(csv.as_bytes()), None);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(csv.as_bytes());
        assert_eq!(sniff_binary(&bom), None);
        let latin1: Vec<u8> = b"cle_interop;voie_nom\n01001_0005_00001;Entr\xE9e\n".to_vec();
        assert_eq!(sniff_binary(&latin1), None);
    }

    #[test]
    fn common_formats() {
        assert_eq!(sniff_binary(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("jpg"));
        assert_eq!(sniff_binary(PNG_SIG), Some("png"));
        assert_eq!(sniff_binary(b"%PDF-1.7\n%\xE2\xE3"), Some("pdf"));
        assert_eq!(sniff_binary(&[0x1F, 0x8B, 0x08, 0x00]), Some("gz"));
        assert_eq!(sniff_binary(b"GIF89a"), Some("gif"));
        assert_eq!(sniff_binary(b"BZh91AY&SY"), Some("bz2"));
        assert_eq!(sniff_binary(b"Rar!\x1A\x07\x00"), Some("rar"));
        assert_eq!(sniff_binary(b"Rar!\x1A\x07\x02"), None);
        assert_eq!(sniff_binary(b"7z\xBC\xAF\x27\x1C"), Some("7z"));
        assert_eq!(sniff_binary(b"SQLite format 3\x00"), Some("sqlite"));
        assert_eq!(sniff_binary(b"II*\x00\x10\x00\x00\x00"), Some("tif"));
        assert_eq!(sniff_binary(b"MM\x00*"), Some("tif"));
    }

    #[test]
    fn zip_and_derivatives() {
        assert_eq!(sniff_binary(b"PK\x03\x04\x14\x00"), Some("zip"));
        assert_eq!(sniff_binary(b"PK\x05\x06"), Some("zip"));
        assert_eq!(sniff_binary(b"PK\x03\x05"), None);
        let mut epub = at(30, b"mimetypeapplication/epub+zip", 64);
        put(&mut epub, 0, b"PK\x03\x04");
        assert_eq!(sniff_binary(&epub), Some("epub"));
        let mut ods = at(30, b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet", 0);
        put(&mut ods, 0, b"PK\x03\x04");
        assert_eq!(sniff_binary(&ods), Some("ods"));
    }

    #[test]
    fn ooxml_entries_in_any_order() {
        // First entry is [Content_Types].xml, a later entry is under xl/.
        let mut v = at(0, b"PK\x03\x04", 0);
        put(&mut v, 30, b"[Content_Types].xml");
        put(&mut v, 100, b"PK\x03\x04");
        put(&mut v, 130, b"xl/workbook.xml");
        assert_eq!(sniff_binary(&v), Some("xlsx"));
        // Part folder without the content-types entry still wins once the buffer is exhausted.
        let mut w = at(0, b"PK\x03\x04", 0);
        put(&mut w, 30, b"word/document.xml");
        assert_eq!(sniff_binary(&w), Some("docx"));
        // The first part folder seen is kept.
        let mut p = at(0, b"PK\x03\x04", 0);
        put(&mut p, 30, b"ppt/x");
        put(&mut p, 60, b"PK\x03\x04");
        put(&mut p, 90, b"word/x");
        put(&mut p, 120, b"PK\x03\x04");
        put(&mut p, 150, b"_rels/.rels");
        assert_eq!(sniff_binary(&p), Some("pptx"));
    }

    #[test]
    fn apng_needs_actl_before_idat() {
        let mut v = PNG_SIG.to_vec();
        put(&mut v, 37, b"acTL");
        put(&mut v, 60, b"IDAT");
        assert_eq!(sniff_binary(&v), Some("apng"));
        let mut late = PNG_SIG.to_vec();
        put(&mut late, 37, b"IDAT");
        put(&mut late, 60, b"acTL");
        assert_eq!(sniff_binary(&late), Some("png"));
        // Without IDAT the last byte is excluded, so an `acTL` ending the buffer is missed.
        let mut tail = PNG_SIG.to_vec();
        put(&mut tail, 40, b"acTL");
        assert_eq!(sniff_binary(&tail), Some("png"));
        tail.push(0);
        assert_eq!(sniff_binary(&tail), Some("apng"));
    }

    #[test]
    fn tar_checksum() {
        let mut v = vec![0u8; 512];
        put(&mut v, 0, b"hello.txt");
        let sum: u32 = v.iter().map(|&c| u32::from(c)).sum::<u32>() + 256;
        let field = format!("{sum:06o}");
        put(&mut v, 148, field.as_bytes());
        assert_eq!(sniff_binary(&v), Some("tar"));
        put(&mut v, 148, b"000001");
        assert_eq!(sniff_binary(&v), None);
    }

    #[test]
    fn ftyp_brands() {
        let ftyp = |brand: &[u8]| {
            let mut v = at(4, b"ftyp", 0);
            put(&mut v, 8, brand);
            put(&mut v, 12, &[0, 0, 0, 0]);
            v
        };
        assert_eq!(sniff_binary(&ftyp(b"isom")), Some("mp4"));
        assert_eq!(sniff_binary(&ftyp(b"heic")), Some("heic"));
        assert_eq!(sniff_binary(&ftyp(b"qt  ")), Some("mov"));
        assert_eq!(sniff_binary(&ftyp(b"M4A ")), Some("m4a"));
        assert_eq!(sniff_binary(&ftyp(b"3gp5")), Some("3gp"));
        assert_eq!(sniff_binary(&ftyp(b"3g2a")), Some("3g2"));
        assert_eq!(sniff_binary(&ftyp(b"M4V\x00")), Some("m4v"));
        // Only the first NUL becomes a space, so a second NUL survives trimming.
        assert_eq!(sniff_binary(&ftyp(b"qt\x00\x00")), Some("mp4"));
        // A brand starting with a byte without bits 5/6 is rejected, and nothing else matches.
        assert_eq!(sniff_binary(&ftyp(b"\x01abc")), None);
    }

    #[test]
    fn matroska_and_riff_fall_through_when_unknown() {
        let mut mkv = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01];
        mkv.extend_from_slice(&[0x42, 0x82, 0x88]);
        mkv.extend_from_slice(b"matroska");
        assert_eq!(sniff_binary(&mkv), Some("mkv"));
        assert_eq!(sniff_binary(&[0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x84]), None);
        assert_eq!(sniff_binary(b"RIFF\x24\x00\x00\x00WAVEfmt "), Some("wav"));
        assert_eq!(sniff_binary(b"RIFF\x24\x00\x00\x00XXXX"), None);
    }

    #[test]
    fn asf_variants() {
        let head = [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9];
        assert_eq!(sniff_binary(&head), Some("asf"));
        let mut v = head.to_vec();
        put(
            &mut v,
            30,
            &[0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
        );
        put(
            &mut v,
            54,
            &[0x40, 0x9E, 0x69, 0xF8, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B],
        );
        assert_eq!(sniff_binary(&v), Some("wma"));
        // A zero object size would hang the reference; here it just ends the walk.
        let mut z = head.to_vec();
        put(&mut z, 80, &[0]);
        assert_eq!(sniff_binary(&z), Some("asf"));
    }

    #[test]
    fn mpeg_audio_needs_more_than_sixteen_bytes() {
        let mut mp3 = vec![0xFF, 0xFB, 0x90, 0x64];
        assert_eq!(sniff_binary(&mp3), None);
        mp3.resize(17, 0);
        assert_eq!(sniff_binary(&mp3), Some("mp3"));
        // Offset 1 is only tried when the buffer exceeds 17 bytes.
        let mut shifted = vec![0x00, 0xFF, 0xFB];
        shifted.resize(17, 0);
        assert_eq!(sniff_binary(&shifted), None);
        shifted.push(0);
        assert_eq!(sniff_binary(&shifted), Some("mp3"));
        let mut id3 = b"ID3\x04\x00".to_vec();
        id3.resize(20, 0);
        assert_eq!(sniff_binary(&id3), Some("mp3"));
    }

    #[test]
    fn weak_and_textual_signatures_are_reproduced() {
        // file-type flags these even though some are text; the reference refuses them too.
        assert_eq!(sniff_binary(b"BEGIN:VCALENDAR"), Some("ics"));
        assert_eq!(sniff_binary(b"<?xml version=\"1.0\"?>"), Some("xml"));
        assert_eq!(sniff_binary(b"%!PS-Adobe"), Some("ps"));
        assert_eq!(sniff_binary(b"{\\rtf1"), Some("rtf"));
        assert_eq!(sniff_binary(b"FORM...."), Some("aif"));
        assert_eq!(sniff_binary(b"MP+ "), Some("mpc"));
        assert_eq!(sniff_binary(b"abcdfree"), Some("mov"));
        assert_eq!(sniff_binary(b"CWS\x0A"), Some("swf"));
        // `<?xml` without the trailing space is not enough.
        assert_eq!(sniff_binary(b"<?xml>"), None);
    }

    #[test]
    fn offset_signatures() {
        let mut mts = at(4, &[0x47], 0);
        put(&mut mts, 196, &[0x47]);
        assert_eq!(sniff_binary(&mts), Some("mts"));
        let mut dcm = at(128, b"DICM", 0);
        put(&mut dcm, 0, b"xx");
        assert_eq!(sniff_binary(&dcm), Some("dcm"));
        assert_eq!(sniff_binary(&at(2, &[0x27, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 100)), Some("shp"));
        assert_eq!(sniff_binary(b"OggS\x00\x02"), Some("ogx"));
        let mut opus = at(28, b"OpusHead", 0);
        put(&mut opus, 0, b"OggS");
        assert_eq!(sniff_binary(&opus), Some("opus"));
    }

    #[test]
    fn order_matches_reference() {
        // cr2 is tested before tif, deb before ar, ttf before ico.
        let mut cr2 = b"II*\x00\x10\x00\x00\x00CR".to_vec();
        cr2.resize(16, 0);
        assert_eq!(sniff_binary(&cr2), Some("cr2"));
        assert_eq!(sniff_binary(b"!<arch>\ndebian-binary"), Some("deb"));
        assert_eq!(sniff_binary(b"!<arch>\nfoo"), Some("ar"));
        assert_eq!(sniff_binary(&[0x00, 0x01, 0x00, 0x00, 0x00]), Some("ttf"));
        assert_eq!(sniff_binary(&[0x00, 0x00, 0x01, 0x00]), Some("ico"));
        // A JPEG-2000 box with an unknown brand falls through to later checks (here none).
        let mut j2 = vec![0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A];
        j2.resize(24, 0x11);
        assert_eq!(sniff_binary(&j2), None);
        put(&mut j2, 20, b"jp2 ");
        assert_eq!(sniff_binary(&j2), Some("jp2"));
    }
}
