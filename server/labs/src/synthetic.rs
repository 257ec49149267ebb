//! Synthetic laboratory reports for training and measuring the lab-value tagger: seeded, with
//! every biomarker, value, unit, printed reference range and printed flag annotated by byte
//! span, and the results a reader should extract.
//!
//! Ten layouts (column tables, pipe tables, "Name: value unit (range)" lines, compact hospital
//! lines with the flag after the value, semicolon exports, narrative summaries, ED notes
//! without units, lipid panels with dotted leaders, European tables with decimal commas,
//! referral letters) under a dozen report headers, in US conventional and SI units, with
//! OCR-like noise (doubled spaces, broken lines). Values are drawn around each analyte's
//! reference interval: mostly normal, some high or low, a few with a dropped or doubled decimal
//! point (implausible). The splits use different layouts, so that dev and test measure layouts
//! the model has not seen: train six, dev two, test two.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::analytes::{Analyte, Interval, ANALYTES};
use crate::assess::from_si;
use crate::numbers::DecimalMark;
use crate::units::parse_unit;

/// The span labels, in label-scheme order.
pub const LABELS: [&str; 5] = ["BIOMARKER", "VALUE", "UNIT", "RANGE", "FLAG"];

/// Which split a report belongs to; each has its own layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Dev,
    Test,
}

/// An annotated byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: &'static str,
}

/// A result a reader should extract from the report.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldResult {
    /// The analyte's key in [`ANALYTES`].
    pub analyte: &'static str,
    /// The analyte as written.
    pub text: String,
    pub value: f64,
    /// The unit as written (`None` where the report prints none).
    pub unit: Option<String>,
    /// The printed range, in the result's unit.
    pub range: Option<Interval>,
    /// The printed flag.
    pub flag: Option<String>,
}

/// One generated report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub layout: &'static str,
    pub text: String,
    pub spans: Vec<Span>,
    pub results: Vec<GoldResult>,
}

/// The units reports print for an analyte besides its SI unit (spelling variants included).
fn printed_units(a: &Analyte) -> Vec<&'static str> {
    let extra: &[&'static str] = match a.key {
        "glucose" | "cholesterol" | "hdl" | "ldl" | "non_hdl" | "triglycerides"
        | "urea_nitrogen" => &["mg/dL", "mg/dl"],
        "creatinine" | "uric_acid" | "bilirubin" | "direct_bilirubin" | "calcium" | "magnesium"
        | "phosphate" => &["mg/dL", "mg/dl", "umol/L"],
        "sodium" | "potassium" | "chloride" | "bicarbonate" | "anion_gap" => &["mEq/L", "mmol/l"],
        "hemoglobin" | "albumin" | "total_protein" | "globulin" | "mchc" => &["g/dL", "g/dl"],
        "wbc" | "platelets" | "neutrophils" | "lymphocytes" | "monocytes" | "eosinophils"
        | "basophils" => &[
            "x10^9/L",
            "×10⁹/L",
            "10^9/L",
            "K/uL",
            "x10E3/uL",
            "10^3/µL",
            "thou/uL",
        ],
        "rbc" => &["x10^12/L", "M/uL", "x10E6/uL", "10^6/µL"],
        "hematocrit" => &["%"],
        "hba1c" => &["%"],
        "tsh" => &["uIU/mL", "µIU/mL", "mU/L"],
        "free_t4" => &["ng/dL"],
        "free_t3" => &["pg/mL"],
        "vitamin_d" => &["ng/mL"],
        "vitamin_b12" => &["pg/mL"],
        "folate" => &["ng/mL"],
        "ferritin" | "psa" | "afp" | "cea" | "prolactin" => &["ng/mL"],
        "iron" | "tibc" => &["ug/dL", "mcg/dL"],
        "cortisol" => &["ug/dL", "mcg/dL"],
        "bnp" | "nt_probnp" => &["pg/mL"],
        "troponin_i" | "troponin_t" => &["pg/mL"],
        "crp" => &["mg/dl"],
        "d_dimer" => &["ug/mL", "ng/mL"],
        "ammonia" => &["ug/dL", "umol/L"],
        "pco2" | "po2" => &["mmHg"],
        "alt" | "ast" | "alp" | "ggt" | "ldh" | "ck" | "amylase" | "lipase" => &["IU/L", "U/l"],
        "hcg" => &["mIU/mL"],
        "ca125" => &["U/mL"],
        "fibrinogen" => &["mg/dL"],
        "insulin" => &["uIU/mL", "µIU/mL"],
        "pt" | "aptt" => &["sec", "seconds"],
        _ => &[],
    };
    let mut units = vec![a.si.symbol];
    units.extend_from_slice(extra);
    units
}

