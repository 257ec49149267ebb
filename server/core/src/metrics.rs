//! Entity-level precision, recall and F1: strict (same span and type) and partial overlap.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::decode::tag_runs;
use crate::entity::{EntityType, Tag};

/// An entity in some unit (a sentence or document, by index) with `[start, end)` in the unit's positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScoredEntity {
    pub unit: usize,
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
}

/// The entities of tagged units (sentences), for scoring.
pub fn entities_of(units: &[Vec<Tag>]) -> Vec<ScoredEntity> {
    units
        .iter()
        .enumerate()
        .flat_map(|(unit, tags)| {
            tag_runs(tags.iter().copied())
                .into_iter()
                .map(move |r| ScoredEntity {
                    unit,
                    start: r.start,
                    end: r.end,
                    entity_type: r.entity_type,
                })
        })
        .collect()
}

/// Keeps the entities of `types`: a corpus that does not annotate a type cannot score
/// predictions of it, so they are left out rather than counted as false positives.
pub fn restrict_to(mut entities: Vec<ScoredEntity>, types: &[EntityType]) -> Vec<ScoredEntity> {
    entities.retain(|e| types.contains(&e.entity_type));
    entities
}

/// The types that occur among `entities`, in type order.
pub fn types_of(entities: &[ScoredEntity]) -> Vec<EntityType> {
    let mut types: Vec<EntityType> = entities.iter().map(|e| e.entity_type).collect();
    types.sort();
    types.dedup();
    types
}

/// True-positive, false-positive and false-negative counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
    fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores per entity type and micro-averaged over all types.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntityScores {
    pub per_type: BTreeMap<EntityType, Counts>,
    pub micro: Counts,
}

impl fmt::Display for EntityScores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6}",
            "type", "P", "R", "F1", "tp", "fp", "fn"
        )?;
        let rows = self.per_type.iter().map(|(t, c)| (t.name(), c));
        for (name, c) in rows.chain(std::iter::once(("all", &self.micro))) {
            writeln!(
                f,
                "{:<10} {:>7.2} {:>7.2} {:>7.2} {:>6} {:>6} {:>6}",
                name,
                100.0 * c.precision(),
                100.0 * c.recall(),
                100.0 * c.f1(),
                c.tp,
                c.fp,
                c.fn_
            )?;
        }
        Ok(())
    }
}

/// Strict match: a prediction counts when a gold entity has the same unit, span and type.
pub fn strict_scores(gold: &[ScoredEntity], predicted: &[ScoredEntity]) -> EntityScores {
    let gold_set: HashSet<&ScoredEntity> = gold.iter().collect();
    let pred_set: HashSet<&ScoredEntity> = predicted.iter().collect();
    tally(
        gold_set
            .iter()
            .map(|g| (g.entity_type, pred_set.contains(g))),
        pred_set
            .iter()
            .map(|p| (p.entity_type, gold_set.contains(p))),
    )
}

/// Partial match: a prediction counts when it overlaps a gold entity of the same type in the same unit.
pub fn overlap_scores(gold: &[ScoredEntity], predicted: &[ScoredEntity]) -> EntityScores {
    let overlaps = |a: &ScoredEntity, b: &ScoredEntity| {
        a.unit == b.unit && a.entity_type == b.entity_type && a.start < b.end && b.start < a.end
    };
    tally(
        gold.iter()
            .map(|g| (g.entity_type, predicted.iter().any(|p| overlaps(g, p)))),
        predicted
            .iter()
            .map(|p| (p.entity_type, gold.iter().any(|g| overlaps(g, p)))),
    )
}

/// Gold entities found count toward recall; predictions matched count toward precision.
fn tally(
    gold_found: impl Iterator<Item = (EntityType, bool)>,
    pred_matched: impl Iterator<Item = (EntityType, bool)>,
) -> EntityScores {
    let mut per_type: BTreeMap<EntityType, Counts> = BTreeMap::new();
    for (t, found) in gold_found {
        let c = per_type.entry(t).or_default();
        if found {
            c.tp += 1;
        } else {
            c.fn_ += 1;
        }
    }
    for (t, matched) in pred_matched {
        if !matched {
            per_type.entry(t).or_default().fp += 1;
        }
    }
    let mut micro = Counts::default();
    for c in per_type.values() {
        micro.add(*c);
    }
    EntityScores { per_type, micro }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(unit: usize, start: usize, end: usize, t: EntityType) -> ScoredEntity {
        ScoredEntity {
            unit,
            start,
            end,
            entity_type: t,
        }
    }

    #[test]
    fn strict_counts_span_and_type() {
        let g = EntityType::Gene;
        let d = EntityType::Disease;
        let gold = [e(0, 0, 2, g), e(0, 5, 6, d), e(1, 0, 1, g)];
        let pred = [e(0, 0, 2, g), e(0, 5, 7, d), e(1, 0, 1, d)];
        let s = strict_scores(&gold, &pred);
        assert_eq!(
            s.micro,
            Counts {
                tp: 1,
                fp: 2,
                fn_: 2
            }
        );
        assert_eq!(
            s.per_type[&g],
            Counts {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert!((s.micro.f1() - 2.0 / 6.0).abs() < 1e-12);
        let o = overlap_scores(&gold, &pred);
        assert_eq!(
            o.per_type[&d],
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
    }

    #[test]
    fn empty_inputs_score_zero_not_nan() {
        let s = strict_scores(&[], &[]);
        assert_eq!(s.micro.f1(), 0.0);
    }
}
