//! Canonical UCUM units for the common cases, so that `5 mg` finds `0.005 g` and `mGy.cm`
//! compares with `Gy.cm`: metric prefixes times a small table of base units, products and
//! quotients without parentheses, and integer exponents (`kg/m2`).

/// A base unit: its UCUM code, the canonical unit it converts to, the factor, and whether
/// metric prefixes apply to it.
struct Base {
    code: &'static str,
    canonical: &'static str,
    factor: f64,
    metric: bool,
}

const fn base(code: &'static str, canonical: &'static str, factor: f64, metric: bool) -> Base {
    Base { code, canonical, factor, metric }
}

// FIXME(#3): a table, not UCUM: offset units (Cel, [degF]), parentheses and the rarer
// atoms have no canonical form, so they match only on their own code.
const BASES: [Base; 35] = [
    base("g", "g", 1.0, true),
    base("m", "m", 1.0, true),
    base("L", "L", 1.0, true),
    base("l", "L", 1.0, true),
    base("s", "s", 1.0, true),
    base("min", "s", 60.0, false),
    base("h", "s", 3600.0, false),
    base("d", "s", 86_400.0, false),
    base("wk", "s", 604_800.0, false),
    base("mo", "s", 2_629_746.0, false),
    base("a", "s", 31_556_952.0, false),
    base("mol", "mol", 1.0, true),
    base("eq", "eq", 1.0, true),
    base("Gy", "Gy", 1.0, true),
    base("Sv", "Sv", 1.0, true),
    base("Bq", "Bq", 1.0, true),
    base("Ci", "Bq", 3.7e10, true),
    base("Pa", "Pa", 1.0, true),
    base("bar", "Pa", 1e5, true),
    base("m[Hg]", "Pa", 133_322.387_415, true),
    base("Hz", "Hz", 1.0, true),
    base("N", "N", 1.0, true),
    base("J", "J", 1.0, true),
    base("cal", "J", 4.184, true),
    base("W", "W", 1.0, true),
    base("V", "V", 1.0, true),
    base("A", "A", 1.0, true),
    base("U", "U", 1.0, true),
    base("[iU]", "[iU]", 1.0, true),
    base("[IU]", "[iU]", 1.0, true),
    base("%", "%", 1.0, false),
    base("[lb_av]", "g", 453.592_37, false),
    base("[oz_av]", "g", 28.349_523_125, false),
    base("[in_i]", "m", 0.0254, false),
    base("[ft_i]", "m", 0.3048, false),
];

/// Metric prefixes as powers of ten; `da` before `d` so that the longer one is tried first.
const PREFIXES: [(&str, i32); 20] = [
    ("Y", 24),
    ("Z", 21),
    ("E", 18),
    ("P", 15),
    ("T", 12),
    ("G", 9),
    ("M", 6),
    ("k", 3),
    ("h", 2),
    ("da", 1),
    ("d", -1),
    ("c", -2),
    ("m", -3),
    ("u", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
    ("z", -21),
    ("y", -24),
];

/// A multiplier kept as a power of ten and a remaining factor, so that `5.4 mg` becomes
/// exactly `0.0054 g` rather than `5.4 * 0.001`.
#[derive(Debug, Clone, Copy)]
struct Scale {
    power: i32,
    factor: f64,
}

impl Scale {
    fn apply(self, value: f64) -> f64 {
        let scaled = value * self.factor;
        match self.power {
            p if p >= 0 => scaled * 10_f64.powi(p),
            p => scaled / 10_f64.powi(-p),
        }
    }
}

/// `value` in `code`'s canonical unit: `(5, "mg")` -> `(0.005, "g")`; `None` for units
/// outside the table.
pub fn canonical(value: f64, code: &str) -> Option<(f64, String)> {
    let (scale, unit) = canonical_unit(code)?;
    Some((scale.apply(value), unit))
}

fn canonical_unit(code: &str) -> Option<(Scale, String)> {
    let mut scale = Scale { power: 0, factor: 1.0 };
    let (mut numerator, mut denominator) = (Vec::new(), Vec::new());
    for (divides, term) in terms(code)? {
        let (unit, term_scale, exponent) = term_of(term)?;
        let sign = if divides { -1 } else { 1 };
        scale.power += sign * exponent * term_scale.power;
        let factor = term_scale.factor.powi(exponent);
        scale.factor = if divides { scale.factor / factor } else { scale.factor * factor };
        let written = if exponent == 1 { unit.to_owned() } else { format!("{unit}{exponent}") };
        if !unit.is_empty() {
            if divides { denominator.push(written) } else { numerator.push(written) }
        }
    }
    Some((scale, format_unit(&numerator, &denominator)))
}

/// Splits on `.` and `/` (left to right, as UCUM reads them), telling which terms divide.
fn terms(code: &str) -> Option<Vec<(bool, &str)>> {
    if code.is_empty() || code.contains(['(', ')']) {
        return None;
    }
    let mut out = Vec::new();
    let (mut start, mut divides, mut depth) = (0, false, 0);
    for (i, c) in code.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            '.' | '/' if depth == 0 => {
                out.push((divides, &code[start..i]));
                (start, divides) = (i + 1, c == '/');
            }
            _ => {}
        }
    }
    out.push((divides, &code[start..]));
    Some(out)
}

