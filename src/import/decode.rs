//! Whatever encoding a table came in, UTF-8 out. Excel on a Chinese Windows saves "CSV" as GBK, "CSV UTF-8"
//! with a BOM and "Unicode text" as UTF-16 with a BOM; scripts send plain UTF-8.

use std::io::{self, Cursor, Read};

use encoding_rs::{Encoding, GB18030, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// How much of the file is looked at to tell UTF-8 from GBK.
const SNIFF_BYTES: usize = 64 * 1024;

/// A reader of UTF-8 text: a BOM decides, then a `charset` the client declared, then the first 64 KiB
/// (valid UTF-8 means UTF-8, anything else is read as GB18030, the superset of GBK and GB2312).
pub fn utf8_reader<R: Read + Send + 'static>(
    mut input: R,
    declared: Option<&'static Encoding>,
) -> io::Result<Box<dyn Read + Send>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let encoding = declared.unwrap_or_else(|| sniff(&head));
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(Cursor::new(head).chain(input));
    Ok(Box::new(reader))
}

/// UTF-8 when the sample is valid UTF-8 (a character cut at the sample's end does not count), else GB18030.
pub fn sniff(head: &[u8]) -> &'static Encoding {
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

/// The encoding a `charset` parameter names (`gbk`, `gb2312`, `utf-8`, …), if it is one.
pub fn named(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().trim_matches('"').as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: Vec<u8>, declared: Option<&'static Encoding>) -> String {
        let mut text = String::new();
        utf8_reader(Cursor::new(bytes), declared).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn gbk_is_recognised_without_a_label() {
        let (gbk, _, _) = GB18030.encode("号牌号码,检测结果\n辽A12345,合格\n");
        assert_eq!(decode(gbk.into_owned(), None), "号牌号码,检测结果\n辽A12345,合格\n");
    }

    #[test]
    fn boms_are_honoured_and_stripped() {
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend("站点,时间\n".as_bytes());
        assert_eq!(decode(utf8, None), "站点,时间\n");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("站点\t时间\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(utf16, None), "站点\t时间\n");
    }

    #[test]
    fn a_declared_charset_wins_over_sniffing() {
        let (gbk, _, _) = GB18030.encode("沈阳");
        assert_eq!(decode(gbk.into_owned(), named("gbk")), "沈阳");
        assert_eq!(named("GB2312"), Some(encoding_rs::GBK));
        assert_eq!(named("no-such-charset"), None);
    }

    #[test]
    fn a_character_cut_by_the_sample_is_still_utf8() {
        let text = "沈".repeat(SNIFF_BYTES); // 3 bytes each: the sample ends inside a character
        assert_eq!(sniff(&text.as_bytes()[..SNIFF_BYTES]), UTF_8);
        assert_eq!(decode(text.clone().into_bytes(), None), text);
    }
}
