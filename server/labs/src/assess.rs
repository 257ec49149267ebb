//! A result read against its analyte: its value in the analyte's SI unit (through the unit's
//! factor, the molar mass or valence where the kinds differ, or a special rule), the reference
//! interval that applies (the report's, else the documented adult default), and the flag:
//! high, low, normal, or implausible (outside what is physiologically possible, such as a
//! potassium of 45 mmol/L, which is a dropped decimal point rather than hyperkalaemia).

use crate::analytes::{Analyte, Interval, Special};
use crate::units::{Quantity, Unit};

/// A result's flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    High,
    Low,
    Normal,
    Implausible,
}

impl Flag {
    /// As the JSON output writes it: "H", "L", "N" or "implausible".
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::High => "H",
            Flag::Low => "L",
            Flag::Normal => "N",
            Flag::Implausible => "implausible",
        }
    }
}

/// `x` rounded to 4 decimals: what conversions print (their float noise removed).
pub fn rounded(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl RangeSource {
    /// As the outputs write it: "report" or "default".
    pub fn as_str(self) -> &'static str {
        match self {
            RangeSource::Report => "report",
            RangeSource::Default => "default",
        }
    }
}

/// Where the reference interval came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSource {
    Report,
    Default,
}

/// A result assessed against its analyte.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assessment {
    pub value_si: f64,
    /// The applied interval in the SI unit.
    pub range_si: Option<Interval>,
    pub range_source: Option<RangeSource>,
    /// `None` when there is neither a plausibility problem nor an interval to compare with.
    pub flag: Option<Flag>,
}

/// `value` in `unit` converted to the analyte's SI unit, `None` when the unit is of a kind the
/// analyte cannot be measured in (or lacks the molar mass or valence to convert).
pub fn to_si(analyte: &Analyte, value: f64, unit: &Unit) -> Option<f64> {
    if !analyte.accepts(unit) {
        return None;
    }
    let target = analyte.si.unit;
    if unit.quantity == target.quantity {
        return Some(value * unit.factor / target.factor);
    }
    if let (Quantity::Fraction, Some(Special::HbA1cPercent)) = (unit.quantity, analyte.special) {
        let percent = value * unit.factor * 100.0;
        return Some((percent - 2.15) * 10.929);
    }
    // Through mol/L: mass / molar mass, equivalents / valence.
    let base = value * unit.factor;
    let mol_per_l = match unit.quantity {
        Quantity::MassConcentration => base / analyte.molar_mass?,
        Quantity::EquivalentConcentration => base / analyte.valence?,
        Quantity::SubstanceConcentration => base,
        _ => return None,
    };
    let target_base = match target.quantity {
        Quantity::MassConcentration => mol_per_l * analyte.molar_mass?,
        Quantity::EquivalentConcentration => mol_per_l * analyte.valence?,
        Quantity::SubstanceConcentration => mol_per_l,
        _ => return None,
    };
    Some(target_base / target.factor)
}

/// The inverse of [`to_si`]: an SI value written in `unit`.
pub fn from_si(analyte: &Analyte, value_si: f64, unit: &Unit) -> Option<f64> {
    if let (Quantity::Fraction, Some(Special::HbA1cPercent)) = (unit.quantity, analyte.special) {
        let percent = value_si / 10.929 + 2.15;
        return Some(percent / 100.0 / unit.factor);
    }
    // Every other conversion is linear through zero.
    let one = to_si(analyte, 1.0, unit)?;
    Some(value_si / one)
}

