//! `bioscope eval --report FILE.html`: one self-contained HTML page about one evaluation: per-type
//! strict and overlap P/R/F1, the type confusion matrix, boundary errors by class, the units
//! with the most errors (gold and predicted mentions highlighted), and inline SVG plots of F1
//! per type and of precision against the model's confidence (calibration). No scripts, no
//! external files: it opens offline and can be attached to a report or an issue.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use bioscope_core::metrics::{overlap_scores, strict_scores, Counts, ScoredEntity};
use bioscope_core::EntityType;

/// What was evaluated, in byte offsets of each unit's text.
pub struct Evaluation {
    /// The heading: model, corpus, how it was tagged.
    pub title: String,
    /// Each unit's text (a sentence's words joined by spaces, or a document).
    pub units: Vec<String>,
    pub types: Vec<EntityType>,
    pub gold: Vec<ScoredEntity>,
    /// Predicted mentions with the model's confidence (the lowest of its words').
    pub predicted: Vec<(ScoredEntity, f32)>,
}

/// Units shown in "worst examples".
const WORST: usize = 12;
/// Characters of a unit shown at most (long documents are cut around their first error).
const SHOWN_CHARS: usize = 1200;
/// Confidence bins of the calibration plot.
const BINS: usize = 10;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn overlaps(a: &ScoredEntity, b: &ScoredEntity) -> bool {
    a.unit == b.unit && a.start < b.end && b.start < a.end
}

fn same_span(a: &ScoredEntity, b: &ScoredEntity) -> bool {
    a.unit == b.unit && a.start == b.start && a.end == b.end
}

/// How a gold mention fared against the predicted mentions of its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Boundary {
    Exact,
    /// One prediction covers it and more.
    TooLong,
    /// One prediction inside it.
    TooShort,
    /// One prediction overlapping it, neither inside the other.
    Shifted,
    /// Two or more predictions overlap it.
    Split,
    /// One prediction overlaps it and another gold mention.
    Merged,
    Missed,
}

impl Boundary {
    const ALL: [Boundary; 7] = [
        Boundary::Exact,
        Boundary::TooLong,
        Boundary::TooShort,
        Boundary::Shifted,
        Boundary::Split,
        Boundary::Merged,
        Boundary::Missed,
    ];

    fn label(self) -> &'static str {
        match self {
            Boundary::Exact => "exact",
            Boundary::TooLong => "too long",
            Boundary::TooShort => "too short",
            Boundary::Shifted => "shifted",
            Boundary::Split => "split",
            Boundary::Merged => "merged",
            Boundary::Missed => "missed",
        }
    }
}

/// The boundary class of `g` among the predictions `predicted` of its type.
pub fn boundary(g: &ScoredEntity, gold: &[ScoredEntity], predicted: &[ScoredEntity]) -> Boundary {
    let hits: Vec<&ScoredEntity> = predicted
        .iter()
        .filter(|p| p.entity_type == g.entity_type && overlaps(p, g))
        .collect();
    match hits.as_slice() {
        [] => Boundary::Missed,
        [p] if same_span(p, g) => Boundary::Exact,
        [p] => {
            let others = gold
                .iter()
                .filter(|o| o.entity_type == g.entity_type && !same_span(o, g) && overlaps(o, p))
                .count();
            if others > 0 {
                Boundary::Merged
            } else if p.start <= g.start && p.end >= g.end {
                Boundary::TooLong
            } else if p.start >= g.start && p.end <= g.end {
                Boundary::TooShort
            } else {
                Boundary::Shifted
            }
        }
        _ => Boundary::Split,
    }
}

/// Gold type (or none: a prediction on nothing) × predicted type (or none: missed), by overlap.
fn confusion(
    gold: &[ScoredEntity],
    predicted: &[ScoredEntity],
) -> BTreeMap<(Option<EntityType>, Option<EntityType>), usize> {
    let mut cells = BTreeMap::new();
    for g in gold {
        // The prediction overlapping it most.
        let best = predicted
            .iter()
            .filter(|p| overlaps(p, g))
            .max_by_key(|p| p.end.min(g.end) - p.start.max(g.start));
        *cells
            .entry((Some(g.entity_type), best.map(|p| p.entity_type)))
            .or_insert(0) += 1;
    }
    for p in predicted {
        if !gold.iter().any(|g| overlaps(g, p)) {
            *cells.entry((None, Some(p.entity_type))).or_insert(0) += 1;
        }
    }
    cells
}

fn pct(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}

