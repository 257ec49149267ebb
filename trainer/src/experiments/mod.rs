//! Experiment programs of `bioscope-train` (not part of the library): `finetune_bench`
//! (`bench-finetune`: simulated corrections from a dev split, time and F1 before and after a
//! fine-tune) and `loop_simulation` (`simulate-loop`: uncertainty-ordered against random review
//! of a held-out corpus, over several rounds of the learning loop).

pub mod finetune_bench;
pub mod loop_simulation;
