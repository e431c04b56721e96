//! The binder exports as an auditor receives them: the PDF's extracted text against an
//! expectation, names in several scripts, hostile strings, determinism, the hashes that tie the
//! files together, tamper detection, and pagination of a large campaign.
//!
//! Needs poppler-utils (`pdftotext`, `pdffonts`); `cargo xtask test` installs them.

mod fixture;

use std::io::Write;
use std::process::Command;

use recert_evidence::model::Binder;
use recert_evidence::{ExportFile, Exports, Rendered, render_all, verify_exports};
use sha2::{Digest, Sha256};

fn render(binder: &Binder) -> Rendered {
    render_all(binder).expect("the binder renders")
}

/// Runs a poppler tool on `pdf` and returns its standard output.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(pdf).expect("the PDF is written");
    let path = file.path().to_str().expect("a UTF-8 temporary path").to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&path);
    if tool == "pdftotext" {
        all.push("-");
    }
    let out = Command::new(tool).args(&all).output().unwrap_or_else(|e| {
        panic!("{tool} is needed (poppler-utils; `cargo xtask test` installs it): {e}")
    });
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("poppler writes UTF-8")
}

/// What poppler says on reading `pdf` (it repairs a damaged file silently but for this).
fn reader_complaints(pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(pdf).expect("the PDF is written");
    let out = Command::new("pdfinfo").arg(file.path()).output().expect("pdfinfo runs");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout", "-enc", "UTF-8"], pdf)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn pdf_text_matches_the_expectation() {
    let dump = text(&render(&fixture::binder()).pdf);
    // Trailing spaces depend on nothing we control; strip them so the file stays reviewable.
    let dump: String = dump.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    expect_test::expect_file!["expected/binder.txt"].assert_eq(&dump);
}

#[test]
fn every_export_is_byte_identical_for_the_same_binder() {
    let (a, b) = (render(&fixture::binder()), render(&fixture::binder()));
    for ((name, x), (_, y)) in a.files().iter().zip(b.files().iter()) {
        assert!(x == y, "{name} differs between two renderings");
    }
    assert_eq!(a.evidence_hash, b.evidence_hash);
    let mut other = fixture::binder();
    other.generated_at = "2026-04-01 12:00:00 UTC".into();
    let c = render(&other);
    assert!(c.pdf != a.pdf && c.json != a.json, "a different binder gives different bytes");
}

#[test]
fn names_in_every_script_are_embedded_and_searchable() {
    let pdf = render(&fixture::binder()).pdf;
    let fonts = poppler("pdffonts", &[], &pdf);
    for face in [
        "DejaVuSansCondensed",
        "DejaVuSansCondensed-Bold",
        "DejaVuSansMono",
        "DroidSansFallback",
        "NanumGothic",
        "NotoSansDevanagari-Regular",
    ] {
        let line = fonts
            .lines()
            .find(|l| l.contains(&format!("+{face} ")))
            .unwrap_or_else(|| panic!("{face} is not embedded:\n{fonts}"));
        assert!(
            line.contains("yes yes yes"),
            "{face} must be embedded, subset, with ToUnicode: {line}"
        );
    }
    let plain = poppler("pdftotext", &["-enc", "UTF-8"], &pdf);
    for name in [
        "José Müller",
        "Łukasz Żółć",
        "Ελένη Παπαδοπούλου",
        "Жанна Иванова",
        "山田太郎",
        "王秀英",
        "李伟",
        "김민준",
        "अमित सिंह",
        // Right to left: drawn in visual order, so it reads right and extracts as typed.
        "محمد العلي",
    ] {
        assert!(plain.contains(name), "{name} is not in the PDF's text");
    }
}

