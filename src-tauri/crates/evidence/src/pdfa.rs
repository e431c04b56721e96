//! What makes a Recert PDF a PDF/A-3 file (ISO 19005-3, level B): XMP metadata that says so
//! and agrees with the document information dictionary, an sRGB output intent for the RGB the
//! pages draw in, and PDF 1.7 in the header. The embedded fonts, the associated files with
//! their `AFRelationship` and the fixed document id are written elsewhere (`canvas`, `pdf`).
//!
//! The sRGB profile is built here from the published sRGB definition (IEC 61966-2-1: the
//! primaries adapted to D50 and the tone curve as a table), so no profile file is shipped.

use lopdf::{Dictionary, Object, Stream, StringFormat};
use printpdf::{DateTime, PdfDocumentInfo};

use crate::EvidenceError;

/// The output condition the pages are meant for, as the output intent names it.
const SRGB: &str = "sRGB IEC61966-2.1";

/// Makes `doc` claim, and meet in its structure, PDF/A-3B: version, XMP metadata, a matching
/// information dictionary and the sRGB output intent.
pub(crate) fn conform(
    doc: &mut lopdf::Document,
    info: &PdfDocumentInfo,
) -> Result<(), EvidenceError> {
    doc.version = "1.7".into();
    let date = xmp_date(&info.creation_date);
    let xmp = xmp(info, &date);
    let mut metadata = Stream::new(
        dict(vec![("Type", Object::from("Metadata")), ("Subtype", Object::from("XML"))]),
        xmp.into_bytes(),
    );
    // Left unfiltered, so any tool can find and read the metadata packet.
    metadata.allows_compression = false;
    let metadata_id = doc.add_object(metadata);

    let mut profile = Stream::new(
        dict(vec![("N", Object::Integer(3)), ("Alternate", Object::from("DeviceRGB"))]),
        srgb_profile(),
    );
    profile.allows_compression = true;
    let profile_id = doc.add_object(profile);
    let intent = dict(vec![
        ("Type", Object::from("OutputIntent")),
        ("S", Object::from("GTS_PDFA1")),
        ("OutputConditionIdentifier", text(SRGB)),
        ("Info", text(SRGB)),
        ("RegistryName", text("http://www.color.org")),
        ("DestOutputProfile", Object::Reference(profile_id)),
    ]);

    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| EvidenceError::Write(format!("catalog: {e}")))?;
    let catalog =
        doc.get_dictionary_mut(root).map_err(|e| EvidenceError::Write(format!("catalog: {e}")))?;
    catalog.set("Metadata", Object::Reference(metadata_id));
    catalog.set("OutputIntents", vec![Object::from(intent)]);

    // The information dictionary says exactly what the XMP says, and nothing else: PDF/A
    // requires the two to agree, and printpdf's carries PDF/X and trapping keys.
    let pdf_date = pdf_date(&info.creation_date);
    let info_dict = dict(vec![
        ("Title", unicode(&info.document_title)),
        ("Subject", unicode(&info.subject)),
        ("Creator", unicode(&info.creator)),
        ("Producer", unicode(&info.producer)),
        ("CreationDate", text(&pdf_date)),
        ("ModDate", text(&pdf_date)),
    ]);
    // In place of printpdf's, under the same object number.
    match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => {
            doc.objects.insert(id, Object::Dictionary(info_dict));
        }
        Err(_) => {
            let id = doc.add_object(info_dict);
            doc.trailer.set("Info", Object::Reference(id));
        }
    }
    Ok(())
}

/// The XMP packet: Dublin Core title and description, the tool, the dates, the producer and
/// the PDF/A identification.
fn xmp(info: &PdfDocumentInfo, date: &str) -> String {
    format!(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
         xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
         <dc:format>application/pdf</dc:format>\n\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
         <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n\
         <xmp:CreatorTool>{creator}</xmp:CreatorTool>\n\
         <xmp:CreateDate>{date}</xmp:CreateDate>\n\
         <xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
         <xmp:MetadataDate>{date}</xmp:MetadataDate>\n\
         <pdf:Producer>{producer}</pdf:Producer>\n\
         <pdfaid:part>3</pdfaid:part>\n\
         <pdfaid:conformance>B</pdfaid:conformance>\n\
         </rdf:Description>\n\
         </rdf:RDF>\n\
         </x:xmpmeta>\n\
         <?xpacket end=\"w\"?>",
        title = xml(&info.document_title),
        subject = xml(&info.subject),
        creator = xml(&info.creator),
        producer = xml(&info.producer),
    )
}

/// `s` as XML character data: markup escaped, and characters XML 1.0 cannot carry (control
/// characters) as U+FFFD, so a hostile campaign name cannot break the packet.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn xmp_date(d: &DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        d.date.year, d.date.month, d.date.day, d.time.hour, d.time.minute, d.time.second
    )
}

/// A PDF date string (`D:YYYYMMDDHHmmSS+00'00'`).
pub(crate) fn pdf_date(d: &DateTime) -> String {
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'",
        d.date.year, d.date.month, d.date.day, d.time.hour, d.time.minute, d.time.second
    )
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

