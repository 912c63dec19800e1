//! Finding out how a text file is encoded before reading it: UTF-8 (with or
//! without a byte-order mark) or Windows-1252 (what Excel on Swedish Windows
//! writes for "CSV (semikolonavgränsad)"), and refusing files that are not
//! text at all.
//!
//! The check streams the file in chunks, so an 80 MB file costs one quick
//! read, never its size in memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::ImportError;

/// How the bytes of a text file map to characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Windows1252,
}

impl TextEncoding {
    /// Decodes one field; borrows when no conversion is needed.
    pub fn decode<'a>(self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Windows1252 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// What [`sniff`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub encoding: TextEncoding,
    /// Length of the UTF-8 byte-order mark to skip (0 or 3).
    pub bom_len: u64,
    pub file_size: u64,
    /// Invalid byte sequences in a file read as UTF-8 anyway (they are
    /// replaced by U+FFFD); 0 for Windows-1252 and files with a BOM.
    pub invalid_utf8: u64,
}

/// What a UTF-8 scan found so far.
#[derive(Debug, Default)]
struct Utf8Counts {
    /// Valid characters of two or more bytes.
    multibyte: u64,
    /// Invalid byte sequences.
    invalid: u64,
}

impl Utf8Counts {
    /// Scans `buf`; returns the length of an incomplete character at its end,
    /// to carry over to the next chunk.
    fn scan(&mut self, buf: &[u8]) -> usize {
        let mut pos = 0;
        loop {
            match std::str::from_utf8(&buf[pos..]) {
                Ok(valid) => {
                    self.multibyte += count_leading_bytes(valid.as_bytes());
                    return 0;
                }
                Err(e) => {
                    let valid_end = pos + e.valid_up_to();
                    self.multibyte += count_leading_bytes(&buf[pos..valid_end]);
                    match e.error_len() {
                        None => return buf.len() - valid_end,
                        Some(n) => {
                            self.invalid += 1;
                            pos = valid_end + n;
                        }
                    }
                }
            }
        }
    }

    /// Enough evidence that this is a single-byte encoding.
    fn clearly_not_utf8(&self) -> bool {
        self.invalid >= 1000 && self.multibyte < 10 * self.invalid
    }
}

