//! Units as laboratory reports print them ("mg/dL", "×10^9/L", "x10E3/uL", "mmol/l", "µmol/L",
//! "mEq/L", "IU/L", "%", "fL"), read into a kind of quantity and a factor to that kind's base
//! unit, in the spirit of UCUM: `value × factor` is the value in the base unit.
//!
//! Base units: g/L (mass concentration), mol/L (substance), eq/L (charge equivalents), U/L
//! (enzyme or arbitrary units per volume; IU and U are the same), cells per litre (counts),
//! fraction (1 = 100 %), s, L (cell volume), g (cell mass), kPa, mm/h, mL/min/1.73 m²,
//! mmol/mol, and no unit (ratios, pH).

/// What a unit measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantity {
    MassConcentration,
    SubstanceConcentration,
    EquivalentConcentration,
    UnitsPerVolume,
    NumberConcentration,
    Fraction,
    Time,
    Volume,
    Mass,
    Pressure,
    SedimentationRate,
    FiltrationRate,
    SubstanceRatio,
    Dimensionless,
}

/// A unit read from a report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub quantity: Quantity,
    /// Multiplies a value in this unit into the quantity's base unit.
    pub factor: f64,
}

impl Unit {
    pub const fn new(quantity: Quantity, factor: f64) -> Unit {
        Unit { quantity, factor }
    }

    /// Whether values in `self` and `other` can be converted into each other.
    pub fn same_quantity(&self, other: &Unit) -> bool {
        self.quantity == other.quantity
    }
}

/// Lower case, no spaces, one spelling of micro and of superscript digits, `×` as `x`.
fn canonical(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mapped = match c {
            'µ' | 'μ' => 'u',
            '×' | '✕' | '*' => 'x',
            '⁰' => '0',
            '¹' => '1',
            '²' => '2',
            '³' => '3',
            '⁴' => '4',
            '⁵' => '5',
            '⁶' => '6',
            '⁷' => '7',
            '⁸' => '8',
            '⁹' => '9',
            c if c.is_whitespace() => continue,
            c => c.to_ascii_lowercase(),
        };
        out.push(mapped);
    }
    out
}

/// The SI prefix a unit symbol starts with, and the rest. `mcg` is a pharmacy spelling of µg.
fn prefix(symbol: &str) -> (f64, &str) {
    if let Some(rest) = symbol.strip_prefix("mc") {
        return (1e-6, rest);
    }
    let factor = match symbol.chars().next() {
        Some('k') => 1e3,
        Some('d') => 1e-1,
        Some('c') => 1e-2,
        Some('m') => 1e-3,
        Some('u') => 1e-6,
        Some('n') => 1e-9,
        Some('p') => 1e-12,
        Some('f') => 1e-15,
        _ => return (1.0, symbol),
    };
    (factor, &symbol[1..])
}

/// A volume symbol ("l", "dl", "ml", "ul", "mm3", "cumm") in litres.
fn volume(symbol: &str) -> Option<f64> {
    match symbol {
        "l" => Some(1.0),
        "mm3" | "cumm" | "cmm" => Some(1e-6),
        _ => {
            let (factor, rest) = prefix(symbol);
            (rest == "l" && factor < 1.0).then_some(factor)
        }
    }
}

/// Counts per volume: "x10^9/l", "10e3/ul", "x10*12/l", "k/ul", "thou/ul", "m/ul", "/mm3",
/// "cells/ul".
fn count(unit: &str) -> Option<Unit> {
    let (numerator, denominator) = unit.rsplit_once('/')?;
    let per = volume(denominator)?;
    let numerator = numerator.trim_start_matches('x');
    let multiple = match numerator {
        "" | "cells" | "cell" | "#" => 1.0,
        "k" | "thou" | "thousand" => 1e3,
        "m" | "mil" | "million" => 1e6,
        _ => {
            let exponent = numerator
                .strip_prefix("10^")
                .or_else(|| numerator.strip_prefix("10e"))
                .or_else(|| numerator.strip_prefix("10x"))
                .or_else(|| numerator.strip_prefix("10"))?;
            let exponent: i32 = exponent.parse().ok()?;
            if !(1..=15).contains(&exponent) {
                return None;
            }
            10f64.powi(exponent)
        }
    };
    Some(Unit::new(Quantity::NumberConcentration, multiple / per))
}

