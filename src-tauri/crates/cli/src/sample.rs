//! `recert-cli evidence sample <campaign> --size N --seed S`: draws the auditor's reproducible
//! sample of a campaign's items (the seed printed, so the auditor draws it again) and writes one
//! trace sheet per item into a PDF.

use std::path::PathBuf;

use clap::Args;
use recert_app::{AppError, ErrorCode};

use crate::session::Session;

#[derive(Args, Debug)]
pub struct SampleArgs {
    campaign: String,
    /// How many items to draw.
    #[arg(long, default_value_t = 25)]
    size: u32,
    /// The seed; a new one is chosen (and printed) when none is given.
    #[arg(long)]
    seed: Option<u64>,
    /// Where to write the trace sheets (default: `sample-<campaign>-<seed>.pdf` here).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub async fn run(args: SampleArgs, session: &mut Session, json: bool) -> Result<(), AppError> {
    session.act_on_campaign(&args.campaign).await?;
    // The seed is settled first so it can name the file.
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1)
    });
    let safe: String = args
        .campaign
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let out = args.out.unwrap_or_else(|| PathBuf::from(format!("sample-{safe}-{seed}.pdf")));
    let sample = session.app.evidence_sample(&args.campaign, args.size, Some(seed), out).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&sample).unwrap_or_default());
        return Ok(());
    }
    if sample.items.is_empty() {
        return Err(AppError::new(ErrorCode::NotFound, "the campaign has no items to sample"));
    }
    println!(
        "Sample of {} of {} items of {}, seed {}",
        sample.size, sample.population, sample.campaign_id, sample.seed
    );
    println!(
        "Draw it again: recert-cli evidence sample {} --size {} --seed {}",
        args.campaign, args.size, sample.seed
    );
    for (item, page) in sample.items.iter().zip(&sample.page_sha256) {
        let page = if page.is_empty() { "no sealed page holds it" } else { page.as_str() };
        println!("  item {item:>6}  raw page sha256 {page}");
    }
    println!("Trace sheets: {}  sha256 {}", sample.path, sample.sha256);
    Ok(())
}