#[test]
fn thai_and_hebrew_names_are_drawn_and_a_script_no_face_has_is_marked_not_boxed() {
    let mut binder = fixture::binder();
    let names = ["สมชาย ศรีสุข", "נועה כהן", "ሰላም Tesfaye"];
    for (item, name) in binder.items.iter_mut().zip(names) {
        item.principal_name = name.to_string();
    }
    let pdf = render(&binder).pdf;
    let fonts = poppler("pdffonts", &[], &pdf);
    assert!(
        fonts.lines().any(|l| l.contains("+NotoSansThai-Regular ") && l.contains("yes yes yes")),
        "the Thai face is embedded, subset, with ToUnicode:\n{fonts}"
    );
    let plain = poppler("pdftotext", &["-enc", "UTF-8"], &pdf);
    for name in ["สมชาย ศรีสุข", "נועה כהן"] {
        assert!(plain.contains(name), "{name} is not in the PDF's text");
    }
    // Ethiopic is in no face: each letter is a replacement mark, the Latin after it intact.
    assert!(plain.contains("\u{FFFD}\u{FFFD}\u{FFFD} Tesfaye"), "{}", {
        plain.lines().filter(|l| l.contains("Tesfaye")).collect::<Vec<_>>().join("\n")
    });
    assert!(!plain.contains("ሰላም"));
}

/// `s` without any whitespace: wrapped text compared with what was typed.
fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn hostile_strings_are_whole_in_the_pdf_and_defused_in_the_csv() {
    let r = render(&fixture::binder());
    let dump = text(&r.pdf);
    assert!(dump.contains(fixture::FORMULA), "the formula-like name is printed as text");
    assert!(dump.contains("Maximilian Alexander"), "the long name is printed");
    // In drawing order, a wrapped cell's lines follow one another.
    let raw = poppler("pdftotext", &["-raw", "-enc", "UTF-8"], &r.pdf);
    assert!(
        squeezed(&raw).contains(&squeezed(fixture::LONG_NAME)),
        "the long name is printed whole, wrapped, never cut"
    );
    assert!(!raw.contains('…'), "nothing is cut with an ellipsis");
    assert!(dump.contains("Line Break Tab"), "control characters become spaces");

    let body = r.decisions_csv.strip_prefix("\u{FEFF}".as_bytes()).expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
    let cell = |id: &str, col: &str| {
        let at =
            recert_evidence::DECISION_COLUMNS.iter().position(|c| *c == col).expect("a column");
        let row = rows.iter().find(|r| &r[0] == id).expect("the item");
        row[at].to_string()
    };
    assert_eq!(cell("7", "principal_name"), format!("'{}", fixture::FORMULA));
    assert_eq!(cell("7", "principal_upn"), "'+sum(1;2)@contoso.example");
    assert_eq!(cell("10", "principal_upn"), "'@import@contoso.example");
    assert!(cell("7", "justification").starts_with("'=HYPERLINK(\"http"));
    assert_eq!(cell("8", "principal_name"), fixture::LONG_NAME, "full text in the CSV");
    assert_eq!(cell("10", "principal_name"), "Line\nBreak\tTab", "kept as is, quoted");
    assert!(cell("2", "justification").contains("team.\nMoved to Sales"));
    let history = String::from_utf8(r.history_csv.clone()).expect("UTF-8");
    assert!(history.contains(",'-clicked by mistake,"), "{history}");
    let json = String::from_utf8(r.json).expect("UTF-8");
    assert!(json.contains("\"principal_name\": \"=cmd|' /C calc'!A0\""), "the JSON keeps raw text");
}

#[test]
fn the_evidence_hash_covers_the_json_which_covers_the_csvs() {
    let b = fixture::binder();
    let r = render(&b);
    assert_eq!(r.evidence_hash, sha256(&r.json));
    assert_eq!(r.evidence_hash, recert_evidence::evidence_hash(&b));
    let json: serde_json::Value = serde_json::from_slice(&r.json).expect("valid JSON");
    assert_eq!(json["format"], "recert-evidence-binder/1");
    for (name, bytes) in [
        ("decisions.csv", &r.decisions_csv),
        ("decision-history.csv", &r.history_csv),
        ("remediation.csv", &r.remediation_csv),
    ] {
        assert_eq!(json["exports"][name]["sha256"], sha256(bytes), "{name}");
    }
    assert_eq!(json["exports"]["decisions.csv"]["rows"], 12);
    let back: Binder =
        serde_json::from_value(json["binder"].clone()).expect("the Binder reads back");
    assert_eq!(back, b, "the JSON holds the whole Binder");
    let pages: Vec<String> = text(&r.pdf).split('\u{c}').map(str::to_string).collect();
    assert!(pages[0].contains(&r.evidence_hash), "on the cover");
    let sign_off = pages.iter().rev().find(|p| !p.trim().is_empty()).expect("a last page");
    assert!(
        sign_off.contains("Sign-off") && sign_off.contains(&r.evidence_hash),
        "on the sign-off"
    );
}

