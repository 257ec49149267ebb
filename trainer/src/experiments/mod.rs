//! Experiment programs of `bioscope-train` (not part of the library): `finetune_bench`
//! (`bench-finetune`: simulated corrections from a dev split, time and F1 before and after a
//! fine-tune) and `loop_simulation` (`simulate-loop`: uncertainty-ordered against random review
//! of a held-out corpus, over several rounds of the learning loop) and `type_curve`
//! (`bench-new-type`: a type the model lacks, learned from K tagged mentions).

pub mod finetune_bench;
pub mod loop_simulation;
pub mod type_curve;