fn scores_table(md: &mut String, e: &Evaluation, predicted: &[ScoredEntity]) {
    let strict = strict_scores(&e.gold, predicted);
    let overlap = overlap_scores(&e.gold, predicted);
    md.push_str(
        "<table id=\"per-type\"><thead><tr><th>type</th><th>gold</th><th>predicted</th>\
         <th>strict P</th><th>strict R</th><th>strict F1</th>\
         <th>overlap P</th><th>overlap R</th><th>overlap F1</th></tr></thead><tbody>\n",
    );
    let row = |md: &mut String, name: &str, s: &Counts, o: &Counts| {
        let _ = writeln!(
            md,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            s.tp + s.fn_,
            s.tp + s.fp,
            pct(s.precision()),
            pct(s.recall()),
            pct(s.f1()),
            pct(o.precision()),
            pct(o.recall()),
            pct(o.f1()),
        );
    };
    for t in &e.types {
        let zero = Counts::default();
        let s = strict.per_type.get(t).unwrap_or(&zero);
        let o = overlap.per_type.get(t).unwrap_or(&zero);
        row(md, t.name(), s, o);
    }
    if e.types.len() > 1 {
        row(md, "all", &strict.micro, &overlap.micro);
    }
    md.push_str("</tbody></table>\n");
}

/// Horizontal bars: strict and overlap F1 per type.
fn f1_plot(md: &mut String, e: &Evaluation, predicted: &[ScoredEntity]) {
    let strict = strict_scores(&e.gold, predicted);
    let overlap = overlap_scores(&e.gold, predicted);
    let (left, width, row_h) = (110.0, 420.0, 34.0);
    let height = 40.0 + row_h * e.types.len() as f64;
    let _ = writeln!(
        md,
        "<svg id=\"f1-plot\" role=\"img\" aria-label=\"F1 per type\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\">",
        left + width + 60.0,
        left + width + 60.0
    );
    for tick in 0..=5 {
        let x = left + width * tick as f64 / 5.0;
        let _ = writeln!(
            md,
            "<line x1=\"{x}\" y1=\"10\" x2=\"{x}\" y2=\"{}\" class=\"grid\"/>\
             <text x=\"{x}\" y=\"{}\" class=\"tick\">{}</text>",
            height - 22.0,
            height - 8.0,
            tick * 20
        );
    }
    for (i, t) in e.types.iter().enumerate() {
        let y = 12.0 + row_h * i as f64;
        let f = |c: Option<&Counts>| c.map_or(0.0, Counts::f1);
        let (s, o) = (f(strict.per_type.get(t)), f(overlap.per_type.get(t)));
        let _ = writeln!(
            md,
            "<text x=\"{}\" y=\"{}\" class=\"label\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"12\" class=\"overlap\"><title>overlap F1 {}</title></rect>\
             <rect x=\"{left}\" y=\"{}\" width=\"{:.1}\" height=\"12\" class=\"strict\"><title>strict F1 {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" class=\"value\">{}</text>",
            left - 8.0,
            y + 17.0,
            t.name(),
            width * o,
            pct(o),
            y + 13.0,
            width * s,
            pct(s),
            left + width * s.max(o) + 6.0,
            y + 17.0,
            pct(s)
        );
    }
    md.push_str(
        "</svg>\n<p class=\"legend\"><span class=\"key strict\"></span> strict F1 \
                 <span class=\"key overlap\"></span> overlap F1</p>\n",
    );
}