fn exports(r: &Rendered) -> Exports<'_> {
    Exports {
        pdf: Some(&r.pdf),
        decisions_csv: Some(&r.decisions_csv),
        history_csv: Some(&r.history_csv),
        remediation_csv: Some(&r.remediation_csv),
        json: Some(&r.json),
    }
}

fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "same length, so only these bytes change");
    let at =
        bytes.windows(from.len()).position(|w| w == from.as_bytes()).expect("the text is there");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

#[test]
fn verify_accepts_untouched_exports() {
    let b = fixture::binder();
    let r = render(&b);
    assert_eq!(verify_exports(&b, &exports(&r)).expect("verifies"), vec![]);
}

#[test]
fn verify_locates_an_edited_value_in_each_export() {
    let b = fixture::binder();
    let r = render(&b);
    let check =
        |edited: Exports<'_>, file: ExportFile, location: &str, expected: &str, found: &str| {
            let found_all = verify_exports(&b, &edited).expect("verifies");
            assert_eq!(found_all.len(), 1, "{found_all:?}");
            let m = &found_all[0];
            assert_eq!(m.file, file);
            assert!(m.location.contains(location), "{m}");
            assert!(m.expected.contains(expected) && m.found.contains(found), "{m}");
        };
    let csv = replace(&r.decisions_csv, "No longer in", "No langer in");
    check(
        Exports { decisions_csv: Some(&csv), ..exports(&r) },
        ExportFile::DecisionsCsv,
        "line 3 (row 2), column justification",
        "No longer",
        "No langer",
    );
    let history = replace(&r.history_csv, "clicked by", "clicked bY");
    check(
        Exports { history_csv: Some(&history), ..exports(&r) },
        ExportFile::HistoryCsv,
        "column justification",
        "clicked by",
        "clicked bY",
    );
    let remediation = replace(&r.remediation_csv, "still-present", "verified-rem.");
    check(
        Exports { remediation_csv: Some(&remediation), ..exports(&r) },
        ExportFile::RemediationCsv,
        "column verified",
        "still-present",
        "verified-rem.",
    );
    let json = replace(&r.json, "\"verdict\": \"deny\"", "\"verdict\": \"DENY\"");
    check(
        Exports { json: Some(&json), ..exports(&r) },
        ExportFile::Json,
        "binder.items[1].decision.verdict",
        "deny",
        "DENY",
    );
    // A PDF regenerated from doctored data: the page and the line that changed are named.
    let mut doctored = b.clone();
    doctored.items[2].principal_name = "Жанна Петрова".into();
    let pdf = render(&doctored).pdf;
    let found =
        verify_exports(&b, &Exports { pdf: Some(&pdf), ..Exports::default() }).expect("verifies");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].file, ExportFile::Pdf);
    // The evidence hash printed on the cover changed too, so the cover is the first page to differ.
    assert!(found[0].location.starts_with("page 1 of 16, text line"), "{}", found[0]);
    assert_eq!(found[0].expected.len(), found[0].found.len(), "{}", found[0]);
}