/// Panels reports group analytes in.
const PANELS: &[&[&str]] = &[
    &[
        "sodium",
        "potassium",
        "chloride",
        "bicarbonate",
        "urea_nitrogen",
        "creatinine",
        "glucose",
        "calcium",
    ],
    &[
        "sodium",
        "potassium",
        "chloride",
        "bicarbonate",
        "urea",
        "creatinine",
        "egfr",
        "anion_gap",
    ],
    &[
        "total_protein",
        "albumin",
        "globulin",
        "bilirubin",
        "direct_bilirubin",
        "alt",
        "ast",
        "alp",
        "ggt",
    ],
    &[
        "wbc",
        "rbc",
        "hemoglobin",
        "hematocrit",
        "mcv",
        "mch",
        "mchc",
        "rdw",
        "platelets",
        "mpv",
    ],
    &[
        "neutrophils",
        "lymphocytes",
        "monocytes",
        "eosinophils",
        "basophils",
    ],
    &[
        "neutrophils_percent",
        "lymphocytes_percent",
        "monocytes_percent",
        "eosinophils_percent",
        "basophils_percent",
    ],
    &["cholesterol", "triglycerides", "hdl", "ldl", "non_hdl"],
    &["tsh", "free_t4", "free_t3"],
    &[
        "iron",
        "tibc",
        "transferrin_saturation",
        "ferritin",
        "transferrin",
    ],
    &["pt", "inr", "aptt", "fibrinogen", "d_dimer"],
    &["troponin_t", "troponin_i", "bnp", "nt_probnp", "ck"],
    &["crp", "esr", "procalcitonin", "lactate"],
    &["glucose", "hba1c", "insulin"],
    &["vitamin_d", "vitamin_b12", "folate"],
    &[
        "ph",
        "pco2",
        "po2",
        "bicarbonate",
        "base_excess",
        "lactate",
        "oxygen_saturation",
        "ionized_calcium",
    ],
    &["psa", "cea", "afp", "ca125", "hcg"],
    &[
        "magnesium",
        "phosphate",
        "uric_acid",
        "ldh",
        "amylase",
        "lipase",
        "ammonia",
        "cortisol",
        "prolactin",
        "haptoglobin",
        "reticulocytes",
    ],
];

const HEADERS: &[&str] = &[
    "NORTHGATE CLINICAL LABORATORIES\nPatient: {name}    DOB: {date}    MRN: {id}\nCollected: {date} {time}    Reported: {date} {time}\n",
    "St. Brigid's Hospital - Department of Pathology\nName: {name}  Hosp No: {id}\nSpecimen received {date} at {time}\n",
    "CITY MEDICAL CENTER LAB REPORT\nAccession #{id}   Ordering provider: Dr. {doctor}\nDate of service: {date}\n",
    "Riverside Diagnostics, 12 Mill Lane\nPatient ID {id} / {name} / Sex: {sex}\nSample: serum, fasting {hours} h\n",
    "LABORATORY RESULTS\n{name}, {age} y {sex}\nDrawn {date} {time}; verified {date}\n",
    "Outpatient Phlebotomy Unit - Final Report\nMRN {id}    Location: Ward {ward}\n",
    "Regional Reference Lab | Report ID {id} | Page 1 of 1\nRequested by Dr. {doctor} on {date}\n",
    "Hillcrest Family Practice - results received {date}\nRe: {name} (DOB {date})\n",
    "ACUTE MEDICAL UNIT\nBloods {date} {time}\n",
    "Pathology Services - Biochemistry & Haematology\nLab no. {id}   Collected {date} {time}\n",
    "Patient {name}  Age {age}  Sex {sex}  Bed {ward}\n",
    "Results summary ({date})\n",
];

const NAMES: &[&str] = &[
    "Jane Doe",
    "John Smith",
    "Maria Garcia",
    "Wei Chen",
    "Aisha Khan",
    "Peter Novak",
    "Ana Souza",
    "Tom Baker",
    "Emma Johansson",
    "Liam O'Neill",
];
const DOCTORS: &[&str] = &[
    "Patel", "Okafor", "Müller", "Nguyen", "Rossi", "Kowalski", "Hughes",
];