/// Leading bytes of multi-byte UTF-8 characters in valid UTF-8.
fn count_leading_bytes(valid: &[u8]) -> u64 {
    valid.iter().filter(|&&b| b >= 0xC0).count() as u64
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const HEAD_LEN: usize = 1024;
const CHUNK_LEN: usize = 256 * 1024;

/// Checks that `path` is a non-empty text file and finds its encoding.
pub fn sniff(path: &Path) -> Result<Sniffed, ImportError> {
    let io_err = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let file_err = |reason: &str| ImportError::File {
        path: path.to_owned(),
        line: None,
        reason: reason.to_owned(),
    };
    let mut file = File::open(path).map_err(io_err)?;
    let file_size = file.metadata().map_err(io_err)?.len();
    if file_size == 0 {
        return Err(file_err("empty file (0 bytes)"));
    }

    let mut chunk = vec![0u8; CHUNK_LEN];
    let first_len = read_full(&mut file, &mut chunk).map_err(io_err)?;
    let first = &chunk[..first_len];
    if first.starts_with(b"\xFF\xFE") || first.starts_with(b"\xFE\xFF") {
        return Err(file_err(
            "UTF-16 text is not supported: save the file as \"CSV UTF-8\" or \"CSV (semikolonavgränsad)\"",
        ));
    }
    let bom_len = if first.starts_with(UTF8_BOM) { 3 } else { 0 };
    let body = &first[bom_len..];
    if body.iter().all(u8::is_ascii_whitespace) && first_len as u64 == file_size {
        return Err(file_err("empty file (no text in it)"));
    }
    let head = body[..body.len().min(HEAD_LEN)].to_vec();
    if head.iter().any(|&b| is_binary_control(b)) {
        return Err(file_err(
            "not a text file (it holds control bytes such as NUL; is it an Excel workbook? save it as CSV)",
        ));
    }

    if bom_len > 0 {
        return Ok(Sniffed {
            encoding: TextEncoding::Utf8,
            bom_len: 3,
            file_size,
            invalid_utf8: 0,
        });
    }

    // Stream the whole file through a UTF-8 check, carrying an incomplete
    // character over chunk boundaries. Count valid multi-byte characters and
    // invalid sequences: a UTF-8 file with a stray bad byte stays UTF-8.
    let mut counts = Utf8Counts::default();
    let mut carry;
    let mut len = first_len;
    loop {
        carry = counts.scan(&chunk[..len]);
        if counts.clearly_not_utf8() {
            break;
        }
        chunk.copy_within(len - carry..len, 0);
        let n = read_full(&mut file, &mut chunk[carry..]).map_err(io_err)?;
        if n == 0 {
            if carry > 0 {
                counts.invalid += 1;
            }
            break;
        }
        len = carry + n;
    }
    if counts.invalid == 0 || counts.multibyte >= 10 * counts.invalid {
        return Ok(Sniffed {
            encoding: TextEncoding::Utf8,
            bom_len: 0,
            file_size,
            invalid_utf8: counts.invalid,
        });
    }

    // Not UTF-8: Windows-1252, unless the head looks like binary data.
    let high = head.iter().filter(|&&b| b >= 0x80).count();
    let undefined = head
        .iter()
        .any(|&b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
    if undefined || high * 4 > head.len() {
        return Err(file_err(
            "not a text file (its first bytes are neither UTF-8 nor Windows-1252 text)",
        ));
    }
    Ok(Sniffed {
        encoding: TextEncoding::Windows1252,
        bom_len: 0,
        file_size,
        invalid_utf8: 0,
    })
}

/// Control bytes that never occur in text files (tab, line breaks, form feed
/// and the old DOS end-of-file mark are allowed).
fn is_binary_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A)
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_bytes(bytes: &[u8]) -> Result<Sniffed, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, bytes).unwrap();
        sniff(&path)
    }

    fn reason(r: Result<Sniffed, ImportError>) -> String {
        match r {
            Err(ImportError::File { reason, .. }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encodings() {
        let s = sniff_bytes("id;plats\n1;Sölvesborg\n".as_bytes()).unwrap();
        assert_eq!((s.encoding, s.bom_len), (TextEncoding::Utf8, 0));
        let s = sniff_bytes("\u{feff}id;plats\n1;Sölvesborg\n".as_bytes()).unwrap();
        assert_eq!((s.encoding, s.bom_len), (TextEncoding::Utf8, 3));
        let s = sniff_bytes(b"id;plats\n1;S\xF6lvesborg\n").unwrap();
        assert_eq!(s.encoding, TextEncoding::Windows1252);
        assert_eq!(
            TextEncoding::Windows1252.decode(b"K\xE4lla \x96 \x80"),
            "Källa – €"
        );
    }

    #[test]
    fn utf8_split_over_chunks_is_still_utf8() {
        // An 'ö' (2 bytes) straddling the first chunk boundary.
        let mut bytes = vec![b'a'; CHUNK_LEN - 1];
        bytes.extend_from_slice("ö\n".as_bytes());
        bytes.extend(std::iter::repeat_n(b'b', 3 * CHUNK_LEN));
        let s = sniff_bytes(&bytes).unwrap();
        assert_eq!(s.encoding, TextEncoding::Utf8);
        // A Windows-1252 byte far past the head is found.
        bytes.push(0xF6);
        let s = sniff_bytes(&bytes).unwrap();
        assert_eq!(s.encoding, TextEncoding::Windows1252);
    }

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8() {
        let mut text = b"id;plats\n".to_vec();
        for _ in 0..50 {
            text.extend_from_slice("1;Sölvesborg Hällevik Nättraby\n".as_bytes());
        }
        text.extend_from_slice(b"2;S\xF6lvesborg\n");
        let s = sniff_bytes(&text).unwrap();
        assert_eq!((s.encoding, s.invalid_utf8), (TextEncoding::Utf8, 1));
        // Many invalid bytes and few valid characters: Windows-1252.
        let mut text = "id;plats\n1;Sölvesborg\n".to_owned().into_bytes();
        for _ in 0..20 {
            text.extend_from_slice(b"2;S\xF6lvesborg, H\xE4llevik\n");
        }
        let s = sniff_bytes(&text).unwrap();
        assert_eq!(s.encoding, TextEncoding::Windows1252);
    }

    #[test]
    fn bad_files() {
        assert!(reason(sniff_bytes(b"")).contains("empty file"));
        assert!(reason(sniff_bytes(b" \r\n\n")).contains("empty file"));
        assert!(reason(sniff_bytes(b"\xEF\xBB\xBF")).contains("empty file"));
        assert!(reason(sniff_bytes(b"PK\x03\x04\x14\x00\x06\x00")).contains("not a text file"));
        assert!(reason(sniff_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")).contains("not a text file"));
        let noise: Vec<u8> = (0..600u32).map(|i| 0x80 + (i * 7 % 0x7F) as u8).collect();
        assert!(reason(sniff_bytes(&noise)).contains("not a text file"));
        assert!(reason(sniff_bytes(b"\xFF\xFEi\x00d\x00")).contains("UTF-16"));
    }
}