#[test]
fn verify_detects_one_altered_byte_anywhere_in_each_export() {
    let b = fixture::binder();
    let r = render(&b);
    for (name, bytes) in r.files() {
        for at in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 2] {
            let mut altered = bytes.to_vec();
            altered[at] ^= 0x01;
            let one = |slot: &str| (name == slot).then_some(altered.as_slice());
            let exports = Exports {
                pdf: one("binder.pdf"),
                decisions_csv: one("decisions.csv"),
                history_csv: one("decision-history.csv"),
                remediation_csv: one("remediation.csv"),
                json: one("binder.json"),
            };
            let found = verify_exports(&b, &exports).expect("verifies");
            assert_eq!(found.len(), 1, "{name} byte {at}: {found:?}");
            assert_eq!(found[0].file.name(), name);
        }
    }
}

#[test]
fn a_5000_item_binder_paginates_with_the_table_header_on_every_page() {
    let b = fixture::synthetic(5000);
    let pdf = recert_evidence::binder_pdf(&b).expect("renders");
    let dump = text(&pdf);
    let pages: Vec<&str> = dump.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    let total = pages.len();
    assert!(total > 100, "{total} pages");
    let mut decision_pages = 0;
    let mut rows = 0;
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page {} has its number",
            i + 1
        );
        if page.lines().next().is_some_and(|l| l.contains("Decisions by role")) {
            decision_pages += 1;
            let header = page.lines().find(|l| l.contains("Principal")).unwrap_or("");
            for column in [
                "Item",
                "UPN",
                "Type",
                "Kind",
                "Membership",
                "Reviewer",
                "Decision",
                "Decided (UTC)",
                "Justification",
                "Recommended",
            ] {
                assert!(header.contains(column), "page {}: no {column} in the header", i + 1);
            }
            rows += page
                .lines()
                .filter(|l| {
                    let first = l.split_whitespace().next().and_then(|w| w.parse::<u32>().ok());
                    first.is_some_and(|n| l.contains(&format!(" user{n}@contoso.example ")))
                })
                .count();
        }
    }
    assert!(decision_pages > 100, "{decision_pages} pages of decisions");
    assert_eq!(rows, 5000, "every item is printed once");
    assert!(dump.contains("Global Administrator · Entra role · 1250 items (continued)"));
}

#[test]
fn an_empty_binder_renders_and_verifies() {
    let b = Binder::default();
    let r = render(&b);
    assert!(r.pdf.starts_with(b"%PDF-"));
    assert_eq!(verify_exports(&b, &exports(&r)).expect("verifies"), vec![]);
}