/// The layouts of each split.
fn layouts(split: Split) -> &'static [&'static str] {
    match split {
        Split::Train => &[
            "columns",
            "pipes",
            "colon_lines",
            "compact",
            "semicolons",
            "narrative",
        ],
        Split::Dev => &["ed_note", "dotted_panel"],
        Split::Test => &["european", "letter"],
    }
}

/// Text under construction, with its spans.
struct Writer {
    text: String,
    spans: Vec<Span>,
}

impl Writer {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn label(&mut self, s: &str, label: &'static str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.spans.push(Span {
            start,
            end: self.text.len(),
            label,
        });
    }
    /// `before`, the labelled `text` and `after`, when there is a text (a column or bracket a
    /// row may leave out).
    fn optional(&mut self, before: &str, text: Option<&str>, label: &'static str, after: &str) {
        if let Some(text) = text {
            self.push(before);
            self.label(text, label);
            self.push(after);
        }
    }
    /// Pads the current line with spaces to `column` characters (at least one space).
    fn pad_to(&mut self, column: usize) {
        let line = self.text.rsplit('\n').next().unwrap_or("");
        let width = line.chars().count();
        let n = column.saturating_sub(width).max(1);
        self.text.extend(std::iter::repeat_n(' ', n));
    }
}

/// One result to print: everything already formatted.
struct Row {
    analyte: &'static Analyte,
    name: String,
    value: String,
    number: f64,
    unit: Option<String>,
    range: Option<String>,
    interval: Option<Interval>,
    flag: Option<String>,
}

fn format_number(x: f64, decimals: usize, mark: DecimalMark) -> String {
    let s = format!("{x:.decimals$}");
    match mark {
        DecimalMark::Point => s,
        DecimalMark::Comma => s.replace('.', ","),
    }
}

/// Decimals a report would print for a value of this size.
fn decimals_for(x: f64) -> usize {
    let x = x.abs();
    if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else if x >= 0.1 {
        2
    } else {
        3
    }
}

/// Draws a value in SI: mostly inside the reference interval, some outside, a few implausible.
fn draw_si(a: &Analyte, rng: &mut StdRng) -> f64 {
    let (low, high) = match a.reference {
        Some(Interval {
            low: Some(l),
            high: Some(h),
        }) => (l, h),
        Some(Interval {
            low: None,
            high: Some(h),
        }) => (h * 0.3, h),
        Some(Interval {
            low: Some(l),
            high: None,
        }) => (l, l * 1.8),
        _ => (
            a.plausible.low.unwrap_or(0.0),
            a.plausible.low.unwrap_or(0.0) + 1.0,
        ),
    };
    let width = (high - low).max(high.abs() * 0.1).max(1e-3);
    let roll: f64 = rng.random();
    let value = if roll < 0.68 {
        rng.random_range(low..=high)
    } else if roll < 0.83 {
        high + rng.random_range(0.05..1.5) * width
    } else if roll < 0.96 {
        (low - rng.random_range(0.05..0.6) * width).max(low * 0.3)
    } else {
        // A dropped or doubled decimal point.
        let normal = rng.random_range(low..=high);
        if rng.random_bool(0.5) {
            normal * 10.0
        } else {
            normal / 10.0
        }
    };
    if a.plausible.low == Some(0.0) || a.plausible.low.is_some_and(|l| l >= 0.0) {
        value.max(0.0)
    } else {
        value
    }
}

