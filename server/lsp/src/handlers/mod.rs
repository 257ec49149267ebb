//! One module per group of LSP methods; each takes the shared state and plain parameters.
//! Offsets inside are UTF-8 bytes; positions are converted at the edges through the rope.

pub mod code_action;
pub mod command;
pub mod hover;
pub mod publish;
pub mod retrain;
pub mod semantic_tokens;
pub mod symbols;
pub mod sync;
pub mod uncertain;