/// Characters that change how text reads without being seen: direction marks, embeddings,
/// overrides and isolates.
const HIDDEN: &[char] = &[
    '\u{200E}', '\u{200F}', '\u{061C}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

#[test]
fn devanagari_arabic_and_thai_names_are_shaped_and_extract_as_typed() {
    let mut binder = fixture::binder();
    // Conjuncts, a vowel sign drawn before its consonant, Arabic joining and a lam-alef
    // ligature, Thai marks stacked over their consonant.
    let names =
        ["अमित सिंह", "प्रिया क्षत्रिय", "محمد العلي", "سلام الأحمد", "สมชาย ศรีสุข", "हिन्दी and English"];
    for (item, name) in binder.items.iter_mut().zip(names) {
        item.principal_name = name.to_string();
    }
    binder.items[6].decision.as_mut().expect("a decision").justification =
        "Keeps उपयोगकर्ता access; مراجعة سنوية done".into();
    let pdf = render(&binder).pdf;
    let dump = poppler("pdftotext", &["-raw", "-enc", "UTF-8"], &pdf);
    // pdftotext writes each right-to-left run inside a left-to-right line between an embedding
    // (U+202B) and a pop (U+202C), its plain-text way of keeping the run's direction: those it
    // adds are taken off, and no other direction mark may remain.
    let plain = dump.replace(['\u{202B}', '\u{202C}'], "");
    for name in names {
        assert!(plain.contains(name), "{name} does not extract as typed:\n{}", {
            let first = name.split(' ').next().unwrap_or(name);
            plain.lines().filter(|l| l.contains(first)).collect::<Vec<_>>().join("\n")
        });
    }
    assert!(
        squeezed(&plain).contains(&squeezed("Keeps उपयोगकर्ता access; مراجعة سنوية done")),
        "mixed scripts in one cell: {:?}",
        plain.lines().filter(|l| l.contains("Keeps") || l.contains("done")).collect::<Vec<_>>()
    );
    let hidden: Vec<char> = plain.chars().filter(|c| HIDDEN.contains(c)).collect();
    assert!(hidden.is_empty(), "hidden direction marks in the text: {hidden:?}");
    // Nor does the file itself carry one, in any text a reader may extract.
    let doc = lopdf::Document::load_mem(&pdf).expect("reads back");
    for page in doc.get_pages().values() {
        let content = doc.get_page_content(*page);
        let content = String::from_utf8_lossy(&content);
        for mark in [
            "200E", "200F", "061C", "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068",
            "2069",
        ] {
            assert!(!content.contains(&format!("<FEFF{mark}")), "U+{mark} in an ActualText");
        }
    }
    // Shaped, not drawn a glyph per character: each shaped run carries the typed text.
    let spans = doc
        .get_pages()
        .values()
        .map(|&p| doc.get_page_content(p))
        .map(|c| String::from_utf8_lossy(&c).matches("/ActualText").count())
        .sum::<usize>();
    assert!(spans >= names.len(), "{spans} shaped runs");
}

#[test]
fn long_hostile_strings_wrap_whole_in_every_table_and_header() {
    let mut b = fixture::binder();
    let upn = format!("{}@{}.example", "very.long.user.principal.name".repeat(6), "sub".repeat(30));
    let role = format!("Custom Role {} Administrator", "With A Very Long Name ".repeat(12));
    let justification = (0..1500).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ");
    let campaign = format!("Quarterly review {} end", "of every privileged role ".repeat(10));
    b.campaign.name = campaign.clone();
    b.items[0].principal_upn = upn.clone();
    b.items[1].role = role.clone();
    b.items[1].decision.as_mut().expect("a decision").justification = justification.clone();
    let r = render(&b);
    // In drawing order, a wrapped cell's lines follow one another.
    let plain = poppler("pdftotext", &["-raw", "-enc", "UTF-8"], &r.pdf);
    let all = squeezed(&plain);
    assert!(!plain.contains('…'), "nothing is cut with an ellipsis");
    for (what, s) in [("UPN", &upn), ("role", &role), ("campaign name", &campaign)] {
        assert!(all.contains(&squeezed(s)), "the {what} is not whole in the PDF");
    }
    // A justification longer than a page goes on over pages, every word of it printed once.
    for i in [0, 700, 1499] {
        assert_eq!(
            plain.split_whitespace().filter(|w| *w == format!("word{i}")).count(),
            1,
            "word{i}"
        );
    }
    // The running header on every page after the cover holds the campaign name whole.
    let pages: Vec<&str> = plain.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    for (i, page) in pages.iter().enumerate().skip(1) {
        assert!(squeezed(page).contains(&squeezed(&campaign)), "page {}: header cut", i + 1);
    }
    // A long campaign name once made poppler rebuild the file's cross-reference table.
    assert_eq!(reader_complaints(&r.pdf), "", "poppler reads the file as written");
    let csv = String::from_utf8(r.decisions_csv.clone()).expect("UTF-8");
    for s in [&upn, &role, &justification] {
        assert!(csv.contains(s.as_str()), "the CSV has the whole text");
    }
}

#[test]
fn the_binder_is_a_pdfa3_file_with_metadata_output_intent_and_associated_files() {
    use lopdf::Object;
    let r = render(&fixture::binder());
    assert!(r.pdf.starts_with(b"%PDF-1.7\n%"), "PDF 1.7 header with a binary comment");
    let doc = lopdf::Document::load_mem(&r.pdf).expect("reads back");
    let catalog = doc.catalog().expect("a catalog");
    let metadata = catalog
        .get(b"Metadata")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_object(id))
        .and_then(Object::as_stream)
        .expect("XMP metadata in the catalog");
    assert!(metadata.dict.get(b"Filter").is_err(), "the metadata stream is not filtered");
    let xmp = String::from_utf8(metadata.content.clone()).expect("UTF-8 XMP");
    assert!(xmp.contains("<pdfaid:part>3</pdfaid:part>"), "{xmp}");
    assert!(xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"), "{xmp}");
    assert!(xmp.contains("Access review evidence binder: Privileged roles Q1 2026"), "{xmp}");
    let intents = catalog.get(b"OutputIntents").and_then(Object::as_array).expect("intents");
    let intent = intents[0].as_dict().expect("an output intent");
    assert_eq!(intent.get(b"S").and_then(Object::as_name).ok(), Some(&b"GTS_PDFA1"[..]));
    let profile = intent
        .get(b"DestOutputProfile")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_object(id))
        .and_then(Object::as_stream)
        .expect("an ICC profile");
    let mut icc = profile.clone();
    let _ = icc.decompress();
    assert_eq!(&icc.content[12..24], b"mntrRGB XYZ ", "an RGB display profile");
    // The information dictionary says what the XMP says.
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .expect("an information dictionary");
    let created = info.get(b"CreationDate").and_then(Object::as_str).expect("a creation date");
    assert_eq!(created, b"D:20260331120000+00'00'");
    assert!(xmp.contains("<xmp:CreateDate>2026-03-31T12:00:00+00:00</xmp:CreateDate>"));
    for key in [&b"Trapped"[..], b"GTS_PDFXVersion", b"Identifier"] {
        assert!(info.get(key).is_err(), "{} is not PDF/A metadata", String::from_utf8_lossy(key));
    }
    // Every attachment is an associated file of the document, with its relationship.
    let af = catalog.get(b"AF").and_then(Object::as_array).expect("an AF array");
    assert!(af.len() >= 4, "the CSVs and the JSON are attached");
    for spec in af {
        let spec = doc.dereference(spec).and_then(|(_, o)| o.as_dict()).expect("a file spec");
        assert!(spec.get(b"AFRelationship").is_ok() && spec.get(b"UF").is_ok());
        let file = spec
            .get(b"EF")
            .and_then(Object::as_dict)
            .and_then(|ef| ef.get(b"F"))
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_object(id))
            .and_then(Object::as_stream)
            .expect("an embedded file");
        assert!(file.dict.get(b"Subtype").is_ok(), "a MIME type");
        let params = file.dict.get(b"Params").and_then(Object::as_dict).expect("params");
        assert!(params.get(b"ModDate").is_ok(), "a modification date");
    }
    assert_eq!(reader_complaints(&r.pdf), "", "poppler reads the file as written");
    // qpdf finds no structural error.
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(&r.pdf).expect("written");
    let out = Command::new("qpdf").arg("--check").arg(file.path()).output().expect("qpdf runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_summary_counts_the_exceptions_the_register_says_need_a_person() {
    let mut b = fixture::binder();
    let current = b.exceptions[0].clone();
    let mut no_terms = current.clone();
    (no_terms.item_id, no_terms.owner, no_terms.expires_on, no_terms.control) =
        (9, String::new(), String::new(), String::new());
    no_terms.standing = "no terms".into();
    let mut expired = current.clone();
    (expired.item_id, expired.expires_on, expired.standing) =
        (10, "2026-03-01".into(), "expired".into());
    b.exceptions = vec![current, no_terms, expired];
    let dump = text(&render(&b).pdf);
    let squeezed: Vec<String> =
        dump.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    // The tile's figure sits on the line above its caption, after the removals' 4 / 5.
    let caption = squeezed
        .iter()
        .position(|l| l.ends_with("exceptions needing a person"))
        .unwrap_or_else(|| panic!("the tile's caption: {dump}"));
    assert!(
        squeezed[caption - 1].replace(' ', "").ends_with("4/52/3"),
        "two of the register's three need a person: {}",
        squeezed[caption - 1]
    );
    assert!(
        squeezed
            .iter()
            .any(|l| l.contains("Needing a person (no terms recorded, or expired): 2 of 3.")),
        "the register says the same: {dump}"
    );
}
