//! Canned justifications: the short reasons a tenant's governance admins define for reviewers to
//! pick when they decide. A reviewer may still write their own words, alone or after the canned
//! one; what is recorded (and printed in the binder) is the text as it reads, so nothing needs the
//! list later to understand a decision.

/// At most this many canned justifications per tenant: a picker, not a catalogue.
pub const MAX_PRESETS: usize = 20;
/// A canned justification is a sentence, not a policy document.
pub const MAX_PRESET_CHARS: usize = 200;

/// Why a list of canned justifications, or a pick from it, is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresetError {
    /// More than [`MAX_PRESETS`].
    TooMany(usize),
    /// The n-th (1-based) is longer than [`MAX_PRESET_CHARS`].
    TooLong(usize),
    /// The n-th (1-based) says the same as an earlier one (case aside).
    Duplicate(usize),
    /// A pick that is neither a number on the list nor one of its texts.
    Unknown { given: String, count: usize },
}

impl std::fmt::Display for PresetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresetError::TooMany(n) => {
                write!(f, "{n} canned justifications: keep it to {MAX_PRESETS} at most")
            }
            PresetError::TooLong(n) => {
                write!(f, "canned justification {n} is longer than {MAX_PRESET_CHARS} characters")
            }
            PresetError::Duplicate(n) => {
                write!(f, "canned justification {n} repeats an earlier one")
            }
            PresetError::Unknown { given, count: 0 } => {
                write!(f, "{given:?} is not a canned justification: this tenant has none defined")
            }
            PresetError::Unknown { given, count } => write!(
                f,
                "{given:?} is not a canned justification: give its number (1 to {count}) or \
                 its text"
            ),
        }
    }
}

impl std::error::Error for PresetError {}

/// The list as saved: each trimmed, blank lines dropped (a form's empty row says nothing), in
/// the admin's order; too many, too long or repeated ones are refused.
pub fn checked(presets: &[String]) -> Result<Vec<String>, PresetError> {
    let kept: Vec<String> =
        presets.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if kept.len() > MAX_PRESETS {
        return Err(PresetError::TooMany(kept.len()));
    }
    for (i, preset) in kept.iter().enumerate() {
        if preset.chars().count() > MAX_PRESET_CHARS {
            return Err(PresetError::TooLong(i + 1));
        }
        let lower = preset.to_lowercase();
        if kept[..i].iter().any(|earlier| earlier.to_lowercase() == lower) {
            return Err(PresetError::Duplicate(i + 1));
        }
    }
    Ok(kept)
}

/// The canned justification a pick names: its number on the list (from 1), or its text (case
/// aside), as the CLI takes it.
pub fn pick<'a>(presets: &'a [String], given: &str) -> Result<&'a str, PresetError> {
    let given = given.trim();
    let by_number = given.parse::<usize>().ok().and_then(|n| n.checked_sub(1));
    let found = match by_number {
        Some(index) => presets.get(index),
        None => presets.iter().find(|p| p.to_lowercase() == given.to_lowercase()),
    };
    found
        .map(String::as_str)
        .ok_or_else(|| PresetError::Unknown { given: given.to_string(), count: presets.len() })
}

/// The justification recorded when a reviewer picks a canned one and adds their own words: the
/// canned sentence, then theirs, as one text (a full stop between them unless the canned one
/// already ends a sentence).
pub fn compose(preset: &str, own_words: &str) -> String {
    let (preset, own) = (preset.trim(), own_words.trim());
    match (preset.is_empty(), own.is_empty()) {
        (true, _) => own.to_string(),
        (false, true) => preset.to_string(),
        (false, false) if preset.ends_with(['.', '!', '?']) => format!("{preset} {own}"),
        (false, false) => format!("{preset}. {own}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_saved_list_is_trimmed_without_blank_rows_and_keeps_its_order() {
        let saved = checked(&list(&["  On the on-call rota ", "", "   ", "Left the team"]));
        assert_eq!(saved, Ok(list(&["On the on-call rota", "Left the team"])));
        assert_eq!(checked(&[]), Ok(Vec::new()), "no canned justification at all is a choice");
    }

    #[test]
    fn too_many_too_long_or_repeated_are_refused_with_which_one() {
        let many: Vec<String> = (0..=MAX_PRESETS).map(|i| format!("Reason {i}")).collect();
        assert_eq!(checked(&many), Err(PresetError::TooMany(MAX_PRESETS + 1)));
        let long = "x".repeat(MAX_PRESET_CHARS + 1);
        assert_eq!(checked(&list(&["ok", &long])), Err(PresetError::TooLong(2)));
        // Characters are counted, not bytes: 200 letters of any script fit.
        assert!(checked(&["é".repeat(MAX_PRESET_CHARS)]).is_ok());
        assert_eq!(
            checked(&list(&["Left the team", "", "left the TEAM"])),
            Err(PresetError::Duplicate(2)),
            "numbered as saved, after blank rows are dropped"
        );
    }

    #[test]
    fn a_pick_is_a_number_from_one_or_the_text_case_aside() {
        let presets = list(&["On the on-call rota", "Left the team"]);
        assert_eq!(pick(&presets, "2"), Ok("Left the team"));
        assert_eq!(pick(&presets, " left the team "), Ok("Left the team"));
        assert_eq!(
            pick(&presets, "0"),
            Err(PresetError::Unknown { given: "0".into(), count: 2 }),
            "numbers start at 1"
        );
        assert_eq!(
            pick(&presets, "3").map_err(|e| e.to_string()),
            Err("\"3\" is not a canned justification: give its number (1 to 2) or its text".into())
        );
        assert_eq!(
            pick(&[], "1").map_err(|e| e.to_string()),
            Err("\"1\" is not a canned justification: this tenant has none defined".into())
        );
    }

    #[test]
    fn own_words_follow_the_canned_sentence() {
        let cases = [
            ("Left the team", "", "Left the team"),
            ("Left the team", "moved to Finance in May", "Left the team. moved to Finance in May"),
            ("Still needed.", "covers nights", "Still needed. covers nights"),
            ("Really?", " yes ", "Really? yes"),
            ("", "my own words", "my own words"),
        ];
        for (preset, own, recorded) in cases {
            assert_eq!(compose(preset, own), recorded, "{preset:?} + {own:?}");
        }
    }
}