fn make_row(a: &'static Analyte, mark: DecimalMark, units: bool, rng: &mut StdRng) -> Row {
    let names: Vec<&str> = std::iter::once(a.name)
        .chain(a.aliases.iter().copied())
        .collect();
    let name = names.choose(rng).copied().unwrap_or(a.name).to_string();
    let candidates = printed_units(a);
    let unit_text = *candidates.choose(rng).unwrap_or(&a.si.symbol);
    let unit = parse_unit(unit_text).expect("printed units parse");
    let value_si = draw_si(a, rng);
    let shown = from_si(a, value_si, &unit).unwrap_or(value_si);
    let decimals = decimals_for(shown);
    let value = format_number(shown, decimals, mark);
    let number = crate::numbers::parse_number(&value, mark).unwrap_or(shown);
    // Laboratories print round bounds: a converted default is rounded to two significant
    // figures unless the conversion is a power of ten (g/L to g/dL keeps 12.0-17.5).
    let factor = from_si(a, 1.0, &unit).unwrap_or(1.0);
    let decade = factor.abs().log10();
    let nice = |x: f64| {
        if (decade - decade.round()).abs() < 1e-9 || x == 0.0 {
            x
        } else {
            let step = 10f64.powf(x.abs().log10().floor() - 1.0);
            (x / step).round() * step
        }
    };
    let interval = a.reference.map(|r| Interval {
        low: r.low.and_then(|l| from_si(a, l, &unit)).map(nice),
        high: r.high.and_then(|h| from_si(a, h, &unit)).map(nice),
    });
    let (range, interval) = match interval {
        Some(r) if rng.random_bool(0.8) => {
            let d = |x: f64| decimals_for(x).min(decimals.max(1));
            let text = match (r.low, r.high) {
                (Some(l), Some(h)) => {
                    let sep = *[" - ", "-", " – ", " to "].choose(rng).unwrap_or(&"-");
                    format!(
                        "{}{sep}{}",
                        format_number(l, d(l), mark),
                        format_number(h, d(h), mark)
                    )
                }
                (None, Some(h)) => format!("<{}", format_number(h, d(h), mark)),
                (Some(l), None) => format!(">{}", format_number(l, d(l), mark)),
                (None, None) => String::new(),
            };
            let parsed = crate::numbers::parse_range(&text, mark);
            (Some(text), parsed)
        }
        _ => (None, None),
    };
    let flag = interval.and_then(|r| {
        let word = if r.high.is_some_and(|h| number > h) {
            *["H", "H", "High", "HIGH", "H*"].choose(rng)?
        } else if r.low.is_some_and(|l| number < l) {
            *["L", "L", "Low", "LOW", "L*"].choose(rng)?
        } else {
            return None;
        };
        Some(word.to_string())
    });
    // A note may leave units out, but not where the name alone would mean another analyte
    // (a differential's percentage rather than its count).
    let units = units || crate::analytes::resolve(&name, None).map(|r| r.key) != Some(a.key);
    let unit = (units && !unit_text.is_empty()).then(|| unit_text.to_string());
    Row {
        analyte: a,
        name,
        value,
        number,
        unit,
        range,
        interval,
        flag,
    }
}

fn analyte(key: &str) -> &'static Analyte {
    ANALYTES
        .iter()
        .find(|a| a.key == key)
        .expect("panels name analytes of the table")
}

fn header(w: &mut Writer, rng: &mut StdRng) {
    let template = *HEADERS.choose(rng).unwrap_or(&HEADERS[0]);
    let date = format!(
        "{:02}/{:02}/20{:02}",
        rng.random_range(1..=28),
        rng.random_range(1..=12),
        rng.random_range(18..=26)
    );
    let text = template
        .replace("{name}", NAMES.choose(rng).unwrap_or(&NAMES[0]))
        .replace("{doctor}", DOCTORS.choose(rng).unwrap_or(&DOCTORS[0]))
        .replace("{date}", &date)
        .replace(
            "{time}",
            &format!(
                "{:02}:{:02}",
                rng.random_range(0..24),
                rng.random_range(0..60)
            ),
        )
        .replace("{id}", &rng.random_range(100_000..9_999_999).to_string())
        .replace("{age}", &rng.random_range(18..95).to_string())
        .replace("{sex}", ["F", "M"].choose(rng).unwrap_or(&"F"))
        .replace("{hours}", &rng.random_range(8..14).to_string())
        .replace("{ward}", &rng.random_range(1..40).to_string());
    w.push(&text);
    w.push("\n");
}

/// Writes a space, or now and then the noise of a scanned page (doubled spaces).
fn gap(w: &mut Writer, rng: &mut StdRng) {
    w.push(if rng.random_bool(0.1) { "   " } else { " " });
}