/// Precision of the predictions in each confidence bin, against the diagonal.
fn calibration_plot(md: &mut String, e: &Evaluation) {
    let mut bins = [(0usize, 0usize); BINS]; // (predictions, correct)
    for (p, confidence) in &e.predicted {
        let bin = ((*confidence as f64 * BINS as f64) as usize).min(BINS - 1);
        bins[bin].0 += 1;
        if e.gold
            .iter()
            .any(|g| g.entity_type == p.entity_type && same_span(g, p))
        {
            bins[bin].1 += 1;
        }
    }
    let (left, top, size) = (50.0, 10.0, 300.0);
    let _ = writeln!(
        md,
        "<svg id=\"calibration\" role=\"img\" aria-label=\"precision against confidence\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" class=\"frame\"/>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{top}\" class=\"diagonal\"/>",
        top + size,
        left + size,
        w = left + size + 20.0,
        h = top + size + 45.0,
    );
    for tick in 0..=5 {
        let v = tick as f64 / 5.0;
        let _ = writeln!(
            md,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\">{v:.1}</text>\
             <text x=\"{}\" y=\"{:.1}\" class=\"tick end\">{v:.1}</text>",
            left + size * v,
            top + size + 16.0,
            left - 6.0,
            top + size * (1.0 - v) + 4.0
        );
    }
    let _ = writeln!(
        md,
        "<text x=\"{}\" y=\"{}\" class=\"axis\">confidence</text>\
         <text x=\"12\" y=\"{}\" class=\"axis\" transform=\"rotate(-90 12 {})\">strict precision</text>",
        left + size / 2.0,
        top + size + 38.0,
        top + size / 2.0,
        top + size / 2.0
    );
    let total = e.predicted.len().max(1) as f64;
    let mut points = Vec::new();
    for (i, (n, correct)) in bins.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let x = left + size * (i as f64 + 0.5) / BINS as f64;
        let precision = *correct as f64 / *n as f64;
        let y = top + size * (1.0 - precision);
        let r = 3.0 + 9.0 * (*n as f64 / total).sqrt();
        points.push(format!("{x:.1},{y:.1}"));
        let _ = writeln!(
            md,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" class=\"bin\">\
             <title>confidence {:.1}-{:.1}: {n} predictions, precision {}</title></circle>",
            i as f64 / BINS as f64,
            (i + 1) as f64 / BINS as f64,
            pct(precision)
        );
    }
    if points.len() > 1 {
        let _ = writeln!(
            md,
            "<polyline points=\"{}\" class=\"curve\"/>",
            points.join(" ")
        );
    }
    md.push_str("</svg>\n");
}

