//! `bioscope._native`: the analysis pipeline of `bioscope tag` (model, mention rules, recall
//! recovery, abbreviation consistency, identifiers) for Python. The `bioscope` package
//! (`python/bioscope/__init__.py`) finds the default model, lexicon and ONNX Runtime library
//! and wraps [`Tagger`]; arguments are checked there and here, and every failure is a Python
//! exception (never an abort).

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use bioscope_analysis::{Analyzer, DocumentAnalysis, Request, SentencePasses};
use bioscope_core::segment::DocFormat;
use bioscope_core::EntityType;
use bioscope_lexicon::{DocumentContext, Normalizer};
use bioscope_tagger::{Device, Priority, Tagger as ModelTagger, TaggerOptions};

/// The longest text taken at once (a long thesis is under 1 MB of Markdown).
const MAX_TEXT_BYTES: usize = 16 << 20;

/// Sentences whose tags are kept for reuse (boilerplate repeated across documents runs once).
const CACHE_SENTENCES: usize = 4096;

/// A loaded model and lexicon; tags texts. Safe to share between threads: tagging releases
/// the GIL, and batches on one model run one at a time.
#[pyclass(frozen, module = "bioscope._native")]
struct Tagger {
    analyzer: Analyzer,
    model_name: String,
    device: String,
    device_note: Option<String>,
}

fn doc_format(format: &str) -> PyResult<DocFormat> {
    match format {
        "text" | "plain" => Ok(DocFormat::Plain),
        "markdown" | "md" => Ok(DocFormat::Markdown),
        "latex" | "tex" => Ok(DocFormat::Latex),
        other => Err(PyValueError::new_err(format!(
            "unknown format {other:?}: use \"text\", \"markdown\" or \"latex\""
        ))),
    }
}

/// One entity as Python reads it: character offsets into the text (not UTF-8 bytes).
struct Entity {
    start: usize,
    end: usize,
    text: String,
    entity_type: &'static str,
    score: f32,
    id: Option<String>,
    name: Option<String>,
}

impl Entity {
    fn into_dict(self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        d.set_item("start", self.start)?;
        d.set_item("end", self.end)?;
        d.set_item("text", self.text)?;
        d.set_item("type", self.entity_type)?;
        d.set_item("score", self.score)?;
        d.set_item("id", self.id)?;
        d.set_item("name", self.name)?;
        Ok(d.unbind())
    }
}

/// The entities of an analysis with character offsets and the best identifier of each.
fn entities(analysis: &DocumentAnalysis) -> Vec<Entity> {
    let text = analysis.text();
    // Character index of every byte offset that starts a character (and of the end).
    let mut char_at = vec![0usize; text.len() + 1];
    let mut count = 0;
    for (byte, _) in text.char_indices() {
        char_at[byte] = count;
        count += 1;
    }
    char_at[text.len()] = count;
    let concepts = analysis.concepts(analysis.entities());
    analysis
        .entities()
        .iter()
        .zip(concepts)
        .map(|(e, best)| Entity {
            start: char_at[e.start],
            end: char_at[e.end],
            text: analysis.mention(e).to_string(),
            entity_type: e.entity_type.name(),
            score: e.score,
            id: best.as_ref().map(|c| c.concept.annotation_id().to_string()),
            name: best.map(|c| c.concept.name),
        })
        .collect()
}

impl Tagger {
    fn analyze(&self, text: String, format: DocFormat) -> PyResult<Vec<Entity>> {
        let analysis = self
            .analyzer
            .analyze(text, format, Request::whole(Priority::Background));
        if let Some(problem) = analysis.warnings().first() {
            return Err(PyRuntimeError::new_err(format!(
                "tagging failed: {problem}"
            )));
        }
        Ok(entities(&analysis))
    }
}