fn write_layout(layout: &str, rows: &[Row], w: &mut Writer, rng: &mut StdRng) {
    match layout {
        "columns" | "european" => {
            w.push(if layout == "european" {
                "Parameter          Result     Unit         Reference interval\n"
            } else {
                "Test                 Result     Flag   Units        Reference Range\n"
            });
            for r in rows {
                w.label(&r.name, "BIOMARKER");
                w.pad_to(21);
                w.label(&r.value, "VALUE");
                if layout == "european" {
                    w.optional(" ", r.flag.as_deref(), "FLAG", "");
                    w.pad_to(32);
                } else {
                    w.pad_to(32);
                    w.optional("", r.flag.as_deref(), "FLAG", "");
                    w.pad_to(39);
                }
                w.optional("", r.unit.as_deref(), "UNIT", "");
                w.pad_to(if layout == "european" { 45 } else { 52 });
                if let Some(range) = &r.range {
                    if layout == "european" {
                        w.push("[");
                        w.label(range, "RANGE");
                        w.push("]");
                    } else {
                        w.label(range, "RANGE");
                    }
                }
                w.push("\n");
                if rng.random_bool(0.03) {
                    w.push("\n");
                }
            }
        }
        "pipes" => {
            w.push("| Test | Result | Units | Reference | Flag |\n|---|---|---|---|---|\n");
            for r in rows {
                w.push("| ");
                w.label(&r.name, "BIOMARKER");
                w.push(" | ");
                w.label(&r.value, "VALUE");
                w.push(" | ");
                w.optional("", r.unit.as_deref(), "UNIT", "");
                w.push(" | ");
                w.optional("", r.range.as_deref(), "RANGE", "");
                w.push(" | ");
                w.optional("", r.flag.as_deref(), "FLAG", "");
                w.push(" |\n");
            }
        }
        "colon_lines" | "semicolons" => {
            if layout == "semicolons" {
                w.push("analyte;result;unit;reference;flag\n");
            }
            for r in rows {
                w.label(&r.name, "BIOMARKER");
                if layout == "semicolons" {
                    w.push(";");
                    w.label(&r.value, "VALUE");
                    w.push(";");
                    w.optional("", r.unit.as_deref(), "UNIT", "");
                    w.push(";");
                    w.optional("", r.range.as_deref(), "RANGE", "");
                    w.push(";");
                    w.optional("", r.flag.as_deref(), "FLAG", "");
                } else {
                    w.push(":");
                    gap(w, rng);
                    w.label(&r.value, "VALUE");
                    w.optional(" ", r.unit.as_deref(), "UNIT", "");
                    w.optional(" (", r.range.as_deref(), "RANGE", ")");
                    w.optional(" ", r.flag.as_deref(), "FLAG", "");
                }
                w.push("\n");
            }
        }
        "compact" => {
            for r in rows {
                w.label(&r.name, "BIOMARKER");
                w.push(" ");
                w.label(&r.value, "VALUE");
                w.optional(" (", r.flag.as_deref(), "FLAG", ")");
                w.optional(" ", r.unit.as_deref(), "UNIT", "");
                w.optional(" [", r.range.as_deref(), "RANGE", "]");
                w.push(if rng.random_bool(0.3) { "  " } else { "\n" });
            }
            w.push("\n");
        }
        "dotted_panel" => {
            w.push("RESULTS (fasting specimen)\n");
            for r in rows {
                w.push("  ");
                w.label(&r.name, "BIOMARKER");
                w.push(" ");
                let dots = 28usize.saturating_sub(r.name.chars().count()).max(3);
                w.push(&".".repeat(dots));
                w.push(" ");
                w.label(&r.value, "VALUE");
                w.optional(" ", r.unit.as_deref(), "UNIT", "");
                w.optional("   (desirable ", r.range.as_deref(), "RANGE", ")");
                w.optional("  ", r.flag.as_deref(), "FLAG", "");
                w.push("\n");
            }
        }
        "narrative" | "letter" | "ed_note" => {
            let opening = match layout {
                "letter" => {
                    "Dear Dr Hughes,\n\nThank you for seeing this patient. Recent blood tests show"
                }
                "ed_note" => "ED course: labs notable for",
                _ => "Summary of investigations: the results show",
            };
            w.push(opening);
            for (i, r) in rows.iter().enumerate() {
                w.push(if i == 0 {
                    " "
                } else if i + 1 == rows.len() {
                    " and "
                } else {
                    ", "
                });
                if layout != "ed_note" && rng.random_bool(0.5) {
                    w.push(["a ", "the ", "a measured "].choose(rng).unwrap_or(&"a "));
                }
                w.label(&r.name, "BIOMARKER");
                w.push(if layout == "ed_note" {
                    " "
                } else {
                    [" of ", " at ", " "].choose(rng).unwrap_or(&" ")
                });
                w.label(&r.value, "VALUE");
                w.optional(" ", r.unit.as_deref(), "UNIT", "");
                if let Some(range) = &r.range {
                    w.push([" (ref ", " (normal ", " ("].choose(rng).unwrap_or(&" ("));
                    w.label(range, "RANGE");
                    w.push(")");
                }
            }
            w.push(if layout == "letter" {
                ".\n\nI would be grateful for your opinion.\nKind regards,\nDr A. Patel\n"
            } else {
                ".\n"
            });
        }
        other => unreachable!("unknown layout {other}"),
    }
}