/// A text string: PDFDocEncoding's ASCII part as is, anything else UTF-16BE with its mark.
fn unicode(s: &str) -> Object {
    if s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        return text(s);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in s.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn dict(entries: Vec<(&str, Object)>) -> Dictionary {
    let mut d = Dictionary::new();
    for (k, v) in entries {
        d.set(k, v);
    }
    d
}

/// An ICC v2 display profile for sRGB: D50 white, the sRGB primaries adapted to D50
/// (Bradford), and the sRGB tone curve as a 1024-entry table shared by the three channels.
pub(crate) fn srgb_profile() -> Vec<u8> {
    fn s15(v: f64) -> [u8; 4] {
        ((v * 65536.0).round() as i32).to_be_bytes()
    }
    fn xyz(v: [f64; 3]) -> Vec<u8> {
        let mut out = b"XYZ \0\0\0\0".to_vec();
        for c in v {
            out.extend_from_slice(&s15(c));
        }
        out
    }
    fn desc(s: &str) -> Vec<u8> {
        let mut out = b"desc\0\0\0\0".to_vec();
        out.extend_from_slice(&(s.len() as u32 + 1).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
        // No Unicode or ScriptCode description: their counts are zero, the ScriptCode field
        // keeps its fixed 67 bytes.
        out.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
        out
    }
    fn text_tag(s: &str) -> Vec<u8> {
        let mut out = b"text\0\0\0\0".to_vec();
        out.extend_from_slice(s.as_bytes());
        out.push(0);
        out
    }
    let curve = {
        const N: usize = 1024;
        let mut out = b"curv\0\0\0\0".to_vec();
        out.extend_from_slice(&(N as u32).to_be_bytes());
        for i in 0..N {
            let v = i as f64 / (N - 1) as f64;
            let linear = if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) };
            out.extend_from_slice(&((linear * 65535.0).round() as u16).to_be_bytes());
        }
        out
    };
    let d50 = [0.9642, 1.0, 0.8249];
    // (tag, data); the three curves share one data block.
    let blocks: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc(SRGB)),
        (b"cprt", text_tag("No copyright, use freely")),
        (b"wtpt", xyz(d50)),
        (b"rXYZ", xyz([0.436_074_7, 0.222_504_5, 0.013_932_2])),
        (b"gXYZ", xyz([0.385_064_9, 0.716_878_6, 0.097_104_5])),
        (b"bXYZ", xyz([0.143_080_4, 0.060_616_9, 0.714_173_3])),
        (b"rTRC", curve),
    ];
    let tags = blocks.len() + 2;
    let mut offset = 128 + 4 + 12 * tags;
    let mut table = (tags as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    let mut curve_at = (0, 0);
    for (sig, block) in &blocks {
        let at = (offset as u32, block.len() as u32);
        if *sig == b"rTRC" {
            curve_at = at;
        }
        table.extend_from_slice(*sig);
        table.extend_from_slice(&at.0.to_be_bytes());
        table.extend_from_slice(&at.1.to_be_bytes());
        data.extend_from_slice(block);
        while data.len() % 4 != 0 {
            data.push(0);
        }
        offset = 128 + 4 + 12 * tags + data.len();
    }
    for sig in [b"gTRC", b"bTRC"] {
        table.extend_from_slice(sig);
        table.extend_from_slice(&curve_at.0.to_be_bytes());
        table.extend_from_slice(&curve_at.1.to_be_bytes());
    }
    let size = 128 + table.len() + data.len();
    let mut header = Vec::with_capacity(size);
    header.extend_from_slice(&(size as u32).to_be_bytes());
    header.extend_from_slice(&[0; 4]); // preferred CMM: none
    header.extend_from_slice(&[0x02, 0x10, 0, 0]); // version 2.1
    header.extend_from_slice(b"mntrRGB XYZ ");
    // Creation date: fixed, so the profile (and every PDF) is the same bytes each time.
    for v in [2026u16, 1, 1, 0, 0, 0] {
        header.extend_from_slice(&v.to_be_bytes());
    }
    header.extend_from_slice(b"acsp");
    header.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8]); // platform, flags, maker, model, attrs
    header.extend_from_slice(&0u32.to_be_bytes()); // perceptual intent
    for c in d50 {
        header.extend_from_slice(&s15(c));
    }
    header.extend_from_slice(&[0; 4 + 16 + 28]); // creator, profile id, reserved
    debug_assert_eq!(header.len(), 128);
    header.extend_from_slice(&table);
    header.extend_from_slice(&data);
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_srgb_profile_is_a_well_formed_icc_display_profile() {
        let p = srgb_profile();
        let u32_at = |at: usize| u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
        assert_eq!(u32_at(0) as usize, p.len(), "the size field is the size");
        assert_eq!(&p[12..24], b"mntrRGB XYZ ");
        assert_eq!(&p[36..40], b"acsp");
        let tags = u32_at(128) as usize;
        assert_eq!(tags, 9);
        for i in 0..tags {
            let at = 132 + 12 * i;
            let (offset, size) = (u32_at(at + 4) as usize, u32_at(at + 8) as usize);
            assert!(offset % 4 == 0 && offset + size <= p.len(), "tag {i} lies inside the file");
            let kind = &p[offset..offset + 4];
            let expected: &[u8] = match &p[at..at + 4] {
                b"desc" => b"desc",
                b"cprt" => b"text",
                b"rTRC" | b"gTRC" | b"bTRC" => b"curv",
                _ => b"XYZ ",
            };
            assert_eq!(kind, expected);
        }
        assert_eq!(p, srgb_profile(), "the same bytes every time");
    }

    #[test]
    fn xml_text_cannot_break_the_packet() {
        assert_eq!(xml("a<b>&\"c\u{1}"), "a&lt;b&gt;&amp;&quot;c\u{FFFD}");
    }
}