/// One term: `cm2` -> (`m`, 10^-2, 2); an annotation `{beats}` or `1` is unity.
fn term_of(term: &str) -> Option<(&'static str, Scale, i32)> {
    if term == "1" || (term.starts_with('{') && term.ends_with('}')) {
        return Some(("", Scale { power: 0, factor: 1.0 }, 1));
    }
    let split = term.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
    let split = if split.ends_with(']') || split.len() < term.len() { split } else { term };
    let exponent = match &term[split.len()..] {
        "" => 1,
        digits => digits.parse().ok()?,
    };
    let (base, power) = atom(split)?;
    Some((base.canonical, Scale { power, factor: base.factor }, exponent))
}

/// A base unit, exactly or after a metric prefix.
fn atom(text: &str) -> Option<(&'static Base, i32)> {
    if let Some(base) = BASES.iter().find(|b| b.code == text) {
        return Some((base, 0));
    }
    PREFIXES.iter().find_map(|(prefix, power)| {
        let rest = text.strip_prefix(prefix)?;
        BASES.iter().find(|b| b.metric && b.code == rest).map(|b| (b, *power))
    })
}

fn format_unit(numerator: &[String], denominator: &[String]) -> String {
    let top = if numerator.is_empty() { "1".to_owned() } else { numerator.join(".") };
    match denominator.is_empty() {
        true => top,
        false => format!("{top}/{}", denominator.join("/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn milligrams_become_grams() {
        assert_eq!(canonical(5.4, "mg"), Some((0.0054, "g".to_owned())));
    }

    #[test]
    fn milligray_centimetres_and_gray_centimetres_share_a_canonical_unit() {
        let (milli, unit) = canonical(1200.0, "mGy.cm").expect("known");
        let (plain, same) = canonical(1.2, "Gy.cm").expect("known");
        assert_eq!(unit, "Gy.m");
        assert_eq!(unit, same);
        assert!(close(milli, plain), "{milli} vs {plain}");
    }

    #[test]
    fn concentrations_divide_their_scales() {
        let (value, unit) = canonical(100.0, "mg/dL").expect("known");
        assert_eq!(unit, "g/L");
        assert!(close(value, 1.0));
    }

    #[test]
    fn exponents_and_annotations_are_understood() {
        assert_eq!(canonical(25.0, "kg/m2"), Some((25_000.0, "g/m2".to_owned())));
        assert_eq!(canonical(72.0, "{beats}/min").map(|(_, u)| u), Some("1/s".to_owned()));
    }

    #[test]
    fn pounds_and_mercury_convert_to_si() {
        let (grams, unit) = canonical(185.0, "[lb_av]").expect("known");
        assert_eq!(unit, "g");
        assert!(close(grams, 83_914.588_45), "{grams}");
        let (pascals, unit) = canonical(120.0, "mm[Hg]").expect("known");
        assert_eq!(unit, "Pa");
        assert!(close(pascals, 15_998.686_489_8), "{pascals}");
    }

    #[test]
    fn pascal_is_not_read_as_peta_year() {
        assert_eq!(canonical(1.0, "Pa"), Some((1.0, "Pa".to_owned())));
        assert_eq!(canonical(1.0, "kPa"), Some((1000.0, "Pa".to_owned())));
    }

    // FIXME(#3): Cel and g/(kg.d) are valid UCUM with a canonical form this table lacks.
    #[test]
    fn unknown_and_offset_units_have_no_canonical_form() {
        assert_eq!(canonical(37.0, "Cel"), None);
        assert_eq!(canonical(1.0, "g/(kg.d)"), None);
        assert_eq!(canonical(1.0, "cd"), None);
        assert_eq!(canonical(1.0, ""), None);
    }
}