/// A unit's text with mentions marked (`class` per mention), cut to [`SHOWN_CHARS`] around
/// `focus`.
fn marked(text: &str, mentions: &[(&ScoredEntity, &'static str)], focus: usize) -> String {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let from = floor(focus.saturating_sub(SHOWN_CHARS / 3));
    let to = floor(from + SHOWN_CHARS);
    let mut sorted: Vec<&(&ScoredEntity, &str)> = mentions
        .iter()
        .filter(|(m, _)| m.start >= from && m.end <= to)
        .collect();
    sorted.sort_by_key(|(m, _)| (m.start, std::cmp::Reverse(m.end)));
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = from;
    for (m, class) in sorted {
        if m.start < at {
            continue; // nested or overlapping: the first one is shown
        }
        out.push_str(&escape(&text[at..m.start]));
        let _ = write!(
            out,
            "<mark class=\"{class} t-{}\" title=\"{}\">{}</mark>",
            m.entity_type.name(),
            m.entity_type.name(),
            escape(&text[m.start..m.end])
        );
        at = m.end;
    }
    out.push_str(&escape(&text[at..to]));
    if to < text.len() {
        out.push('…');
    }
    out
}

/// The page.
pub fn render(e: &Evaluation) -> String {
    let predicted: Vec<ScoredEntity> = e.predicted.iter().map(|(p, _)| *p).collect();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>BioScope evaluation</title><style>{STYLE}</style></head><body>\
         <h1>BioScope evaluation</h1><pre class=\"title\">{}</pre>",
        escape(&e.title)
    );
    md.push_str("<h2>Scores per type</h2>\n<p>Strict: same span and type. Overlap: same type, overlapping span.</p>\n");
    scores_table(&mut md, e, &predicted);
    md.push_str("<div class=\"plots\"><figure><figcaption>F1 per type</figcaption>\n");
    f1_plot(&mut md, e, &predicted);
    md.push_str("</figure><figure><figcaption>Calibration: strict precision of the predictions in each confidence bin (circle area: share of predictions)</figcaption>\n");
    calibration_plot(&mut md, e);
    md.push_str("</figure></div>\n");

    md.push_str("<h2>Type confusion</h2>\n<p>Each gold mention against the prediction that overlaps it most (none: missed); predictions that overlap no gold mention in the last row.</p>\n<table id=\"confusion\"><thead><tr><th>gold \\ predicted</th>");
    let cells = confusion(&e.gold, &predicted);
    let mut columns: Vec<Option<EntityType>> = e.types.iter().copied().map(Some).collect();
    for (_, p) in cells.keys() {
        if !columns.contains(p) && p.is_some() {
            columns.push(*p);
        }
    }
    columns.push(None);
    let name = |t: &Option<EntityType>| t.map_or("none", |t| t.name());
    for c in &columns {
        let _ = write!(md, "<th>{}</th>", name(c));
    }
    md.push_str("</tr></thead><tbody>\n");
    let rows: Vec<Option<EntityType>> = e
        .types
        .iter()
        .copied()
        .map(Some)
        .chain(std::iter::once(None))
        .collect();
    for r in &rows {
        let _ = write!(md, "<tr><th>{}</th>", name(r));
        for c in &columns {
            let n = cells.get(&(*r, *c)).copied().unwrap_or(0);
            let class = if r.is_some() && r == c {
                " class=\"diag\""
            } else {
                ""
            };
            let _ = write!(
                md,
                "<td{class}>{}</td>",
                if n == 0 { String::new() } else { n.to_string() }
            );
        }
        md.push_str("</tr>\n");
    }
    md.push_str("</tbody></table>\n");

    md.push_str("<h2>Boundary errors</h2>\n<p>Each gold mention against the predictions of its type: exact; too long or too short (one prediction around or inside it); shifted (overlapping, neither inside the other); split (several predictions); merged (one prediction over it and another gold mention); missed.</p>\n<table id=\"boundaries\"><thead><tr><th>type</th>");
    for b in Boundary::ALL {
        let _ = write!(md, "<th>{}</th>", b.label());
    }
    md.push_str("</tr></thead><tbody>\n");
    for t in &e.types {
        let gold_t: Vec<ScoredEntity> = e
            .gold
            .iter()
            .filter(|g| g.entity_type == *t)
            .copied()
            .collect();
        let mut counts = BTreeMap::new();
        for g in &gold_t {
            *counts
                .entry(boundary(g, &e.gold, &predicted))
                .or_insert(0usize) += 1;
        }
        let _ = write!(md, "<tr><td>{}</td>", t.name());
        for b in Boundary::ALL {
            let _ = write!(md, "<td>{}</td>", counts.get(&b).copied().unwrap_or(0));
        }
        md.push_str("</tr>\n");
    }
    md.push_str("</tbody></table>\n");

    // The units with the most strict errors.
    let mut errors: BTreeMap<usize, usize> = BTreeMap::new();
    let gold_hit = |g: &ScoredEntity| {
        predicted
            .iter()
            .any(|p| p.entity_type == g.entity_type && same_span(p, g))
    };
    let pred_hit = |p: &ScoredEntity| {
        e.gold
            .iter()
            .any(|g| g.entity_type == p.entity_type && same_span(g, p))
    };
    for g in e.gold.iter().filter(|g| !gold_hit(g)) {
        *errors.entry(g.unit).or_insert(0) += 1;
    }
    for p in predicted.iter().filter(|p| !pred_hit(p)) {
        *errors.entry(p.unit).or_insert(0) += 1;
    }
    let mut worst: Vec<(usize, usize)> = errors.into_iter().collect();
    worst.sort_by_key(|&(unit, n)| (std::cmp::Reverse(n), unit));
    let _ = writeln!(
        md,
        "<h2>Worst examples</h2>\n<p>The {} units with the most strict errors. Gold mentions above, predictions below; \
         <mark class=\"miss\">a missed gold mention</mark> and <mark class=\"wrong\">a wrong prediction</mark> are outlined.</p>\n<div id=\"worst\">",
        worst.len().min(WORST)
    );
    for &(unit, n) in worst.iter().take(WORST) {
        let text = e.units.get(unit).map(String::as_str).unwrap_or("");
        let gold: Vec<(&ScoredEntity, &str)> = e
            .gold
            .iter()
            .filter(|g| g.unit == unit)
            .map(|g| (g, if gold_hit(g) { "gold" } else { "gold miss" }))
            .collect();
        let pred: Vec<(&ScoredEntity, &str)> = predicted
            .iter()
            .filter(|p| p.unit == unit)
            .map(|p| (p, if pred_hit(p) { "pred" } else { "pred wrong" }))
            .collect();
        let focus = gold
            .iter()
            .chain(&pred)
            .filter(|(_, c)| c.contains(' '))
            .map(|(m, _)| m.start)
            .min()
            .unwrap_or(0);
        let _ = writeln!(
            md,
            "<section class=\"example\"><h3>unit {} · {n} errors</h3>\
             <p class=\"row\"><span class=\"side\">gold</span>{}</p>\
             <p class=\"row\"><span class=\"side\">predicted</span>{}</p></section>",
            unit + 1,
            marked(text, &gold, focus),
            marked(text, &pred, focus)
        );
    }
    md.push_str("</div></body></html>\n");
    md
}

/// Writes the page to `path`.
pub fn write(path: &Path, e: &Evaluation) -> Result<()> {
    std::fs::write(path, render(e)).with_context(|| format!("cannot write {}", path.display()))
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
pre.title{background:#f6f6f6;padding:.6em;white-space:pre-wrap}\
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}td.diag{background:#e8f4e8;font-weight:600}\
.plots{display:flex;flex-wrap:wrap;gap:2em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.4em;max-width:380px}\
svg text{font-size:12px;fill:#333}svg .label{text-anchor:end}svg .tick{text-anchor:middle;fill:#777}svg .tick.end{text-anchor:end}\
svg .axis{text-anchor:middle;font-weight:600}svg .grid{stroke:#eee}svg .strict,.key.strict{fill:#3b6fb6;background:#3b6fb6}\
svg .overlap,.key.overlap{fill:#a9c4ea;background:#a9c4ea}svg .frame{fill:none;stroke:#bbb}svg .diagonal{stroke:#bbb;stroke-dasharray:4 3}\
svg .bin{fill:#3b6fb6;fill-opacity:.55;stroke:#1d3f73}svg .curve{fill:none;stroke:#1d3f73}\
.key{display:inline-block;width:1em;height:.8em;margin:0 .3em 0 1em}\
.example h3{font-size:1em;margin:1em 0 .2em;color:#555}.row{margin:.15em 0;line-height:1.9}.side{display:inline-block;width:6em;color:#777;font-size:.85em}\
mark{background:#eee;border-radius:3px;padding:0 2px}mark.t-Gene{background:#d6e6ff}mark.t-Disease{background:#ffd9d9}\
mark.t-Chemical{background:#d9f5d9}mark.t-Species{background:#f0dcff}mark.t-CellLine{background:#ffe6cc}\
mark.t-CellType{background:#d4f4f4}mark.t-Variant{background:#fff3c4}mark.miss,mark.wrong{outline:2px solid #c0392b}";

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::entity::built_in::*;

    fn m(start: usize, end: usize, t: EntityType) -> ScoredEntity {
        ScoredEntity {
            unit: 0,
            start,
            end,
            entity_type: t,
        }
    }

    #[test]
    fn boundary_errors_are_classified() {
        let gold = [
            m(0, 10, Disease),
            m(20, 30, Disease),
            m(32, 40, Disease),
            m(50, 60, Disease),
        ];
        let predicted = [
            m(0, 10, Disease),  // exact
            m(18, 40, Disease), // one prediction over two gold mentions: merged
            m(50, 54, Disease), // two predictions in one: split
            m(55, 60, Disease),
        ];
        let classes: Vec<Boundary> = gold
            .iter()
            .map(|g| boundary(g, &gold, &predicted))
            .collect();
        assert_eq!(
            classes,
            [
                Boundary::Exact,
                Boundary::Merged,
                Boundary::Merged,
                Boundary::Split
            ]
        );
        let g = [m(10, 20, Gene)];
        assert_eq!(boundary(&g[0], &g, &[m(8, 20, Gene)]), Boundary::TooLong);
        assert_eq!(boundary(&g[0], &g, &[m(12, 20, Gene)]), Boundary::TooShort);
        assert_eq!(boundary(&g[0], &g, &[m(15, 25, Gene)]), Boundary::Shifted);
        assert_eq!(boundary(&g[0], &g, &[m(10, 20, Disease)]), Boundary::Missed);
    }

    #[test]
    fn the_page_holds_the_tables_plots_and_marked_text() {
        let e = Evaluation {
            title: "model on <corpus>".into(),
            units: vec!["BRCA1 causes breast cancer.".into()],
            types: vec![Gene, Disease],
            gold: vec![m(0, 5, Gene), m(13, 26, Disease)],
            predicted: vec![(m(0, 5, Gene), 0.95), (m(20, 26, Disease), 0.4)],
        };
        let page = render(&e);
        for part in [
            "id=\"per-type\"",
            "id=\"confusion\"",
            "id=\"boundaries\"",
            "id=\"f1-plot\"",
            "id=\"calibration\"",
            "model on &lt;corpus&gt;",
            "<mark class=\"gold miss t-Disease\" title=\"Disease\">breast cancer</mark>",
            "<mark class=\"pred wrong t-Disease\" title=\"Disease\">cancer</mark>",
        ] {
            assert!(page.contains(part), "{part} missing");
        }
        // Strict: Gene 100, Disease 0; the confusion diagonal counts both by overlap.
        assert!(page.contains("<tr><td>Gene</td><td>1</td><td>1</td><td>100.00</td>"));
    }
}
