//! The analytes BioScope knows: canonical names, the aliases reports use, SI units, molar
//! masses for mass ↔ substance conversion, a documented adult reference interval, and the
//! interval of values that are physiologically possible at all (outside it a value is a
//! transcription error, such as a dropped decimal point, rather than a finding).
//!
//! Written by the BioScope team from standard clinical-chemistry references (conventional adult
//! intervals; laboratories differ, so a range printed in the report always wins). LOINC codes
//! are given where the team states them; LOINC® is a registered trademark of Regenstrief
//! Institute, Inc. (see models/NOTICE).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::units::{Quantity, Unit};

/// An interval, open on a side whose bound is `None`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Interval {
    /// As reports print it: "3.5-5.1", "<5.2", ">60" (bounds [rounded](crate::assess::rounded));
    /// empty for an interval open on both sides.
    pub fn describe(&self) -> String {
        let n = |x: f64| crate::assess::rounded(x).to_string();
        match (self.low, self.high) {
            (Some(l), Some(h)) => format!("{}-{}", n(l), n(h)),
            (None, Some(h)) => format!("<{}", n(h)),
            (Some(l), None) => format!(">{}", n(l)),
            (None, None) => String::new(),
        }
    }

    pub const fn between(low: f64, high: f64) -> Interval {
        Interval {
            low: Some(low),
            high: Some(high),
        }
    }
    pub const fn below(high: f64) -> Interval {
        Interval {
            low: None,
            high: Some(high),
        }
    }
    pub const fn above(low: f64) -> Interval {
        Interval {
            low: Some(low),
            high: None,
        }
    }
    pub fn contains(&self, value: f64) -> bool {
        self.low.is_none_or(|l| value >= l) && self.high.is_none_or(|h| value <= h)
    }
    /// Both bounds multiplied by `factor` (a unit conversion).
    pub fn scaled(&self, factor: f64) -> Interval {
        Interval {
            low: self.low.map(|l| l * factor),
            high: self.high.map(|h| h * factor),
        }
    }
}

/// The unit an analyte is reported in under SI conventions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SiUnit {
    pub symbol: &'static str,
    pub unit: Unit,
}

/// How a value in a unit of another quantity reaches the SI unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// HbA1c in NGSP/DCCT percent: IFCC mmol/mol = (% − 2.15) × 10.929.
    HbA1cPercent,
}

/// One analyte.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Analyte {
    /// A stable key ("glucose", "neutrophils_percent").
    pub key: &'static str,
    /// The canonical name shown to users.
    pub name: &'static str,
    /// Names and abbreviations as reports print them (matched ignoring case and punctuation;
    /// two-letter aliases match only as written, so that "Na" is not "NA").
    pub aliases: &'static [&'static str],
    pub loinc: Option<&'static str>,
    pub si: SiUnit,
    /// g/mol of what a mass unit weighs (for urea nitrogen, the nitrogen).
    pub molar_mass: Option<f64>,
    /// Charge per particle, for mEq/L.
    pub valence: Option<f64>,
    pub special: Option<Special>,
    /// The adult default reference interval in the SI unit, used when the report prints none.
    pub reference: Option<Interval>,
    /// Values outside this SI interval cannot be physiological.
    pub plausible: Interval,
}

use Quantity::*;

const fn si(symbol: &'static str, quantity: Quantity, factor: f64) -> SiUnit {
    SiUnit {
        symbol,
        unit: Unit::new(quantity, factor),
    }
}

const MMOL_L: SiUnit = si("mmol/L", SubstanceConcentration, 1e-3);
const UMOL_L: SiUnit = si("µmol/L", SubstanceConcentration, 1e-6);
const NMOL_L: SiUnit = si("nmol/L", SubstanceConcentration, 1e-9);
const PMOL_L: SiUnit = si("pmol/L", SubstanceConcentration, 1e-12);
const G_L: SiUnit = si("g/L", MassConcentration, 1.0);
const MG_L: SiUnit = si("mg/L", MassConcentration, 1e-3);
const UG_L: SiUnit = si("µg/L", MassConcentration, 1e-6);
const NG_L: SiUnit = si("ng/L", MassConcentration, 1e-9);
const U_L: SiUnit = si("U/L", UnitsPerVolume, 1.0);
const KU_L: SiUnit = si("kU/L", UnitsPerVolume, 1e3);
const MIU_L: SiUnit = si("mIU/L", UnitsPerVolume, 1e-3);
const E9_L: SiUnit = si("×10⁹/L", NumberConcentration, 1e9);
const E12_L: SiUnit = si("×10¹²/L", NumberConcentration, 1e12);
const L_L: SiUnit = si("L/L", Fraction, 1.0);
const PERCENT: SiUnit = si("%", Fraction, 0.01);
const FL: SiUnit = si("fL", Volume, 1e-15);
const PG: SiUnit = si("pg", Mass, 1e-12);
const SEC: SiUnit = si("s", Time, 1.0);
const KPA: SiUnit = si("kPa", Pressure, 1.0);
const MM_H: SiUnit = si("mm/h", SedimentationRate, 1.0);
const EGFR_UNIT: SiUnit = si("mL/min/1.73 m²", FiltrationRate, 1.0);
const MMOL_MOL: SiUnit = si("mmol/mol", SubstanceRatio, 1.0);
const NO_UNIT: SiUnit = si("", Dimensionless, 1.0);

const BASE: Analyte = Analyte {
    key: "",
    name: "",
    aliases: &[],
    loinc: None,
    si: MMOL_L,
    molar_mass: None,
    valence: None,
    special: None,
    reference: None,
    plausible: Interval::between(0.0, f64::MAX),
};

/// Cholesterol's molar mass, shared by the lipoprotein fractions.
const CHOLESTEROL: f64 = 386.65;
const BILIRUBIN: f64 = 584.66;
const IRON: f64 = 55.845;

