//! Checking a binder PDF handed back to `verify`: rendered again and compared byte for byte when
//! this Recert draws the layout version it was made with; otherwise checked by its seal and its
//! record, and said so, since today's layout drawing it differently proves nothing about it.

use recert_evidence::model::Binder;
use recert_evidence::{Attachment, Exports, Mismatch, PdfOptions, RENDERER, Signer};

use crate::AppError;

/// What the PDF check found: the differences (none when it holds) and how it was checked, in
/// words for the report.
pub(crate) struct PdfCheck {
    pub(crate) mismatches: Vec<Mismatch>,
    pub(crate) how: String,
}

/// Checks `pdf` against `binder` (the record as of the export's cut). `renderer` is the layout
/// version the export recorded, `None` for exports made before it was recorded: such a PDF is
/// compared first, and checked by its record only when today's rendering differs.
pub(crate) fn check_pdf(
    binder: &Binder,
    pdf: &[u8],
    renderer: Option<&str>,
    attachments: &[Attachment],
    recorded: Option<&(String, String)>,
    audit_seq: i64,
) -> Result<PdfCheck, AppError> {
    let options = || PdfOptions {
        attachments: attachments.to_vec(),
        signer: match recorded {
            Some((public_key, signature)) => {
                Signer::Recorded { public_key: public_key.clone(), signature: signature.clone() }
            }
            None => Signer::None,
        },
        audit_seq,
    };
    if renderer.is_none_or(|r| r == RENDERER) {
        let only = Exports { pdf: Some(pdf), ..Exports::default() };
        let mismatches = recert_evidence::verify_exports_with(binder, &only, options())?;
        if renderer.is_some() || mismatches.is_empty() {
            return Ok(PdfCheck { mismatches, how: "rendered again and compared".into() });
        }
    }
    let made_by = match renderer {
        Some(r) => format!("renderer version {r}"),
        None => "a renderer that did not record its version".into(),
    };
    let mismatches = recert_evidence::verify_pdf_record(binder, pdf, options())?;
    Ok(PdfCheck {
        mismatches,
        how: format!(
            "binder.pdf was made by {made_by} and is not re-rendered (this Recert draws \
             {RENDERER}); its seal's signature, its pages and attachments as sealed, and what \
             the seal states against the record were checked instead"
        ),
    })
}