#[pymethods]
impl Tagger {
    /// Loads the model bundle in `model` and the lexicon in `lexicon` (none: no identifiers,
    /// no recall recovery), with ONNX Runtime's library at `library`.
    #[new]
    #[pyo3(signature = (model, lexicon, library, threads, device))]
    fn new(
        model: PathBuf,
        lexicon: Option<PathBuf>,
        library: PathBuf,
        threads: usize,
        device: &str,
    ) -> PyResult<Self> {
        if threads == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
        }
        let device: Device = device.parse().map_err(PyValueError::new_err)?;
        if !model.join(bioscope_core::bundle::MANIFEST_FILE).is_file() {
            return Err(PyOSError::new_err(format!(
                "no model bundle in {} (a folder with manifest.json, model.onnx and tokenizer.json)",
                model.display()
            )));
        }
        let options = TaggerOptions {
            threads,
            library: Some(library),
            device,
            ..TaggerOptions::default()
        };
        let ranker_options = options.clone();
        let tagger = ModelTagger::load(&model, options).map_err(|e| {
            PyOSError::new_err(format!("cannot load model {}: {e}", model.display()))
        })?;
        let lexicon = match lexicon {
            Some(dir) => {
                let lexicon = bioscope_lexicon::open(&dir).map_err(|e| {
                    PyOSError::new_err(format!("cannot open lexicon {}: {e}", dir.display()))
                })?;
                // A name ranker that cannot be used is a warning: identifiers still come from
                // the lexicon's other stages.
                if dir.is_dir() {
                    if let Err(e) = bioscope_tagger::attach_ranker(&lexicon, &dir, &ranker_options)
                    {
                        Python::attach(|py| {
                            PyErr::warn(
                                py,
                                py.get_type::<pyo3::exceptions::PyUserWarning>().as_any(),
                                &std::ffi::CString::new(format!("the name ranker is off: {e}"))
                                    .unwrap_or_default(),
                                1,
                            )
                        })?;
                    }
                }
                Some(Arc::new(lexicon))
            }
            None => None,
        };
        let model_name = tagger.bundle.manifest.name.clone();
        let device = tagger.model().device().to_string();
        let device_note = tagger.model().device_note().map(str::to_string);
        let analyzer = Analyzer::new(Some(tagger), lexicon, CACHE_SENTENCES, SentencePasses::ALL);
        Ok(Tagger {
            analyzer,
            model_name,
            device,
            device_note,
        })
    }

    /// The entities of each text, in order: dicts with `start`, `end` (character offsets),
    /// `text`, `type`, `score`, `id` (the best identifier, e.g. `NCBIGene:7157`, or None)
    /// and `name`.
    #[pyo3(signature = (texts, format="text"))]
    fn tag(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        format: &str,
    ) -> PyResult<Vec<Vec<Py<PyDict>>>> {
        let format = doc_format(format)?;
        for (i, text) in texts.iter().enumerate() {
            if text.len() > MAX_TEXT_BYTES {
                return Err(PyValueError::new_err(format!(
                    "text {i} is {:.1} MB, more than the {} MB one text may have: split it \
                     (by section or paragraph)",
                    text.len() as f64 / 1e6,
                    MAX_TEXT_BYTES >> 20
                )));
            }
        }
        let found = py.detach(|| {
            texts
                .into_iter()
                .map(|text| self.analyze(text, format))
                .collect::<PyResult<Vec<_>>>()
        })?;
        found
            .into_iter()
            .map(|doc| doc.into_iter().map(|e| e.into_dict(py)).collect())
            .collect()
    }

    /// Up to `limit` concepts that `text` may name (as a mention of `entity_type`, or of any
    /// type), best first: dicts with `id`, `name`, `type`, `score`, `via` (how it matched)
    /// and `xrefs`. Empty without a lexicon.
    #[pyo3(signature = (text, entity_type=None, limit=5))]
    fn normalize(
        &self,
        py: Python<'_>,
        text: &str,
        entity_type: Option<&str>,
        limit: usize,
    ) -> PyResult<Vec<Py<PyDict>>> {
        let entity_type = entity_type
            .map(|t| {
                t.parse::<EntityType>()
                    .map_err(|e| PyValueError::new_err(e.to_string()))
            })
            .transpose()?;
        let Some(lexicon) = self.analyzer.lexicon() else {
            return Ok(Vec::new());
        };
        let candidates = py.detach(|| {
            Normalizer::new(lexicon).candidates(
                text,
                entity_type,
                &DocumentContext::default(),
                limit.max(1),
            )
        });
        candidates
            .into_iter()
            .map(|c| {
                let d = PyDict::new(py);
                d.set_item("id", c.concept.id.to_string())?;
                d.set_item("name", &c.concept.name)?;
                d.set_item("type", c.concept.entity_type.name())?;
                d.set_item("score", c.score)?;
                d.set_item("via", c.via.label())?;
                let xrefs: Vec<String> = c.concept.own_xrefs().map(|x| x.to_string()).collect();
                d.set_item("xrefs", xrefs)?;
                Ok(d.unbind())
            })
            .collect()
    }

    /// The model bundle's name.
    #[getter]
    fn model_name(&self) -> &str {
        &self.model_name
    }

    /// Where inference runs: "cpu" or "cuda".
    #[getter]
    fn device(&self) -> &str {
        &self.device
    }

    /// Why inference runs elsewhere than asked (CUDA unavailable), or None.
    #[getter]
    fn device_note(&self) -> Option<&str> {
        self.device_note.as_deref()
    }

    /// Whether identifiers are looked up (a lexicon is loaded).
    #[getter]
    fn has_lexicon(&self) -> bool {
        self.analyzer.lexicon().is_some()
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tagger>()?;
    Ok(())
}