/// Generates `count` reports of `split`, reproducibly from `seed`.
pub fn generate(split: Split, count: usize, seed: u64) -> Vec<Report> {
    let salt = match split {
        Split::Train => 0x7261_696e,
        Split::Dev => 0x6465_7620,
        Split::Test => 0x7465_7374,
    };
    let mut rng = StdRng::seed_from_u64(seed ^ salt);
    (0..count)
        .map(|_| {
            let layout = *layouts(split).choose(&mut rng).unwrap_or(&"columns");
            let mark = if layout == "european" {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            };
            let mut w = Writer {
                text: String::new(),
                spans: Vec::new(),
            };
            if layout != "ed_note" {
                header(&mut w, &mut rng);
                w.push("\n");
            }
            let panels = rng.random_range(
                1..=if layout == "letter" || layout == "narrative" {
                    1
                } else {
                    3
                },
            );
            let mut rows = Vec::new();
            for _ in 0..panels {
                let panel = *PANELS.choose(&mut rng).unwrap_or(&PANELS[0]);
                let take = if matches!(layout, "narrative" | "letter" | "ed_note") {
                    rng.random_range(2..=panel.len().min(5))
                } else {
                    panel.len()
                };
                let units = layout != "ed_note" || rng.random_bool(0.3);
                for key in panel.iter().take(take) {
                    if rows.iter().any(|r: &Row| r.analyte.key == *key) {
                        continue;
                    }
                    rows.push(make_row(analyte(key), mark, units, &mut rng));
                }
            }
            if matches!(layout, "narrative" | "letter" | "ed_note") {
                for r in &mut rows {
                    // Prose does not print flags, and a letter mentions some ranges only.
                    r.flag = None;
                    if layout == "ed_note" {
                        r.range = None;
                        r.interval = None;
                    }
                }
            }
            write_layout(layout, &rows, &mut w, &mut rng);
            let results = rows
                .iter()
                .map(|r| GoldResult {
                    analyte: r.analyte.key,
                    text: r.name.clone(),
                    value: r.number,
                    unit: r.unit.clone(),
                    range: r.interval,
                    flag: r.flag.clone(),
                })
                .collect();
            Report {
                layout,
                text: w.text,
                spans: w.spans,
                results,
            }
        })
        .collect()
}

/// The report as IOB lines for the trainer: one word per line (split as the tagger splits
/// words), `B-`/`I-` labels from the spans, a blank line after each line of the report.
pub fn to_iob(report: &Report) -> String {
    let mut out = String::new();
    for words in crate::lines::word_lines(&report.text) {
        for word in &words {
            let (start, end) = (word.start, word.end);
            let label = report
                .spans
                .iter()
                .find(|s| s.start <= start && end <= s.end)
                .map(|s| {
                    let first = s.start == start;
                    format!("{}-{}", if first { "B" } else { "I" }, s.label)
                })
                .unwrap_or_else(|| "O".into());
            out.push_str(&report.text[start..end]);
            out.push('\t');
            out.push_str(&label);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The report as one JSON line: layout, text, spans (byte offsets) and the gold results.
pub fn to_json_line(report: &Report) -> String {
    let spans: Vec<_> = report
        .spans
        .iter()
        .map(|s| serde_json::json!([s.start, s.end, s.label]))
        .collect();
    let results: Vec<_> = report
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "analyte": r.analyte,
                "text": r.text,
                "value": r.value,
                "unit": r.unit,
                "range": r.range.map(|i| serde_json::json!({"low": i.low, "high": i.high})),
                "flag": r.flag,
            })
        })
        .collect();
    serde_json::json!({
        "layout": report.layout,
        "text": report.text,
        "spans": spans,
        "results": results,
    })
    .to_string()
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }
}