/// Reads a unit as printed. `None` when it is not a unit this module knows.
pub fn parse_unit(text: &str) -> Option<Unit> {
    use Quantity::*;
    // Giga and tera per litre ("G/l", "T/l", European counts), told from grams by case.
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.trim_end_matches(['.', ',', ';', ':']) {
        "G/l" | "G/L" | "Giga/l" | "Giga/L" => return Some(Unit::new(NumberConcentration, 1e9)),
        "T/l" | "T/L" | "Tera/l" | "Tera/L" => return Some(Unit::new(NumberConcentration, 1e12)),
        _ => {}
    }
    let unit = canonical(text);
    let unit = unit.trim_end_matches(['.', ',', ';', ':']);
    let fixed = match unit {
        "%" | "percent" => Some(Unit::new(Fraction, 0.01)),
        "l/l" | "fraction" => Some(Unit::new(Fraction, 1.0)),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(Unit::new(Time, 1.0)),
        "min" | "minutes" => Some(Unit::new(Time, 60.0)),
        "fl" | "um3" => Some(Unit::new(Volume, 1e-15)),
        "pg" => Some(Unit::new(Mass, 1e-12)),
        "kpa" => Some(Unit::new(Pressure, 1.0)),
        "mmhg" | "torr" => Some(Unit::new(Pressure, 0.133_322_4)),
        "mm/h" | "mm/hr" | "mm/1sthr" | "mm/1hr" => Some(Unit::new(SedimentationRate, 1.0)),
        "mmol/mol" => Some(Unit::new(SubstanceRatio, 1.0)),
        "ratio" | "inr" | "" => Some(Unit::new(Dimensionless, 1.0)),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if matches!(
        unit,
        "ml/min" | "ml/min/1.73m2" | "ml/min/1.73m^2" | "ml/min/1.73" | "ml/min/1.73m"
    ) {
        return Some(Unit::new(FiltrationRate, 1.0));
    }
    if let Some(u) = count(unit) {
        return Some(u);
    }
    let (numerator, denominator) = unit.split_once('/')?;
    let per = volume(denominator)?;
    // Longest symbols first: "mol" before "mo…", "kat" before "k…".
    for (symbol, quantity, base) in [
        ("mol", SubstanceConcentration, 1.0),
        ("eq", EquivalentConcentration, 1.0),
        ("kat", UnitsPerVolume, 6e7),
        ("iu", UnitsPerVolume, 1.0),
        ("ui", UnitsPerVolume, 1.0),
        ("u", UnitsPerVolume, 1.0),
        ("g", MassConcentration, 1.0),
    ] {
        if let Some(head) = numerator.strip_suffix(symbol) {
            let scale = match head {
                "" => 1.0,
                _ => {
                    let (factor, rest) = prefix(head);
                    if !rest.is_empty() {
                        continue;
                    }
                    factor
                }
            };
            return Some(Unit::new(quantity, base * scale / per));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quantity::*;

    fn check(text: &str, quantity: Quantity, factor: f64) {
        let unit = parse_unit(text).unwrap_or_else(|| panic!("{text} is not read"));
        assert_eq!(unit.quantity, quantity, "{text}");
        assert!(
            (unit.factor / factor - 1.0).abs() < 1e-9,
            "{text}: factor {} expected {factor}",
            unit.factor
        );
    }

    #[test]
    fn concentrations_in_every_common_spelling() {
        check("mg/dL", MassConcentration, 1e-2);
        check("g/dl", MassConcentration, 10.0);
        check("g/L", MassConcentration, 1.0);
        check("µg/L", MassConcentration, 1e-6);
        check("mcg/dL", MassConcentration, 1e-5);
        check("ng/mL", MassConcentration, 1e-6);
        check("pg/ml", MassConcentration, 1e-9);
        check("mmol/L", SubstanceConcentration, 1e-3);
        check("mmol/l", SubstanceConcentration, 1e-3);
        check("μmol/L", SubstanceConcentration, 1e-6);
        check("umol / L", SubstanceConcentration, 1e-6);
        check("pmol/L", SubstanceConcentration, 1e-12);
        check("mEq/L", EquivalentConcentration, 1e-3);
        check("U/L", UnitsPerVolume, 1.0);
        check("IU/L", UnitsPerVolume, 1.0);
        check("mIU/L", UnitsPerVolume, 1e-3);
        check("µIU/mL", UnitsPerVolume, 1e-3);
        check("U/mL", UnitsPerVolume, 1e3);
        check("µkat/L", UnitsPerVolume, 60.0);
    }

    #[test]
    fn cell_counts_in_every_common_spelling() {
        for text in [
            "x10^9/L",
            "×10⁹/L",
            "10*9/L",
            "x10E9/L",
            "10^9/l",
            "X 10^9 / L",
        ] {
            check(text, NumberConcentration, 1e9);
        }
        for text in ["x10E3/uL", "10^3/µL", "K/uL", "thou/uL", "x10^3/mm3"] {
            check(text, NumberConcentration, 1e9);
        }
        check("x10^12/L", NumberConcentration, 1e12);
        check("M/uL", NumberConcentration, 1e12);
        check("/mm3", NumberConcentration, 1e6);
        check("cells/µL", NumberConcentration, 1e6);
        check("G/l", NumberConcentration, 1e9);
        check("T/L", NumberConcentration, 1e12);
        check("g/l", MassConcentration, 1.0);
    }

    #[test]
    fn other_quantities() {
        check("%", Fraction, 0.01);
        check("L/L", Fraction, 1.0);
        check("fL", Volume, 1e-15);
        check("pg", Mass, 1e-12);
        check("sec", Time, 1.0);
        check("mmHg", Pressure, 0.133_322_4);
        check("kPa", Pressure, 1.0);
        check("mm/hr", SedimentationRate, 1.0);
        check("mL/min/1.73m²", FiltrationRate, 1.0);
        check("mL/min/1.73 m2", FiltrationRate, 1.0);
        check("mmol/mol", SubstanceRatio, 1.0);
    }

    #[test]
    fn words_and_malformed_units_are_not_units() {
        for text in [
            "mg",
            "mol",
            "patient",
            "/",
            "x10^99/L",
            "g/",
            "mg/kg",
            "10^/L",
            "kmg/L",
            "mL/min/1.73m2 (>60)",
        ] {
            assert_eq!(parse_unit(text), None, "{text}");
        }
    }
}
