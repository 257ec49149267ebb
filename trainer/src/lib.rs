//! bioscope-train: fine-tunes BERT + CRF token classifiers with candle and exports them as
//! BioScope model bundles (ONNX + tokenizer + manifest).
//!
//! `data` reads and encodes corpora, `bert`/`crf`/`model` define the network (`gelu` is its
//! activation, with a fused backward pass), `optim` and `train` fit it (`parallel` deals each
//! batch into one shard per core; `tensorboard` writes its dashboard events; `conventions`
//! picks and folds the decode convention of a corpus-aware run), `eval` scores it, `export`
//! writes the ONNX graph (fp32 or int8; `vocabulary` trims the word pieces of a narrow-domain model), `import` reads a bundle's graph back into a trainable
//! model, `ranker` trains the name ranker (a bi-encoder over the lexicon's synonyms), `finetune` retrains it from the user's corrections with a `replay` sample of the
//! training corpora. The experiment programs that measure the learning loop live in the binary
//! (`src/experiments/`), not in this library.

pub mod augment;
pub mod bert;
pub mod config;
pub mod conventions;
pub mod crf;
pub mod data;
pub mod eval;
pub mod export;
pub mod finetune;
pub mod gelu;
pub mod import;
pub mod label_growth;
pub mod model;
pub mod optim;
pub mod parallel;
pub mod ranker;
pub mod replay;
pub mod run;
pub mod tensorboard;
pub mod train;
pub mod vocabulary;