/// Writes `<split>.tsv` (IOB for the trainer) and `<split>.jsonl` (reports with their gold
/// results) for each split into `dir`; returns the files written.
pub fn write_corpus(
    dir: &std::path::Path,
    counts: &[(Split, usize)],
    seed: u64,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for &(split, count) in counts {
        let reports = generate(split, count, seed);
        let iob: String = reports.iter().map(to_iob).collect();
        let json: String = reports.iter().map(|r| to_json_line(r) + "\n").collect();
        for (ext, text) in [("tsv", iob), ("jsonl", json)] {
            let path = dir.join(format!("{}.{ext}", split.name()));
            std::fs::write(&path, text)?;
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytes::resolve;

    #[test]
    fn every_printed_unit_parses_and_fits_its_analyte() {
        for a in ANALYTES {
            for u in printed_units(a) {
                let unit = parse_unit(u).unwrap_or_else(|| panic!("{}: {u} does not parse", a.key));
                assert!(a.accepts(&unit), "{}: {u}", a.key);
                assert!(from_si(a, 1.0, &unit).is_some(), "{}: {u}", a.key);
            }
        }
        for panel in PANELS {
            for key in *panel {
                analyte(key);
            }
        }
    }

    #[test]
    fn reports_are_seeded_and_their_spans_are_whole_words() {
        let a = generate(Split::Train, 40, 7);
        assert_eq!(a, generate(Split::Train, 40, 7), "same seed, same reports");
        assert_ne!(a, generate(Split::Train, 40, 8));
        for report in a.iter().chain(&generate(Split::Test, 20, 7)) {
            let words = bioscope_core::corpus::split_words(&report.text);
            for s in &report.spans {
                assert!(
                    words.iter().any(|w| w.start == s.start)
                        && words.iter().any(|w| w.end == s.end),
                    "{:?} {:?} in {}",
                    s,
                    &report.text[s.start..s.end],
                    report.layout
                );
            }
            let values = report.spans.iter().filter(|s| s.label == "VALUE").count();
            assert_eq!(values, report.results.len(), "{}", report.text);
        }
    }

    #[test]
    fn the_gold_results_are_what_the_text_says() {
        for report in generate(Split::Dev, 30, 3)
            .iter()
            .chain(&generate(Split::Test, 30, 3))
        {
            let mark = DecimalMark::detect(&report.text);
            for (r, s) in report
                .results
                .iter()
                .zip(report.spans.iter().filter(|s| s.label == "VALUE"))
            {
                let printed = crate::numbers::parse_number(&report.text[s.start..s.end], mark);
                assert_eq!(printed, Some(r.value), "{}", report.text);
                let unit = r.unit.as_deref().and_then(parse_unit);
                let found = resolve(&r.text, unit.as_ref()).map(|a| a.key);
                // Aliases shared by a count and its percentage resolve by unit.
                assert!(
                    found == Some(r.analyte) || r.unit.is_none(),
                    "{} resolves to {found:?}, not {}",
                    r.text,
                    r.analyte
                );
            }
        }
    }

    #[test]
    fn the_splits_use_different_layouts() {
        let layouts_of = |split| {
            generate(split, 60, 1)
                .iter()
                .map(|r| r.layout)
                .collect::<std::collections::BTreeSet<_>>()
        };
        let (train, dev, test) = (
            layouts_of(Split::Train),
            layouts_of(Split::Dev),
            layouts_of(Split::Test),
        );
        assert!(train.len() >= 5 && dev.len() == 2 && test.len() == 2);
        assert!(train.is_disjoint(&dev) && train.is_disjoint(&test) && dev.is_disjoint(&test));
    }

    #[test]
    fn iob_lines_follow_the_spans() {
        let report = &generate(Split::Train, 1, 11)[0];
        let iob = to_iob(report);
        let labelled = iob.lines().filter(|l| l.ends_with("-VALUE")).count();
        assert!(labelled >= report.results.len());
        assert!(iob.lines().any(|l| l.ends_with("\tB-BIOMARKER")));
        assert!(iob
            .lines()
            .all(|l| l.is_empty() || l.split('\t').count() == 2));
    }
}