/// Every analyte, absolute counts before their percentage differentials (so that a name
/// without a unit resolves to the absolute count).
pub static ANALYTES: &[Analyte] = &[
    // Electrolytes, renal function, bone.
    Analyte {
        key: "sodium",
        name: "Sodium",
        aliases: &["sodium", "Na", "Na+", "serum sodium"],
        loinc: Some("2951-2"),
        molar_mass: Some(22.99),
        valence: Some(1.0),
        reference: Some(Interval::between(135.0, 145.0)),
        plausible: Interval::between(90.0, 200.0),
        ..BASE
    },
    Analyte {
        key: "potassium",
        name: "Potassium",
        aliases: &["potassium", "K", "K+", "serum potassium"],
        loinc: Some("2823-3"),
        molar_mass: Some(39.10),
        valence: Some(1.0),
        reference: Some(Interval::between(3.5, 5.1)),
        plausible: Interval::between(1.0, 12.0),
        ..BASE
    },
    Analyte {
        key: "chloride",
        name: "Chloride",
        aliases: &["chloride", "Cl", "Cl-"],
        loinc: Some("2075-0"),
        molar_mass: Some(35.45),
        valence: Some(1.0),
        reference: Some(Interval::between(98.0, 107.0)),
        plausible: Interval::between(60.0, 150.0),
        ..BASE
    },
    Analyte {
        key: "bicarbonate",
        name: "Bicarbonate",
        aliases: &[
            "bicarbonate",
            "HCO3",
            "HCO3-",
            "bicarb",
            "CO2",
            "total CO2",
            "TCO2",
            "CO2 total",
            "carbon dioxide",
        ],
        loinc: Some("1963-8"),
        molar_mass: Some(61.02),
        valence: Some(1.0),
        reference: Some(Interval::between(22.0, 29.0)),
        plausible: Interval::between(2.0, 60.0),
        ..BASE
    },
    Analyte {
        key: "anion_gap",
        name: "Anion gap",
        aliases: &["anion gap", "AG", "AGAP"],
        valence: Some(1.0),
        reference: Some(Interval::between(8.0, 16.0)),
        plausible: Interval::between(-10.0, 60.0),
        ..BASE
    },
    Analyte {
        key: "urea_nitrogen",
        name: "Urea nitrogen",
        aliases: &["BUN", "blood urea nitrogen", "urea nitrogen", "urea N"],
        loinc: Some("3094-0"),
        molar_mass: Some(28.014),
        reference: Some(Interval::between(2.5, 7.1)),
        plausible: Interval::between(0.3, 100.0),
        ..BASE
    },
    Analyte {
        key: "urea",
        name: "Urea",
        aliases: &["urea", "serum urea", "blood urea"],
        molar_mass: Some(60.06),
        reference: Some(Interval::between(2.5, 7.8)),
        plausible: Interval::between(0.3, 120.0),
        ..BASE
    },
    Analyte {
        key: "creatinine",
        name: "Creatinine",
        aliases: &[
            "creatinine",
            "creat",
            "Cr",
            "SCr",
            "serum creatinine",
            "crea",
        ],
        loinc: Some("2160-0"),
        si: UMOL_L,
        molar_mass: Some(113.12),
        reference: Some(Interval::between(45.0, 110.0)),
        plausible: Interval::between(5.0, 3000.0),
        ..BASE
    },
    Analyte {
        key: "egfr",
        name: "eGFR",
        aliases: &[
            "eGFR",
            "estimated GFR",
            "GFR estimated",
            "GFR",
            "eGFR CKD-EPI",
            "eGFR (CKD-EPI)",
            "estimated glomerular filtration rate",
        ],
        si: EGFR_UNIT,
        reference: Some(Interval::above(60.0)),
        plausible: Interval::between(0.0, 200.0),
        ..BASE
    },
    Analyte {
        key: "calcium",
        name: "Calcium",
        aliases: &[
            "calcium",
            "Ca",
            "total calcium",
            "serum calcium",
            "Ca total",
        ],
        loinc: Some("17861-6"),
        molar_mass: Some(40.08),
        valence: Some(2.0),
        reference: Some(Interval::between(2.15, 2.55)),
        plausible: Interval::between(0.5, 5.0),
        ..BASE
    },
    Analyte {
        key: "ionized_calcium",
        name: "Ionized calcium",
        aliases: &[
            "ionized calcium",
            "ionised calcium",
            "iCa",
            "Ca++",
            "Ca2+",
            "free calcium",
        ],
        loinc: Some("1994-3"),
        molar_mass: Some(40.08),
        valence: Some(2.0),
        reference: Some(Interval::between(1.15, 1.33)),
        plausible: Interval::between(0.2, 3.0),
        ..BASE
    },
    Analyte {
        key: "magnesium",
        name: "Magnesium",
        aliases: &["magnesium", "Mg", "Mg2+", "Mg++", "serum magnesium"],
        molar_mass: Some(24.305),
        valence: Some(2.0),
        reference: Some(Interval::between(0.70, 1.00)),
        plausible: Interval::between(0.1, 5.0),
        ..BASE
    },
    Analyte {
        key: "phosphate",
        name: "Phosphate",
        aliases: &[
            "phosphate",
            "phosphorus",
            "PO4",
            "phos",
            "inorganic phosphate",
            "inorganic phosphorus",
        ],
        loinc: Some("2777-1"),
        molar_mass: Some(30.97),
        reference: Some(Interval::between(0.81, 1.45)),
        plausible: Interval::between(0.1, 6.0),
        ..BASE
    },
    Analyte {
        key: "uric_acid",
        name: "Uric acid",
        aliases: &["uric acid", "urate", "serum urate"],
        loinc: Some("3084-1"),
        si: UMOL_L,
        molar_mass: Some(168.11),
        reference: Some(Interval::between(200.0, 430.0)),
        plausible: Interval::between(10.0, 2000.0),
        ..BASE
    },
    // Glucose and diabetes.
    Analyte {
        key: "glucose",
        name: "Glucose",
        aliases: &[
            "glucose",
            "GLU",
            "blood glucose",
            "fasting glucose",
            "glucose fasting",
            "fasting blood glucose",
            "FBG",
            "FPG",
            "fasting plasma glucose",
            "plasma glucose",
            "random glucose",
            "serum glucose",
            "blood sugar",
            "BSL",
            "BGL",
        ],
        loinc: Some("2345-7"),
        molar_mass: Some(180.16),
        reference: Some(Interval::between(3.9, 5.6)),
        plausible: Interval::between(0.3, 150.0),
        ..BASE
    },
    Analyte {
        key: "hba1c",
        name: "HbA1c",
        aliases: &[
            "HbA1c",
            "Hb A1c",
            "A1c",
            "hemoglobin A1c",
            "haemoglobin A1c",
            "glycated hemoglobin",
            "glycated haemoglobin",
            "glycosylated hemoglobin",
            "glycohemoglobin",
            "HgbA1c",
            "Hgb A1c",
        ],
        loinc: Some("4548-4"),
        si: MMOL_MOL,
        special: Some(Special::HbA1cPercent),
        reference: Some(Interval::between(20.0, 42.0)),
        plausible: Interval::between(10.0, 200.0),
        ..BASE
    },
    Analyte {
        key: "insulin",
        name: "Insulin",
        aliases: &["insulin", "fasting insulin", "serum insulin"],
        si: MIU_L,
        reference: Some(Interval::between(2.0, 25.0)),
        plausible: Interval::between(0.0, 3000.0),
        ..BASE
    },
    Analyte {
        key: "lactate",
        name: "Lactate",
        aliases: &["lactate", "lactic acid", "serum lactate", "blood lactate"],
        molar_mass: Some(90.08),
        reference: Some(Interval::between(0.5, 2.2)),
        plausible: Interval::between(0.1, 30.0),
        ..BASE
    },
    // Proteins, liver and pancreas.
    Analyte {
        key: "total_protein",
        name: "Total protein",
        aliases: &[
            "total protein",
            "TP",
            "protein total",
            "serum protein",
            "protein",
        ],
        loinc: Some("2885-2"),
        si: G_L,
        reference: Some(Interval::between(60.0, 83.0)),
        plausible: Interval::between(20.0, 150.0),
        ..BASE
    },
    Analyte {
        key: "albumin",
        name: "Albumin",
        aliases: &["albumin", "ALB", "serum albumin"],
        loinc: Some("1751-7"),
        si: G_L,
        reference: Some(Interval::between(35.0, 50.0)),
        plausible: Interval::between(5.0, 80.0),
        ..BASE
    },
    Analyte {
        key: "globulin",
        name: "Globulin",
        aliases: &["globulin", "globulins", "GLOB"],
        si: G_L,
        reference: Some(Interval::between(20.0, 35.0)),
        plausible: Interval::between(5.0, 120.0),
        ..BASE
    },
    Analyte {
        key: "bilirubin",
        name: "Total bilirubin",
        aliases: &[
            "bilirubin",
            "total bilirubin",
            "bilirubin total",
            "TBIL",
            "T bili",
            "T. bili",
            "bili",
            "bilirubin (total)",
            "bilirubin, total",
        ],
        loinc: Some("1975-2"),
        si: UMOL_L,
        molar_mass: Some(BILIRUBIN),
        reference: Some(Interval::between(3.0, 21.0)),
        plausible: Interval::between(0.0, 1000.0),
        ..BASE
    },
    Analyte {
        key: "direct_bilirubin",
        name: "Direct bilirubin",
        aliases: &[
            "direct bilirubin",
            "conjugated bilirubin",
            "DBIL",
            "D bili",
            "bilirubin direct",
            "bilirubin, direct",
        ],
        loinc: Some("1968-7"),
        si: UMOL_L,
        molar_mass: Some(BILIRUBIN),
        reference: Some(Interval::between(0.0, 5.0)),
        plausible: Interval::between(0.0, 700.0),
        ..BASE
    },
    Analyte {
        key: "alt",
        name: "Alanine aminotransferase",
        aliases: &[
            "ALT",
            "SGPT",
            "ALT (SGPT)",
            "ALT/SGPT",
            "alanine aminotransferase",
            "alanine transaminase",
            "GPT",
            "ALAT",
        ],
        loinc: Some("1742-6"),
        si: U_L,
        reference: Some(Interval::between(7.0, 56.0)),
        plausible: Interval::between(0.0, 20000.0),
        ..BASE
    },
    Analyte {
        key: "ast",
        name: "Aspartate aminotransferase",
        aliases: &[
            "AST",
            "SGOT",
            "AST (SGOT)",
            "AST/SGOT",
            "aspartate aminotransferase",
            "aspartate transaminase",
            "GOT",
            "ASAT",
        ],
        loinc: Some("1920-8"),
        si: U_L,
        reference: Some(Interval::between(10.0, 40.0)),
        plausible: Interval::between(0.0, 30000.0),
        ..BASE
    },
    Analyte {
        key: "alp",
        name: "Alkaline phosphatase",
        aliases: &[
            "ALP",
            "alkaline phosphatase",
            "alk phos",
            "alk. phos.",
            "ALKP",
            "AP",
        ],
        loinc: Some("6768-6"),
        si: U_L,
        reference: Some(Interval::between(44.0, 147.0)),
        plausible: Interval::between(0.0, 10000.0),
        ..BASE
    },
    Analyte {
        key: "ggt",
        name: "Gamma-glutamyl transferase",
        aliases: &[
            "GGT",
            "gamma GT",
            "gamma-GT",
            "γ-GT",
            "γGT",
            "GGTP",
            "gamma glutamyl transferase",
            "gamma-glutamyltransferase",
            "gamma glutamyl transpeptidase",
        ],
        loinc: Some("2324-2"),
        si: U_L,
        reference: Some(Interval::between(8.0, 61.0)),
        plausible: Interval::between(0.0, 10000.0),
        ..BASE
    },
    Analyte {
        key: "ldh",
        name: "Lactate dehydrogenase",
        aliases: &["LDH", "LD", "lactate dehydrogenase", "lactic dehydrogenase"],
        si: U_L,
        reference: Some(Interval::between(140.0, 280.0)),
        plausible: Interval::between(10.0, 50000.0),
        ..BASE
    },
    Analyte {
        key: "ck",
        name: "Creatine kinase",
        aliases: &[
            "CK",
            "CPK",
            "creatine kinase",
            "creatine phosphokinase",
            "total CK",
        ],
        loinc: Some("2157-6"),
        si: U_L,
        reference: Some(Interval::between(22.0, 198.0)),
        plausible: Interval::between(0.0, 500_000.0),
        ..BASE
    },
    Analyte {
        key: "amylase",
        name: "Amylase",
        aliases: &["amylase", "AMY", "serum amylase"],
        loinc: Some("1798-8"),
        si: U_L,
        reference: Some(Interval::between(30.0, 110.0)),
        plausible: Interval::between(0.0, 20000.0),
        ..BASE
    },
    Analyte {
        key: "lipase",
        name: "Lipase",
        aliases: &["lipase", "LIP", "serum lipase"],
        loinc: Some("3040-3"),
        si: U_L,
        reference: Some(Interval::between(0.0, 160.0)),
        plausible: Interval::between(0.0, 50000.0),
        ..BASE
    },
    Analyte {
        key: "ammonia",
        name: "Ammonia",
        aliases: &["ammonia", "NH3", "plasma ammonia"],
        si: UMOL_L,
        molar_mass: Some(17.03),
        reference: Some(Interval::between(11.0, 51.0)),
        plausible: Interval::between(1.0, 1500.0),
        ..BASE
    },
    // Lipids.
    Analyte {
        key: "cholesterol",
        name: "Total cholesterol",
        aliases: &[
            "cholesterol",
            "total cholesterol",
            "cholesterol total",
            "CHOL",
            "TC",
            "cholesterol, total",
            "T. chol",
        ],
        loinc: Some("2093-3"),
        molar_mass: Some(CHOLESTEROL),
        reference: Some(Interval::below(5.2)),
        plausible: Interval::between(0.5, 30.0),
        ..BASE
    },
    Analyte {
        key: "hdl",
        name: "HDL cholesterol",
        aliases: &[
            "HDL",
            "HDL-C",
            "HDL cholesterol",
            "HDL-cholesterol",
            "cholesterol HDL",
            "high density lipoprotein",
            "HDL chol",
        ],
        loinc: Some("2085-9"),
        molar_mass: Some(CHOLESTEROL),
        reference: Some(Interval::above(1.0)),
        plausible: Interval::between(0.1, 5.0),
        ..BASE
    },
    Analyte {
        key: "ldl",
        name: "LDL cholesterol",
        aliases: &[
            "LDL",
            "LDL-C",
            "LDL cholesterol",
            "LDL-cholesterol",
            "cholesterol LDL",
            "LDL (calc)",
            "LDL calculated",
            "LDL calc",
            "low density lipoprotein",
            "LDL chol",
        ],
        molar_mass: Some(CHOLESTEROL),
        reference: Some(Interval::below(3.4)),
        plausible: Interval::between(0.1, 20.0),
        ..BASE
    },
    Analyte {
        key: "non_hdl",
        name: "Non-HDL cholesterol",
        aliases: &[
            "non-HDL",
            "non-HDL cholesterol",
            "non HDL cholesterol",
            "non-HDL-C",
        ],
        molar_mass: Some(CHOLESTEROL),
        reference: Some(Interval::below(4.1)),
        plausible: Interval::between(0.1, 25.0),
        ..BASE
    },
    Analyte {
        key: "triglycerides",
        name: "Triglycerides",
        aliases: &[
            "triglycerides",
            "triglyceride",
            "TG",
            "TRIG",
            "TRIGS",
            "triacylglycerols",
        ],
        loinc: Some("2571-8"),
        molar_mass: Some(885.7),
        reference: Some(Interval::below(1.7)),
        plausible: Interval::between(0.1, 100.0),
        ..BASE
    },
    // Thyroid, hormones, cardiac and inflammation markers, tumour markers.
    Analyte {
        key: "tsh",
        name: "Thyroid-stimulating hormone",
        aliases: &[
            "TSH",
            "thyrotropin",
            "thyroid stimulating hormone",
            "thyroid-stimulating hormone",
        ],
        loinc: Some("3016-3"),
        si: MIU_L,
        reference: Some(Interval::between(0.4, 4.0)),
        plausible: Interval::between(0.001, 500.0),
        ..BASE
    },
    Analyte {
        key: "free_t4",
        name: "Free thyroxine",
        aliases: &[
            "free T4",
            "FT4",
            "fT4",
            "free thyroxine",
            "T4 free",
            "T4, free",
        ],
        loinc: Some("3024-7"),
        si: PMOL_L,
        molar_mass: Some(776.87),
        reference: Some(Interval::between(12.0, 22.0)),
        plausible: Interval::between(1.0, 150.0),
        ..BASE
    },
    Analyte {
        key: "free_t3",
        name: "Free triiodothyronine",
        aliases: &[
            "free T3",
            "FT3",
            "fT3",
            "free triiodothyronine",
            "T3 free",
            "T3, free",
        ],
        loinc: Some("3051-0"),
        si: PMOL_L,
        molar_mass: Some(650.97),
        reference: Some(Interval::between(3.1, 6.8)),
        plausible: Interval::between(0.5, 50.0),
        ..BASE
    },
    Analyte {
        key: "cortisol",
        name: "Cortisol",
        aliases: &[
            "cortisol",
            "serum cortisol",
            "morning cortisol",
            "AM cortisol",
        ],
        si: NMOL_L,
        molar_mass: Some(362.46),
        reference: Some(Interval::between(140.0, 690.0)),
        plausible: Interval::between(5.0, 5000.0),
        ..BASE
    },
    Analyte {
        key: "prolactin",
        name: "Prolactin",
        aliases: &["prolactin", "PRL"],
        si: UG_L,
        reference: Some(Interval::between(4.0, 23.0)),
        plausible: Interval::between(0.0, 10000.0),
        ..BASE
    },
    Analyte {
        key: "hcg",
        name: "Human chorionic gonadotropin",
        aliases: &[
            "hCG",
            "beta hCG",
            "β-hCG",
            "beta-hCG",
            "human chorionic gonadotropin",
        ],
        si: U_L,
        reference: Some(Interval::below(5.0)),
        plausible: Interval::between(0.0, 1_000_000.0),
        ..BASE
    },
    Analyte {
        key: "bnp",
        name: "B-type natriuretic peptide",
        aliases: &[
            "BNP",
            "B-type natriuretic peptide",
            "brain natriuretic peptide",
        ],
        loinc: Some("30934-4"),
        si: NG_L,
        reference: Some(Interval::below(100.0)),
        plausible: Interval::between(0.0, 50000.0),
        ..BASE
    },
    Analyte {
        key: "nt_probnp",
        name: "NT-proBNP",
        aliases: &[
            "NT-proBNP",
            "NT-pro BNP",
            "NTproBNP",
            "NT pro-BNP",
            "N-terminal pro-BNP",
        ],
        loinc: Some("33762-6"),
        si: NG_L,
        reference: Some(Interval::below(125.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    Analyte {
        key: "troponin_i",
        name: "Troponin I",
        aliases: &[
            "troponin I",
            "TnI",
            "cTnI",
            "hs-TnI",
            "hs troponin I",
            "high-sensitivity troponin I",
            "hs-cTnI",
        ],
        si: NG_L,
        reference: Some(Interval::below(26.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    Analyte {
        key: "troponin_t",
        name: "Troponin T",
        aliases: &[
            "troponin T",
            "TnT",
            "cTnT",
            "hs-TnT",
            "hs troponin T",
            "high-sensitivity troponin T",
            "hs-cTnT",
        ],
        si: NG_L,
        reference: Some(Interval::below(14.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    Analyte {
        key: "crp",
        name: "C-reactive protein",
        aliases: &[
            "CRP",
            "C-reactive protein",
            "C reactive protein",
            "hs-CRP",
            "hsCRP",
            "high-sensitivity CRP",
        ],
        loinc: Some("1988-5"),
        si: MG_L,
        reference: Some(Interval::below(5.0)),
        plausible: Interval::between(0.0, 600.0),
        ..BASE
    },
    Analyte {
        key: "procalcitonin",
        name: "Procalcitonin",
        aliases: &["procalcitonin", "PCT"],
        si: UG_L,
        reference: Some(Interval::below(0.5)),
        plausible: Interval::between(0.0, 1000.0),
        ..BASE
    },
    Analyte {
        key: "psa",
        name: "Prostate-specific antigen",
        aliases: &[
            "PSA",
            "prostate specific antigen",
            "prostate-specific antigen",
            "total PSA",
        ],
        loinc: Some("2857-1"),
        si: UG_L,
        reference: Some(Interval::below(4.0)),
        plausible: Interval::between(0.0, 10000.0),
        ..BASE
    },
    Analyte {
        key: "afp",
        name: "Alpha-fetoprotein",
        aliases: &[
            "AFP",
            "alpha-fetoprotein",
            "alpha fetoprotein",
            "α-fetoprotein",
        ],
        si: UG_L,
        reference: Some(Interval::below(10.0)),
        plausible: Interval::between(0.0, 1_000_000.0),
        ..BASE
    },
    Analyte {
        key: "cea",
        name: "Carcinoembryonic antigen",
        aliases: &["CEA", "carcinoembryonic antigen"],
        si: UG_L,
        reference: Some(Interval::below(5.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    Analyte {
        key: "ca125",
        name: "CA-125",
        aliases: &["CA-125", "CA 125", "CA125", "cancer antigen 125"],
        si: KU_L,
        reference: Some(Interval::below(35.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    // Iron and vitamins.
    Analyte {
        key: "iron",
        name: "Iron",
        aliases: &["iron", "Fe", "serum iron"],
        loinc: Some("2498-4"),
        si: UMOL_L,
        molar_mass: Some(IRON),
        reference: Some(Interval::between(10.0, 30.0)),
        plausible: Interval::between(0.5, 150.0),
        ..BASE
    },
    Analyte {
        key: "tibc",
        name: "Total iron-binding capacity",
        aliases: &[
            "TIBC",
            "total iron binding capacity",
            "total iron-binding capacity",
        ],
        si: UMOL_L,
        molar_mass: Some(IRON),
        reference: Some(Interval::between(45.0, 72.0)),
        plausible: Interval::between(5.0, 150.0),
        ..BASE
    },
    Analyte {
        key: "transferrin_saturation",
        name: "Transferrin saturation",
        aliases: &[
            "transferrin saturation",
            "TSAT",
            "iron saturation",
            "TF sat",
            "% saturation",
        ],
        si: PERCENT,
        reference: Some(Interval::between(20.0, 50.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "ferritin",
        name: "Ferritin",
        aliases: &["ferritin", "serum ferritin", "FER"],
        loinc: Some("2276-4"),
        si: UG_L,
        reference: Some(Interval::between(15.0, 300.0)),
        plausible: Interval::between(0.0, 100_000.0),
        ..BASE
    },
    Analyte {
        key: "transferrin",
        name: "Transferrin",
        aliases: &["transferrin", "TRF"],
        si: G_L,
        reference: Some(Interval::between(2.0, 3.6)),
        plausible: Interval::between(0.2, 10.0),
        ..BASE
    },
    Analyte {
        key: "vitamin_b12",
        name: "Vitamin B12",
        aliases: &[
            "vitamin B12",
            "B12",
            "vit B12",
            "cobalamin",
            "cyanocobalamin",
        ],
        si: PMOL_L,
        molar_mass: Some(1355.37),
        reference: Some(Interval::between(148.0, 590.0)),
        plausible: Interval::between(10.0, 10000.0),
        ..BASE
    },
    Analyte {
        key: "folate",
        name: "Folate",
        aliases: &["folate", "folic acid", "serum folate"],
        si: NMOL_L,
        molar_mass: Some(441.4),
        reference: Some(Interval::between(7.0, 45.0)),
        plausible: Interval::between(0.5, 200.0),
        ..BASE
    },
    Analyte {
        key: "vitamin_d",
        name: "25-hydroxyvitamin D",
        aliases: &[
            "vitamin D",
            "vit D",
            "25-OH vitamin D",
            "25(OH)D",
            "25-OH-D",
            "25-hydroxyvitamin D",
            "25-hydroxy vitamin D",
            "25 OH vitamin D",
            "vitamin D 25-OH",
            "vitamin D, 25-hydroxy",
        ],
        si: NMOL_L,
        molar_mass: Some(400.64),
        reference: Some(Interval::between(75.0, 250.0)),
        plausible: Interval::between(2.0, 1000.0),
        ..BASE
    },
    Analyte {
        key: "haptoglobin",
        name: "Haptoglobin",
        aliases: &["haptoglobin", "HPT"],
        si: G_L,
        reference: Some(Interval::between(0.3, 2.0)),
        plausible: Interval::between(0.0, 10.0),
        ..BASE
    },
    // Blood count.
    Analyte {
        key: "hemoglobin",
        name: "Hemoglobin",
        aliases: &[
            "hemoglobin",
            "haemoglobin",
            "Hb",
            "HB",
            "Hgb",
            "HGB",
            "Hb (total)",
        ],
        loinc: Some("718-7"),
        si: G_L,
        molar_mass: Some(16114.5),
        reference: Some(Interval::between(120.0, 175.0)),
        plausible: Interval::between(10.0, 260.0),
        ..BASE
    },
    Analyte {
        key: "hematocrit",
        name: "Hematocrit",
        aliases: &[
            "hematocrit",
            "haematocrit",
            "Hct",
            "HCT",
            "PCV",
            "packed cell volume",
        ],
        loinc: Some("4544-3"),
        si: L_L,
        reference: Some(Interval::between(0.36, 0.50)),
        plausible: Interval::between(0.05, 0.80),
        ..BASE
    },
    Analyte {
        key: "rbc",
        name: "Red blood cells",
        aliases: &[
            "RBC",
            "red blood cells",
            "red blood cell count",
            "red cell count",
            "RBC count",
            "erythrocytes",
            "erythrocyte count",
            "red cells",
        ],
        loinc: Some("789-8"),
        si: E12_L,
        reference: Some(Interval::between(4.2, 5.9)),
        plausible: Interval::between(0.5, 10.0),
        ..BASE
    },
    Analyte {
        key: "wbc",
        name: "White blood cells",
        aliases: &[
            "WBC",
            "white blood cells",
            "white blood cell count",
            "white cell count",
            "WBC count",
            "WCC",
            "leukocytes",
            "leucocytes",
            "leukocyte count",
            "total leukocyte count",
            "TLC",
        ],
        loinc: Some("6690-2"),
        si: E9_L,
        reference: Some(Interval::between(4.0, 11.0)),
        plausible: Interval::between(0.1, 500.0),
        ..BASE
    },
    Analyte {
        key: "platelets",
        name: "Platelets",
        aliases: &[
            "platelets",
            "platelet count",
            "PLT",
            "PLT count",
            "thrombocytes",
            "thrombocyte count",
            "platelet",
        ],
        loinc: Some("777-3"),
        si: E9_L,
        reference: Some(Interval::between(150.0, 400.0)),
        plausible: Interval::between(1.0, 3000.0),
        ..BASE
    },
    Analyte {
        key: "mcv",
        name: "Mean corpuscular volume",
        aliases: &["MCV", "mean corpuscular volume", "mean cell volume"],
        loinc: Some("787-2"),
        si: FL,
        reference: Some(Interval::between(80.0, 100.0)),
        plausible: Interval::between(40.0, 150.0),
        ..BASE
    },
    Analyte {
        key: "mch",
        name: "Mean corpuscular hemoglobin",
        aliases: &[
            "MCH",
            "mean corpuscular hemoglobin",
            "mean cell haemoglobin",
            "mean corpuscular haemoglobin",
        ],
        loinc: Some("785-6"),
        si: PG,
        reference: Some(Interval::between(27.0, 33.0)),
        plausible: Interval::between(10.0, 50.0),
        ..BASE
    },
    Analyte {
        key: "mchc",
        name: "Mean corpuscular hemoglobin concentration",
        aliases: &[
            "MCHC",
            "mean corpuscular hemoglobin concentration",
            "mean cell haemoglobin concentration",
        ],
        loinc: Some("786-4"),
        si: G_L,
        reference: Some(Interval::between(320.0, 360.0)),
        plausible: Interval::between(200.0, 450.0),
        ..BASE
    },
    Analyte {
        key: "rdw",
        name: "Red cell distribution width",
        aliases: &[
            "RDW",
            "RDW-CV",
            "red cell distribution width",
            "red blood cell distribution width",
        ],
        si: PERCENT,
        reference: Some(Interval::between(11.5, 14.5)),
        plausible: Interval::between(5.0, 40.0),
        ..BASE
    },
    Analyte {
        key: "mpv",
        name: "Mean platelet volume",
        aliases: &["MPV", "mean platelet volume"],
        si: FL,
        reference: Some(Interval::between(7.5, 12.0)),
        plausible: Interval::between(3.0, 25.0),
        ..BASE
    },
    Analyte {
        key: "neutrophils",
        name: "Neutrophils",
        aliases: &[
            "neutrophils",
            "neutrophil count",
            "absolute neutrophil count",
            "ANC",
            "neut",
            "neuts",
            "neutrophils abs",
            "neutrophils (absolute)",
            "segs",
            "granulocytes",
        ],
        loinc: Some("751-8"),
        si: E9_L,
        reference: Some(Interval::between(2.0, 7.5)),
        plausible: Interval::between(0.0, 300.0),
        ..BASE
    },
    Analyte {
        key: "lymphocytes",
        name: "Lymphocytes",
        aliases: &[
            "lymphocytes",
            "lymphocyte count",
            "absolute lymphocyte count",
            "ALC",
            "lymph",
            "lymphs",
            "lymphocytes abs",
            "lymphocytes (absolute)",
        ],
        loinc: Some("731-0"),
        si: E9_L,
        reference: Some(Interval::between(1.0, 4.0)),
        plausible: Interval::between(0.0, 500.0),
        ..BASE
    },
    Analyte {
        key: "monocytes",
        name: "Monocytes",
        aliases: &[
            "monocytes",
            "monocyte count",
            "mono",
            "monos",
            "monocytes abs",
            "monocytes (absolute)",
        ],
        loinc: Some("742-7"),
        si: E9_L,
        reference: Some(Interval::between(0.2, 1.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "eosinophils",
        name: "Eosinophils",
        aliases: &[
            "eosinophils",
            "eosinophil count",
            "eos",
            "eosinophils abs",
            "eosinophils (absolute)",
        ],
        loinc: Some("711-2"),
        si: E9_L,
        reference: Some(Interval::between(0.0, 0.5)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "basophils",
        name: "Basophils",
        aliases: &[
            "basophils",
            "basophil count",
            "baso",
            "basos",
            "basophils abs",
            "basophils (absolute)",
        ],
        loinc: Some("704-7"),
        si: E9_L,
        reference: Some(Interval::between(0.0, 0.2)),
        plausible: Interval::between(0.0, 50.0),
        ..BASE
    },
    Analyte {
        key: "neutrophils_percent",
        name: "Neutrophils (%)",
        aliases: &[
            "neutrophils",
            "neutrophils %",
            "neut %",
            "neut%",
            "neutrophil percentage",
            "segs",
            "granulocytes",
            "neuts",
        ],
        si: PERCENT,
        reference: Some(Interval::between(40.0, 75.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "lymphocytes_percent",
        name: "Lymphocytes (%)",
        aliases: &[
            "lymphocytes",
            "lymphocytes %",
            "lymph %",
            "lymph%",
            "lymphocyte percentage",
            "lymphs",
        ],
        si: PERCENT,
        reference: Some(Interval::between(20.0, 45.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "monocytes_percent",
        name: "Monocytes (%)",
        aliases: &["monocytes", "monocytes %", "mono %", "mono%", "monos"],
        si: PERCENT,
        reference: Some(Interval::between(2.0, 10.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "eosinophils_percent",
        name: "Eosinophils (%)",
        aliases: &["eosinophils", "eosinophils %", "eos %", "eos%", "eos"],
        si: PERCENT,
        reference: Some(Interval::between(1.0, 6.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "basophils_percent",
        name: "Basophils (%)",
        aliases: &["basophils", "basophils %", "baso %", "baso%", "basos"],
        si: PERCENT,
        reference: Some(Interval::between(0.0, 2.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    Analyte {
        key: "reticulocytes",
        name: "Reticulocytes",
        aliases: &[
            "reticulocytes",
            "reticulocyte count",
            "retic",
            "retics",
            "reticulocytes %",
        ],
        si: PERCENT,
        reference: Some(Interval::between(0.5, 2.5)),
        plausible: Interval::between(0.0, 60.0),
        ..BASE
    },
    Analyte {
        key: "esr",
        name: "Erythrocyte sedimentation rate",
        aliases: &[
            "ESR",
            "sed rate",
            "erythrocyte sedimentation rate",
            "sedimentation rate",
        ],
        loinc: Some("4537-7"),
        si: MM_H,
        reference: Some(Interval::between(0.0, 20.0)),
        plausible: Interval::between(0.0, 200.0),
        ..BASE
    },
    // Coagulation.
    Analyte {
        key: "pt",
        name: "Prothrombin time",
        aliases: &["PT", "prothrombin time", "pro time"],
        loinc: Some("5902-2"),
        si: SEC,
        reference: Some(Interval::between(11.0, 13.5)),
        plausible: Interval::between(5.0, 200.0),
        ..BASE
    },
    Analyte {
        key: "inr",
        name: "INR",
        aliases: &[
            "INR",
            "international normalized ratio",
            "international normalised ratio",
            "PT-INR",
            "PT (INR)",
            "prothrombin time (INR)",
            "INR (PT)",
            "PT/INR",
        ],
        loinc: Some("6301-6"),
        si: NO_UNIT,
        reference: Some(Interval::between(0.8, 1.2)),
        plausible: Interval::between(0.5, 20.0),
        ..BASE
    },
    Analyte {
        key: "aptt",
        name: "Activated partial thromboplastin time",
        aliases: &[
            "aPTT",
            "APTT",
            "PTT",
            "activated partial thromboplastin time",
            "partial thromboplastin time",
        ],
        loinc: Some("3173-2"),
        si: SEC,
        reference: Some(Interval::between(25.0, 37.0)),
        plausible: Interval::between(10.0, 300.0),
        ..BASE
    },
    Analyte {
        key: "fibrinogen",
        name: "Fibrinogen",
        aliases: &["fibrinogen", "FIB", "fibrinogen (Clauss)"],
        loinc: Some("3255-7"),
        si: G_L,
        reference: Some(Interval::between(2.0, 4.0)),
        plausible: Interval::between(0.1, 15.0),
        ..BASE
    },
    Analyte {
        key: "d_dimer",
        name: "D-dimer",
        aliases: &["D-dimer", "D dimer", "DDIMER", "D-dimer FEU"],
        si: MG_L,
        reference: Some(Interval::below(0.5)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
    // Blood gases.
    Analyte {
        key: "ph",
        name: "pH",
        aliases: &["pH", "blood pH", "arterial pH"],
        loinc: Some("2744-1"),
        si: NO_UNIT,
        reference: Some(Interval::between(7.35, 7.45)),
        plausible: Interval::between(6.5, 8.0),
        ..BASE
    },
    Analyte {
        key: "pco2",
        name: "Carbon dioxide partial pressure",
        aliases: &["pCO2", "PaCO2", "pCO₂", "PCO2"],
        loinc: Some("2019-8"),
        si: KPA,
        reference: Some(Interval::between(4.7, 6.0)),
        plausible: Interval::between(1.0, 25.0),
        ..BASE
    },
    Analyte {
        key: "po2",
        name: "Oxygen partial pressure",
        aliases: &["pO2", "PaO2", "pO₂", "PO2"],
        loinc: Some("2703-7"),
        si: KPA,
        reference: Some(Interval::between(10.7, 13.3)),
        plausible: Interval::between(1.0, 90.0),
        ..BASE
    },
    Analyte {
        key: "base_excess",
        name: "Base excess",
        aliases: &["base excess", "BE", "ABE", "SBE"],
        valence: Some(1.0),
        reference: Some(Interval::between(-2.0, 2.0)),
        plausible: Interval::between(-40.0, 40.0),
        ..BASE
    },
    Analyte {
        key: "oxygen_saturation",
        name: "Oxygen saturation",
        aliases: &[
            "oxygen saturation",
            "SaO2",
            "SpO2",
            "O2 sat",
            "O2 saturation",
            "sO2",
        ],
        si: PERCENT,
        reference: Some(Interval::between(95.0, 100.0)),
        plausible: Interval::between(0.0, 100.0),
        ..BASE
    },
];

/// An alias in comparable form: lower case, Greek letters spelt out, words of letters and
/// digits separated by single spaces (punctuation dropped, "%" kept as a word).
pub fn alias_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        let piece: Option<&str> = match c {
            'γ' | 'Γ' => Some("gamma"),
            'β' => Some("beta"),
            'α' => Some("alpha"),
            '₂' => Some("2"),
            '%' => Some("%"),
            _ => None,
        };
        let alnum = c.is_alphanumeric();
        if piece.is_none() && !alnum {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        match piece {
            Some(p) => {
                if c == '%' && !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(p)
            }
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether `text` names the analyte through `alias`: short aliases ("Na", "K", "PT") only as
/// written, longer ones ignoring case and punctuation.
fn names(alias: &str, text: &str, text_key: &str) -> bool {
    let key = alias_key(alias);
    if key.chars().count() <= 2 {
        alias.trim() == text.trim().trim_end_matches(':')
    } else {
        key == text_key
    }
}

/// Every name and alias by its [`alias_key`], as `(alias as written, analyte index)`; built
/// once.
fn alias_index() -> &'static HashMap<String, Vec<(&'static str, usize)>> {
    static INDEX: OnceLock<HashMap<String, Vec<(&'static str, usize)>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<String, Vec<(&'static str, usize)>> = HashMap::new();
        for (i, a) in ANALYTES.iter().enumerate() {
            for alias in std::iter::once(&a.name).chain(a.aliases) {
                index.entry(alias_key(alias)).or_default().push((alias, i));
            }
        }
        index
    })
}

/// The analytes `text` may name, in table order.
pub fn candidates(text: &str) -> Vec<&'static Analyte> {
    let key = alias_key(text);
    let Some(entries) = alias_index().get(&key) else {
        return Vec::new();
    };
    let mut found: Vec<usize> = entries
        .iter()
        .filter(|(alias, _)| names(alias, text, &key))
        .map(|&(_, i)| i)
        .collect();
    found.sort_unstable();
    found.dedup();
    found.into_iter().map(|i| &ANALYTES[i]).collect()
}

impl Analyte {
    /// Whether a value in `unit` can be read as this analyte (same quantity, or convertible
    /// through the molar mass, the valence, or a special rule).
    pub fn accepts(&self, unit: &Unit) -> bool {
        let target = self.si.unit.quantity;
        if unit.quantity == target {
            return true;
        }
        let substance_like = |q: Quantity| {
            matches!(
                q,
                SubstanceConcentration | EquivalentConcentration | MassConcentration
            )
        };
        match (unit.quantity, self.special) {
            (Fraction, Some(Special::HbA1cPercent)) => true,
            (q, _) if substance_like(q) && substance_like(target) => {
                let needs_mass = q == MassConcentration || target == MassConcentration;
                let needs_valence =
                    q == EquivalentConcentration || target == EquivalentConcentration;
                (!needs_mass || self.molar_mass.is_some())
                    && (!needs_valence || self.valence.is_some())
            }
            _ => false,
        }
    }
}

/// The analyte `text` names, choosing among same-named ones (absolute count or percentage) by
/// `unit` when there is one.
pub fn resolve(text: &str, unit: Option<&Unit>) -> Option<&'static Analyte> {
    let found = candidates(text);
    match unit {
        Some(unit) => found.into_iter().find(|a| a.accepts(unit)),
        None => found.into_iter().next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::parse_unit;

    #[test]
    fn the_table_is_large_consistent_and_unambiguous_by_unit() {
        assert!(ANALYTES.len() >= 80, "{} analytes", ANALYTES.len());
        let mut keys = std::collections::HashSet::new();
        for a in ANALYTES {
            assert!(keys.insert(a.key), "duplicate key {}", a.key);
            assert!(!a.aliases.is_empty(), "{} has no aliases", a.key);
            if let Some(r) = a.reference {
                for bound in [r.low, r.high].into_iter().flatten() {
                    assert!(
                        a.plausible.contains(bound),
                        "{}: reference bound {bound} is not plausible",
                        a.key
                    );
                }
            }
            if let Some(code) = a.loinc {
                let (num, check) = code
                    .split_once('-')
                    .expect("LOINC codes have a check digit");
                assert!(
                    num.chars().all(|c| c.is_ascii_digit()) && check.len() == 1,
                    "{code}"
                );
                assert_eq!(loinc_check_digit(num), check, "{}: {code}", a.key);
            }
            // An analyte always accepts its own SI unit.
            assert!(a.accepts(&a.si.unit), "{}", a.key);
        }
    }

    /// LOINC's mod-10 check digit.
    fn loinc_check_digit(number: &str) -> String {
        let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
        let mut sum = 0;
        for (i, d) in digits.iter().rev().enumerate() {
            if i % 2 == 0 {
                let doubled = d * 2;
                sum += doubled / 10 + doubled % 10;
            } else {
                sum += d;
            }
        }
        ((10 - sum % 10) % 10).to_string()
    }

    #[test]
    fn reports_spell_analytes_many_ways() {
        for (text, key) in [
            ("ALT (SGPT)", "alt"),
            ("alt/sgpt", "alt"),
            ("Hb", "hemoglobin"),
            ("Haemoglobin", "hemoglobin"),
            ("HbA1c", "hba1c"),
            ("Hemoglobin A1c", "hba1c"),
            ("γ-GT", "ggt"),
            ("Gamma-GT", "ggt"),
            ("eGFR (CKD-EPI)", "egfr"),
            ("Na", "sodium"),
            ("K+", "potassium"),
            ("Glucose, fasting", "glucose"),
            ("25(OH)D", "vitamin_d"),
            ("NT-proBNP", "nt_probnp"),
            ("WBC", "wbc"),
            ("Bilirubin, Total", "bilirubin"),
        ] {
            let found = resolve(text, None).unwrap_or_else(|| panic!("{text} not found"));
            assert_eq!(found.key, key, "{text}");
        }
    }

    #[test]
    fn two_letter_aliases_match_only_as_written() {
        assert_eq!(resolve("Na", None).unwrap().key, "sodium");
        assert!(resolve("NA", None).is_none(), "NA is 'not available'");
        assert!(resolve("na", None).is_none());
        assert!(resolve("mg", None).is_none(), "a unit, not magnesium");
        assert_eq!(resolve("Mg", None).unwrap().key, "magnesium");
    }

    #[test]
    fn the_unit_chooses_between_count_and_percentage() {
        let percent = parse_unit("%").unwrap();
        let count = parse_unit("x10^9/L").unwrap();
        assert_eq!(
            resolve("Neutrophils", Some(&percent)).unwrap().key,
            "neutrophils_percent"
        );
        assert_eq!(
            resolve("Neutrophils", Some(&count)).unwrap().key,
            "neutrophils"
        );
        assert_eq!(resolve("Neutrophils", None).unwrap().key, "neutrophils");
        // HbA1c in NGSP percent and in IFCC mmol/mol; glucose in mass and substance units.
        assert!(resolve("HbA1c", Some(&percent)).is_some());
        assert!(resolve("Glucose", parse_unit("mg/dL").as_ref()).is_some());
        // A unit of the wrong kind names no analyte.
        assert!(resolve("Sodium", parse_unit("fL").as_ref()).is_none());
    }
}
