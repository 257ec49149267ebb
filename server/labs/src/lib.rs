//! The lab-report profile's knowledge, independent of any model: which analyte a printed name
//! means ([`analytes`]), what a printed unit measures ([`units`]), how values and reference
//! ranges are written ([`numbers`]), and a result's SI value and flag ([`assess`]).
//!
//! The rule reader ([`reader`]) or a lab-value model (cut into lines by [`lines`]) finds
//! biomarker, value, unit, range and flag spans; this crate turns them into results.

pub mod analytes;
pub mod assess;
pub mod lines;
pub mod numbers;
pub mod reader;
pub mod results;
pub mod synthetic;
pub mod units;

pub use analytes::{resolve, Analyte, Interval, ANALYTES};
pub use assess::{assess, from_si, rounded, to_si, Assessment, Flag, RangeSource};
pub use numbers::{parse_range, parse_value, DecimalMark, Value};
pub use results::{pair, score, LabResult, ResultCounts};
pub use units::{parse_unit, Quantity, Unit};
