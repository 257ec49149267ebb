//! `bioscope labs` on a report the team wrote by hand in a layout the generator does not
//! produce (dotted leaders with bracketed ranges and trailing flags, a prose blood count, a
//! comment line), and `--score` on a generated corpus.

use bioscope_labs::synthetic::{write_corpus, Split};
use bioscope_tests::fixture;
use serde_json::Value;

fn bioscope(args: &[&str]) -> (bool, String, String) {
    bioscope_tests::run_binary(env!("CARGO_BIN_EXE_bioscope"), args)
}

/// P, R, F1 and gold count of the "all" row of `bioscope labs --score`.
fn all_row(out: &str) -> Vec<f64> {
    out.lines()
        .find(|l| l.starts_with("all "))
        .unwrap_or_else(|| panic!("no \"all\" row: {out}"))
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect()
}

#[test]
fn every_result_of_a_hand_written_report_with_si_value_range_and_flag() {
    let report = fixture("lab-reports/renal-clinic.txt");
    let (ok, out, err) = bioscope(&["labs", report.to_str().unwrap()]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    let results = doc["results"].as_array().unwrap();
    let got: Vec<(String, f64, String, String, String)> = results
        .iter()
        .map(|r| {
            (
                r["analyte"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
                r["unit"].as_str().unwrap_or("").to_string(),
                r["flag"].as_str().unwrap_or("").to_string(),
                r["range"]["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = [
        ("Sodium", 138.0, "mmol/L", "N", "report"),
        // A dropped decimal point (4.5): not hyperkalaemia.
        ("Potassium", 45.0, "mmol/L", "implausible", "report"),
        ("Urea", 9.8, "mmol/L", "H", "report"),
        ("Creatinine", 1.9, "mg/dL", "H", "report"),
        ("eGFR", 36.0, "mL/min/1.73m2", "L", "report"),
        ("Calcium", 2.31, "mmol/L", "N", "default"),
        ("Phosphate", 1.62, "mmol/L", "H", "report"),
        ("Hemoglobin", 108.0, "g/L", "L", "report"),
        ("White blood cells", 6.1, "x10^9/L", "N", "default"),
        ("Platelets", 212.0, "x10^9/L", "N", "default"),
        ("HbA1c", 7.2, "%", "H", "default"),
    ];
    let want: Vec<(String, f64, String, String, String)> = want
        .iter()
        .map(|(a, v, u, f, s)| {
            (
                a.to_string(),
                *v,
                u.to_string(),
                f.to_string(),
                s.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Creatinine 1.9 mg/dL is 168 µmol/L; HbA1c 7.2 % is 55 mmol/mol (IFCC).
    let si = |i: usize| results[i]["value_si"].as_f64().unwrap();
    assert!((si(3) - 167.96).abs() < 0.01, "{}", si(3));
    assert_eq!(results[3]["unit_si"], "µmol/L");
    assert!((si(10) - 55.19).abs() < 0.01, "{}", si(10));
    // The span points at the analyte as written.
    let text = std::fs::read_to_string(&report).unwrap();
    let span = &results[7]["span"];
    let (s, e) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "Haemoglobin");

    let (ok, table, _) = bioscope(&["labs", "--format", "table", report.to_str().unwrap()]);
    assert!(ok);
    assert!(
        table.contains("Potassium") && table.contains("implausible"),
        "{table}"
    );
    let (ok, csv, _) = bioscope(&["labs", "--format", "csv", report.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(csv.lines().count(), 1 + want.len(), "{csv}");
}

#[test]
fn unreadable_reports_are_named_and_the_rest_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("scan.bin");
    std::fs::write(&binary, b"\x00\x01PDF?").unwrap();
    let report = fixture("lab-reports/renal-clinic.txt");
    let (ok, out, err) = bioscope(&["labs", binary.to_str().unwrap(), report.to_str().unwrap()]);
    assert!(!ok, "a skipped file makes the command fail");
    assert!(err.contains("looks binary"), "{err}");
    assert!(out.contains("\"Potassium\""), "{out}");
}

#[test]
fn the_score_of_the_rule_reader_on_a_generated_corpus() {
    let dir = tempfile::tempdir().unwrap();
    write_corpus(dir.path(), &[(Split::Test, 40)], 9).unwrap();
    let corpus = dir.path().join("test.jsonl");
    let (ok, out, err) = bioscope(&["labs", "--score", corpus.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("40 reports"), "{out}");
    let words = out
        .lines()
        .find_map(|l| l.strip_prefix("words: accuracy "))
        .unwrap_or_else(|| panic!("no word-level line: {out}"));
    let accuracy: f64 = words.split_whitespace().next().unwrap().parse().unwrap();
    assert!(accuracy > 95.0 && accuracy <= 100.0, "{out}");
    let all = all_row(&out);
    assert!(all[2] >= 90.0, "result-level F1 {}: {out}", all[2]);

    std::fs::write(dir.path().join("bad.jsonl"), "{not json}\n").unwrap();
    let (ok, _, err) = bioscope(&[
        "labs",
        "--score",
        dir.path().join("bad.jsonl").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("bad.jsonl line 1"), "{err}");
}

/// The hand-written reports (eight layouts the generator does not produce: dotted leaders, a
/// patient portal with the value under the name, a ward-round note, a European table with
/// G/l and "+" flags, a discharge letter with values in its sentences, a pipe-delimited
/// laboratory export, a US outpatient panel whose units stand in the reference column, an ED
/// handover in shorthand) scored result by result against their gold file.
#[test]
fn the_hand_written_reports_are_read_result_by_result() {
    let gold = fixture("lab-reports/gold.jsonl");
    let (ok, out, err) = bioscope(&["labs", "--score", gold.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("8 reports"), "{out}");
    let all = all_row(&out);
    assert!(all[2] >= 90.0, "result-level F1 {}: {out}", all[2]);
    assert_eq!(all[3], 82.0, "gold results: {out}");
}

/// A one-page PDF with a text layer in Helvetica, lines set with `T*` (made here, so that the
/// test needs no PDF tool).
fn pdf_with_lines(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 50 750 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!("({line}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

#[test]
fn pdf_reports_are_read_through_their_text_layer_and_damaged_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(
        &pdf,
        pdf_with_lines(&[
            "CITY LAB - RESULTS",
            "Sodium        141   mmol/L   135-145",
            "Potassium     6.2   mmol/L   3.5-5.1   H",
        ]),
    )
    .unwrap();
    let (ok, out, err) = bioscope(&["labs", pdf.to_str().unwrap()]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{out}");
    assert_eq!(results[1]["analyte"], "Potassium");
    assert_eq!(results[1]["value"], 6.2);
    assert_eq!(results[1]["flag"], "H");

    let damaged = dir.path().join("damaged.pdf");
    std::fs::write(&damaged, b"%PDF-1.4\n1 0 obj << /Type /Catalog").unwrap();
    let (ok, out, err) = bioscope(&["labs", damaged.to_str().unwrap(), pdf.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("damaged.pdf"), "{err}");
    assert!(
        out.contains("\"Potassium\""),
        "the other file is still read: {out}"
    );
}

/// Strict span F1 of one label in `bioscope labs --score` output.
fn span_f1(out: &str, label: &str) -> f64 {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no {label} row: {out}"))
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap()
}

/// `--model`: a lab-value model (here the tiny encoder trained briefly on generated reports,
/// whose types are the lab labels, defined by the config) finds the spans instead of the rule
/// reader; a bundle that tags other types is refused with a reason.
#[test]
fn a_lab_value_model_finds_the_spans_and_a_manuscript_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("labs");
    write_corpus(&data, &[(Split::Train, 60)], 4).unwrap();
    let mut config = bioscope_tests::tiny_config();
    config.types = bioscope_labs::synthetic::LABELS
        .iter()
        .map(|l| l.to_string())
        .collect();
    config.train[0].path = data.join("train.tsv");
    config.max_len = 48;
    config.batch_tokens = 1024;
    let run = bioscope_tests::trained_run(&config, &dir.path().join("run"));
    let bundle = dir.path().join("bundle");
    bioscope_train::export::export_bundle(
        &run,
        &bundle,
        &bioscope_train::export::ExportOptions { int8: false },
    )
    .unwrap();
    let corpus = data.join("train.jsonl");
    let (ok, out, err) = bioscope(&[
        "labs",
        "--model",
        bundle.to_str().unwrap(),
        "--score",
        corpus.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("60 reports, model tiny"), "{out}");
    // Numbers are what even a tiny model learns first.
    assert!(span_f1(&out, "VALUE") > 50.0, "{out}");
    // Results are paired from the model's spans (about 59 result-level F1 at this size).
    assert!(all_row(&out)[2] > 30.0, "{out}");
    let report = fixture("lab-reports/renal-clinic.txt");
    let (ok, out, err) = bioscope(&[
        "labs",
        "--model",
        bundle.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(doc["results"].is_array(), "{out}");

    // The tiny model of genes and diseases is no lab-value model.
    let manuscript = dir.path().join("manuscript-bundle");
    let plain = bioscope_tests::trained_run(
        &bioscope_tests::tiny_config(),
        &dir.path().join("plain-run"),
    );
    bioscope_train::export::export_bundle(
        &plain,
        &manuscript,
        &bioscope_train::export::ExportOptions { int8: false },
    )
    .unwrap();
    let (ok, _, err) = bioscope(&[
        "labs",
        "--model",
        manuscript.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("is not a lab-value model: it tags Gene, Disease"),
        "{err}"
    );
}

/// The shipped lab-value model (`models/lab-values`, int8) reads the hand-written reports,
/// layouts its training never showed it, result by result; its spans go through the same
/// pairing and assessment as the rule reader's.
#[test]
fn the_shipped_lab_value_model_reads_the_hand_written_reports() {
    let model = bioscope_tests::repo_root().join("models/lab-values");
    let gold = fixture("lab-reports/gold.jsonl");
    let (ok, out, err) = bioscope(&[
        "labs",
        "--model",
        model.to_str().unwrap(),
        "--score",
        gold.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.starts_with("8 reports, model lab-values"), "{out}");
    let all = all_row(&out);
    assert_eq!(all[3], 82.0, "gold results: {out}");
    assert!(all[0] >= 95.0, "result-level precision {}: {out}", all[0]);
    assert!(all[2] >= 88.0, "result-level F1 {}: {out}", all[2]);

    let report = fixture("lab-reports/renal-clinic.txt");
    let (ok, out, err) = bioscope(&[
        "labs",
        "--model",
        model.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    let potassium = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["analyte"] == "Potassium")
        .unwrap_or_else(|| panic!("no potassium: {out}"));
    assert_eq!(potassium["value"], 45.0);
    assert_eq!(
        potassium["flag"], "implausible",
        "a dropped decimal point: {out}"
    );
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_command_without_a_panic() {
    // `bioscope labs --format table FILE | head -0`: the pipe is closed before the table is
    // written.
    let report = fixture("lab-reports/renal-clinic.txt");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bioscope"))
        .args(["labs", "--format", "table", report.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.status.success() || out.status.code() == Some(141),
        "{:?}: {err}",
        out.status
    );
}