/// Converts the result and its printed range (in the result's unit) and flags it.
pub fn assess(
    analyte: &Analyte,
    value: f64,
    unit: &Unit,
    printed_range: Option<Interval>,
) -> Option<Assessment> {
    let value_si = to_si(analyte, value, unit)?;
    let convert = |x: f64| to_si(analyte, x, unit);
    let report_range = printed_range.and_then(|r| {
        let low = match r.low {
            Some(l) => Some(convert(l)?),
            None => None,
        };
        let high = match r.high {
            Some(h) => Some(convert(h)?),
            None => None,
        };
        Some(Interval { low, high })
    });
    let (range_si, range_source) = match (report_range, analyte.reference) {
        (Some(r), _) => (Some(r), Some(RangeSource::Report)),
        (None, Some(r)) => (Some(r), Some(RangeSource::Default)),
        (None, None) => (None, None),
    };
    let flag = if !analyte.plausible.contains(value_si) {
        Some(Flag::Implausible)
    } else {
        range_si.map(|r| {
            if r.low.is_some_and(|l| value_si < l) {
                Flag::Low
            } else if r.high.is_some_and(|h| value_si > h) {
                Flag::High
            } else {
                Flag::Normal
            }
        })
    };
    Some(Assessment {
        value_si,
        range_si,
        range_source,
        flag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytes::resolve;
    use crate::units::parse_unit;

    fn si(analyte: &str, value: f64, unit: &str) -> f64 {
        let unit = parse_unit(unit).unwrap();
        let a = resolve(analyte, Some(&unit)).unwrap();
        to_si(a, value, &unit).unwrap()
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn conversions_match_the_textbook_factors() {
        // glucose 100 mg/dL ≈ 5.55 mmol/L
        assert!(close(si("glucose", 100.0, "mg/dL"), 5.55, 0.01));
        // creatinine 1.0 mg/dL = 88.4 µmol/L
        assert!(close(si("creatinine", 1.0, "mg/dL"), 88.4, 0.1));
        // cholesterol 200 mg/dL ≈ 5.17 mmol/L; triglycerides 150 mg/dL ≈ 1.69 mmol/L
        assert!(close(si("cholesterol", 200.0, "mg/dL"), 5.17, 0.01));
        assert!(close(si("triglycerides", 150.0, "mg/dL"), 1.69, 0.01));
        // BUN 14 mg/dL ≈ 5.0 mmol/L urea
        assert!(close(si("BUN", 14.0, "mg/dL"), 5.0, 0.01));
        // calcium 10 mg/dL = 2.50 mmol/L; 5 mEq/L = 2.5 mmol/L
        assert!(close(si("calcium", 10.0, "mg/dL"), 2.50, 0.01));
        assert!(close(si("calcium", 5.0, "mEq/L"), 2.5, 1e-9));
        // sodium mEq/L = mmol/L
        assert!(close(si("Na", 140.0, "mEq/L"), 140.0, 1e-9));
        // bilirubin 1 mg/dL ≈ 17.1 µmol/L
        assert!(close(si("total bilirubin", 1.0, "mg/dL"), 17.1, 0.05));
        // hemoglobin 14 g/dL = 140 g/L; 8.7 mmol/L (Dutch reports) ≈ 140 g/L
        assert!(close(si("Hb", 14.0, "g/dL"), 140.0, 1e-9));
        assert!(close(si("Hb", 8.7, "mmol/L"), 140.2, 0.1));
        // vitamin D 30 ng/mL ≈ 75 nmol/L
        assert!(close(si("vitamin D", 30.0, "ng/mL"), 74.9, 0.1));
        // HbA1c 6.5 % ≈ 48 mmol/mol
        assert!(close(si("HbA1c", 6.5, "%"), 47.5, 0.1));
        // counts: 7.2 K/uL = 7.2 ×10⁹/L; hematocrit 42 % = 0.42 L/L
        assert!(close(si("WBC", 7.2, "K/uL"), 7.2, 1e-9));
        assert!(close(si("Hct", 42.0, "%"), 0.42, 1e-12));
        // pressures: 40 mmHg ≈ 5.33 kPa; TSH µIU/mL = mIU/L
        assert!(close(si("pCO2", 40.0, "mmHg"), 5.33, 0.01));
        assert!(close(si("TSH", 2.1, "µIU/mL"), 2.1, 1e-9));
    }

    #[test]
    fn from_si_inverts_to_si() {
        for (analyte, unit) in [
            ("glucose", "mg/dL"),
            ("HbA1c", "%"),
            ("Ca", "mEq/L"),
            ("WBC", "K/uL"),
        ] {
            let unit = parse_unit(unit).unwrap();
            let a = resolve(analyte, Some(&unit)).unwrap();
            let back = from_si(a, to_si(a, 7.3, &unit).unwrap(), &unit).unwrap();
            assert!(close(back, 7.3, 1e-9), "{analyte}: {back}");
        }
    }

    #[test]
    fn flags_come_from_the_printed_range_else_the_default() {
        let mmol = parse_unit("mmol/L").unwrap();
        let k = resolve("Potassium", Some(&mmol)).unwrap();
        let a = assess(k, 5.8, &mmol, None).unwrap();
        assert_eq!(a.flag, Some(Flag::High));
        assert_eq!(a.range_source, Some(RangeSource::Default));
        let a = assess(k, 5.8, &mmol, Some(Interval::between(3.5, 6.0))).unwrap();
        assert_eq!(a.flag, Some(Flag::Normal));
        assert_eq!(a.range_source, Some(RangeSource::Report));
        assert_eq!(assess(k, 3.1, &mmol, None).unwrap().flag, Some(Flag::Low));
        // A dropped decimal point: 45 mmol/L of potassium is not hyperkalaemia.
        assert_eq!(
            assess(k, 45.0, &mmol, None).unwrap().flag,
            Some(Flag::Implausible)
        );
        // The printed range is in the result's unit and is converted with it.
        let mgdl = parse_unit("mg/dL").unwrap();
        let glucose = resolve("Glucose", Some(&mgdl)).unwrap();
        let a = assess(glucose, 110.0, &mgdl, Some(Interval::between(70.0, 99.0))).unwrap();
        assert_eq!(a.flag, Some(Flag::High));
        assert!(close(a.range_si.unwrap().high.unwrap(), 5.50, 0.01));
        // A unit of the wrong kind cannot be assessed.
        assert!(assess(glucose, 5.0, &parse_unit("fL").unwrap(), None).is_none());
    }
}
