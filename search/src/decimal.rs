//! Decimal values and the range their written precision implies: `100` stands for
//! [99.5, 100.5], `100.00` for [99.995, 100.005], `1e2` for [50, 150].

/// A decimal as written, with its value and implicit range.
#[derive(Debug, Clone, PartialEq)]
pub struct Decimal {
    /// The exact text, as written.
    pub text: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Parses a FHIR decimal (sign, digits, fraction, exponent); `None` when malformed.
///
/// The half-width is half a unit of the last written digit, exponent included; the
/// specification's own example puts `1e2` at [95, 105], which no digit rule gives.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
        None => (text, 0),
    };
    let unsigned = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let has_fraction_point = unsigned.contains('.');
    if whole.is_empty()
        || !digits_ok(whole)
        || !digits_ok(fraction)
        || (has_fraction_point && fraction.is_empty())
    {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let places = i32::try_from(fraction.len()).ok()?;
    let half = 0.5 * 10_f64.powi(exponent - places);
    Some(Decimal { text: text.to_owned(), value, low: value - half, high: value + half })
}

fn parse_exponent(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(text: &str) -> (f64, f64) {
        let d = parse_decimal(text).expect("valid");
        (d.low, d.high)
    }

    #[test]
    fn an_integer_stands_for_half_a_unit_either_side() {
        assert_eq!(bounds("100"), (99.5, 100.5));
    }

    #[test]
    fn fraction_digits_narrow_the_range() {
        let (low, high) = bounds("100.00");
        assert!((low - 99.995).abs() < 1e-9 && (high - 100.005).abs() < 1e-9);
    }

    #[test]
    fn an_exponent_scales_the_last_digit() {
        assert_eq!(bounds("1e2"), (50.0, 150.0));
        assert_eq!(bounds("1.0e2"), (95.0, 105.0));
    }

    #[test]
    fn a_negative_value_keeps_its_sign() {
        assert_eq!(bounds("-2"), (-2.5, -1.5));
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for bad in ["", "abc", "1.", ".5", "1e", "1..2", "0x10", "1,5", "- 1"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_text_is_kept_exactly() {
        assert_eq!(parse_decimal("5.40").expect("valid").text, "5.40");
    }
}
