//! String normalization for `string` search: full Unicode case folding, then accents
//! removed, so that `Müller`, `MÜLLER` and `Muller` index and search alike.

use icu_casemap::CaseMapper;
use icu_normalizer::{ComposingNormalizer, DecomposingNormalizer};
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// Folds case (`ß` -> `ss`), strips combining marks (`ë` -> `e`) and recomposes what is left.
pub fn normalize(text: &str) -> String {
    // ASCII has no marks and folds to its lowercase; most indexed text is ASCII.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let folded = CaseMapper::new().fold_string(text);
    let decomposed = DecomposingNormalizer::new_nfd().normalize(&folded);
    let marks = CodePointMapData::<GeneralCategory>::new();
    let bare: String =
        decomposed.chars().filter(|&c| marks.get(c) != GeneralCategory::NonspacingMark).collect();
    ComposingNormalizer::new_nfc().normalize(&bare).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muller_matches_mueller_with_umlaut() {
        assert_eq!(normalize("Müller"), "muller");
        assert_eq!(normalize("MÜLLER"), "muller");
    }

    #[test]
    fn zoe_loses_its_diaeresis() {
        assert_eq!(normalize("Zoë"), "zoe");
    }

    #[test]
    fn sharp_s_folds_to_double_s() {
        assert_eq!(normalize("Straße"), "strasse");
    }

    #[test]
    fn final_sigma_folds_like_sigma() {
        assert_eq!(normalize("ΟΔΟΣ"), normalize("οδος"));
    }

    #[test]
    fn letters_without_decomposition_are_kept() {
        assert_eq!(normalize("Øster"), "øster");
        assert_eq!(normalize("Łódź"), "łodz");
    }
}
