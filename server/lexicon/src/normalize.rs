//! Normalization: the ranked concepts a mention may name.
//!
//! Stages, first hit wins: an abbreviation defined in the document (its long form is
//! normalized instead), the exact key, spelling and wording variants ([`crate::variants`]),
//! the longest known prefix of a species or cell line name ("Streptococcus ratti ATCC 19645"),
//! a very similar annotated training mention ([`crate::nearest`]), the head of a longer
//! disease or chemical name (never a vague head such as "disease" alone), keys one edit away
//! (found with a Levenshtein automaton), and last a less similar annotated mention. Within a
//! stage, candidates are ranked by type, name kind, source priority, the document's organism
//! (from its species mentions; human by default) and taxonomic rank; a genus stands for the
//! one species of it that the document names. Every candidate is kept so that callers can
//! show the alternatives.

use std::ops::Range;

use bioscope_core::EntityType;

use crate::abbreviations::Abbreviations;
use crate::concept::{Concept, NameKind, Namespace, GENE_ORGANISMS};
use crate::context::DocumentContext;
use crate::key;
use crate::lexicon::{ConceptRef, Lexicon, Posting};
use crate::variants::{variants, VAGUE_HEADS};

/// NCBI Taxonomy id of humans: the organism assumed for genes unless the document says
/// otherwise.
pub use crate::concept::HUMAN;

/// How a candidate was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Abbreviation,
    Variant,
    Prefix,
    Head,
    Fuzzy,
    Similar,
    Orthologue,
    Outcome,
    Ranked,
}

impl MatchKind {
    fn weight(self) -> f32 {
        match self {
            MatchKind::Exact => 1.0,
            MatchKind::Abbreviation => 0.95,
            MatchKind::Variant => 0.9,
            MatchKind::Prefix => 0.75,
            MatchKind::Head => 0.72,
            MatchKind::Fuzzy => 0.7,
            MatchKind::Similar => 0.6,
            MatchKind::Orthologue => 0.98,
            MatchKind::Outcome => 0.75,
            MatchKind::Ranked => 0.65,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact name",
            MatchKind::Abbreviation => "abbreviation defined in this document",
            MatchKind::Variant => "spelling variant",
            MatchKind::Prefix => "longest known prefix",
            MatchKind::Head => "head of a longer name",
            MatchKind::Fuzzy => "approximate match",
            MatchKind::Similar => "similar to an annotated mention",
            MatchKind::Orthologue => "orthologue of the human gene of this name",
            MatchKind::Outcome => "the disease before an outcome (\"cancer death\")",
            MatchKind::Ranked => "nearest name by the trained ranker",
        }
    }
}

/// One ranked concept for a mention.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub reference: ConceptRef,
    pub concept: Concept,
    /// Ranking score in (0, 1]; higher is better.
    pub score: f32,
    pub via: MatchKind,
    /// The name that matched (the long form for abbreviations).
    pub matched: String,
    /// The cosine similarity of the mention and the concept's nearest name, for candidates
    /// the trained ranker found ([`MatchKind::Ranked`]).
    pub similarity: Option<f32>,
}

/// Types whose unmatched mentions take the concept of the most similar annotated mention.
const SIMILAR_TYPES: [EntityType; 3] = [
    EntityType::Disease,
    EntityType::Chemical,
    EntityType::Species,
];
/// The least trigram cosine similarity at which an annotated mention is taken as a match.
const MIN_SIMILARITY: f32 = 0.4;
/// The shortest mention (letters and digits) that is matched by similarity.
const MIN_SIMILAR_CHARS: usize = 5;
/// The similarity at which an annotated mention is preferred to the head of a longer name.
const CLOSE_SIMILARITY: f32 = 0.7;
/// The least cosine similarity at which the trained ranker's nearest name is taken (chosen on
/// the dev splits; below it the mention stays unresolved rather than take a far concept).
pub const MIN_RANKER_SIMILARITY: f32 = 0.7;
/// The trained ranker's nearest concepts that are weighed against each other.
const RANKER_CANDIDATES: usize = 8;
/// Added to the similarity of a ranker's candidate that annotators of a training split used
/// ([`Lexicon::annotators_named`]): among near ties ("blood loss": Hemorrhage or Blood Loss,
/// Surgical), the concept the corpora's conventions file mentions under. Chosen on the dev
/// splits (0.03–0.04 flat; 0.02 and 0.1 worse).
const ANNOTATED_PRIOR: f32 = 0.04;

/// One lookup: the document's context and the organism the mention's genes are taken from.
struct Query<'c> {
    context: &'c DocumentContext,
    organism: u32,
}

/// Heads that name an outcome of the words before them, not a disease ("cancer death").
const OUTCOME_HEADS: [&str; 3] = ["death", "deaths", "mortality"];

/// Ranks concepts for mentions against one lexicon.
pub struct Normalizer<'a> {
    lexicon: &'a Lexicon,
    min_ranker_similarity: f32,
    ranker: bool,
}

impl<'a> Normalizer<'a> {
    pub fn new(lexicon: &'a Lexicon) -> Self {
        Normalizer {
            lexicon,
            min_ranker_similarity: MIN_RANKER_SIMILARITY,
            ranker: true,
        }
    }

    /// Leaves the trained ranker out: for questions of whether the lexicon names a mention at
    /// all, which a nearest name does not answer.
    pub fn without_ranker(mut self) -> Self {
        self.ranker = false;
        self
    }

    /// The least similarity at which the trained ranker's nearest name is taken (default
    /// [`MIN_RANKER_SIMILARITY`]): `bioscope eval --normalization --ranker-threshold` tries
    /// others on a development split.
    pub fn with_min_ranker_similarity(mut self, similarity: f32) -> Self {
        self.min_ranker_similarity = similarity;
        self
    }

    /// A document's context: its abbreviations, the genera its species mentions spell out, and
    /// its organism, the taxon its species mentions name most often ("mice" in a mouse study);
    /// human when no species is named or human is among the most frequent.
    pub fn context<'m>(
        &self,
        abbreviations: Abbreviations,
        species_mentions: impl IntoIterator<Item = &'m str>,
    ) -> DocumentContext {
        let mentions: Vec<(&str, Option<Range<usize>>)> =
            species_mentions.into_iter().map(|m| (m, None)).collect();
        self.context_of(abbreviations, &mentions, Vec::new())
    }

    /// [`context`](Self::context) for a document whose species and gene mentions' positions
    /// are known (byte ranges into `text`): gene mentions then also take the organism named
    /// nearest in their sentence or most in their paragraph, and the document's organism is
    /// its focus where it discusses genes ([`DocumentContext::gene_organism_of`]).
    pub fn context_in(
        &self,
        text: &str,
        abbreviations: Abbreviations,
        species_mentions: impl IntoIterator<Item = Range<usize>>,
        gene_mentions: impl IntoIterator<Item = Range<usize>>,
    ) -> DocumentContext {
        let mentions: Vec<(&str, Option<Range<usize>>)> = species_mentions
            .into_iter()
            .filter_map(|r| Some((text.get(r.clone())?, Some(r))))
            .collect();
        let mut context = self.context_of(
            abbreviations,
            &mentions,
            DocumentContext::sentences_of(text),
        );
        context.paragraphs = DocumentContext::paragraphs_of(text);
        let genes: Vec<Range<usize>> = gene_mentions.into_iter().collect();
        if let Some(focus) = context.gene_focus(&genes) {
            context.organism = focus;
        }
        context
    }

    fn context_of(
        &self,
        abbreviations: Abbreviations,
        species_mentions: &[(&str, Option<Range<usize>>)],
        sentences: Vec<Range<usize>>,
    ) -> DocumentContext {
        let mut context =
            DocumentContext::new(abbreviations, species_mentions.iter().map(|(m, _)| *m));
        context.sentences = sentences;
        let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
        for (mention, at) in species_mentions {
            let Some(best) = self
                .best(mention, Some(EntityType::Species), &context)
                .filter(|c| c.concept.id.namespace == Namespace::NcbiTaxon)
            else {
                continue;
            };
            let Ok(taxon) = best.concept.id.local.parse::<u32>() else {
                continue;
            };
            *counts.entry(taxon).or_default() += 1;
            if let Some(at) = at {
                if GENE_ORGANISMS.iter().any(|(t, _)| *t == taxon) {
                    context.organisms_at.push((at.clone(), taxon));
                }
            }
            if !above_species(&best.concept) {
                let name = best.concept.name.trim().to_string();
                if !context.species.contains(&(name.clone(), taxon)) {
                    context.species.push((name, taxon));
                }
            }
        }
        context.organisms_at.sort_by_key(|(r, _)| (r.start, r.end));
        context.organism = crate::context::top_organism(&counts);
        context
    }

    /// The best candidate, if any.
    pub fn best(
        &self,
        mention: &str,
        entity_type: Option<EntityType>,
        context: &DocumentContext,
    ) -> Option<Candidate> {
        self.candidates(mention, entity_type, context, 1)
            .into_iter()
            .next()
    }

    /// Up to `limit` candidates, best first.
    pub fn candidates(
        &self,
        mention: &str,
        entity_type: Option<EntityType>,
        context: &DocumentContext,
        limit: usize,
    ) -> Vec<Candidate> {
        self.candidates_at(mention, None, entity_type, context, limit)
    }

    /// [`candidates`](Self::candidates) for a mention at byte range `at` of the document
    /// (genes then take the organism named nearest in their sentence).
    pub fn candidates_at(
        &self,
        mention: &str,
        at: Option<Range<usize>>,
        entity_type: Option<EntityType>,
        context: &DocumentContext,
        limit: usize,
    ) -> Vec<Candidate> {
        // Only genes have organisms: other types skip the per-mention cues.
        let organism = match entity_type {
            None | Some(EntityType::Gene) => context.gene_organism_of(mention, at).taxon,
            Some(_) => HUMAN,
        };
        let query = &Query { context, organism };
        let mention = mention.trim();
        if let Some(long) = query.context.abbreviations.expand(mention) {
            let found = self.lookup_stages(long, entity_type, query, limit, true);
            if !found.is_empty() {
                return found
                    .into_iter()
                    .map(|c| Candidate {
                        score: c.score * MatchKind::Abbreviation.weight(),
                        via: MatchKind::Abbreviation,
                        matched: long.to_string(),
                        ..c
                    })
                    .collect();
            }
        }
        let found = self.lookup_stages(mention, entity_type, query, limit, true);
        let found = self
            .species_of_genus(mention, &found, query, limit)
            .unwrap_or(found);
        self.with_orthologue(found, query, limit)
    }

    /// One concept per part of a composite mention ("breast and ovarian cancer" → Breast
    /// Neoplasms, Ovarian Neoplasms; [`crate::composite`]), when the mention as a whole is not
    /// a name (its best match is neither exact nor a defined abbreviation) and every part is a
    /// name of the type, as written or as a spelling variant. `None` otherwise.
    pub fn composite_at(
        &self,
        mention: &str,
        at: Option<Range<usize>>,
        entity_type: EntityType,
        context: &DocumentContext,
    ) -> Option<Vec<Candidate>> {
        let parts = crate::composite::parts(mention)?;
        let whole = self.candidates_at(mention, at.clone(), Some(entity_type), context, 1);
        if whole
            .first()
            .is_some_and(|c| matches!(c.via, MatchKind::Exact | MatchKind::Abbreviation))
        {
            return None;
        }
        let organism = context.gene_organism_of(mention, at).taxon;
        let query = &Query { context, organism };
        parts
            .iter()
            .map(|part| {
                let found = self.lookup_stages(part, Some(entity_type), query, 1, false);
                let found = self.with_orthologue(found, query, 1);
                found
                    .into_iter()
                    .next()
                    .filter(|c| matches!(c.via, MatchKind::Exact | MatchKind::Variant))
                    .map(|c| Candidate {
                        matched: part.clone(),
                        ..c
                    })
            })
            .collect()
    }

    /// A human gene found for a mention of a mouse or rat gene (a full name or alias that
    /// MGI/RGD do not list) gives way to its orthologue in that organism, as HGNC maps it
    /// ("androgen receptor" in a mouse study → MGI Ar); the human gene stays next.
    fn with_orthologue(
        &self,
        mut found: Vec<Candidate>,
        query: &Query,
        limit: usize,
    ) -> Vec<Candidate> {
        let Some(best) = found.first() else {
            return found;
        };
        if query.organism == HUMAN || best.concept.species != Some(HUMAN) {
            return found;
        }
        let Some(xref) = best
            .concept
            .xrefs
            .iter()
            .find(|x| x.namespace.implied_species() == Some(query.organism))
        else {
            return found;
        };
        // Orthologues share the symbol but for its case ("AR" and "Ar").
        let orthologue = self
            .lexicon
            .postings(&key::key(&best.concept.name))
            .into_iter()
            .filter_map(|p| Some((p.concept, self.lexicon.concept(p.concept)?)))
            .find(|(_, concept)| {
                concept.species == Some(query.organism)
                    && (concept.id == *xref || concept.xrefs.contains(xref))
            });
        if let Some((reference, concept)) = orthologue {
            let (score, matched) = (best.score, best.concept.name.clone());
            found.retain(|c| c.reference != reference);
            let candidate = Candidate {
                reference,
                concept,
                score: score * MatchKind::Orthologue.weight(),
                via: MatchKind::Orthologue,
                matched,
                similarity: None,
            };
            found.insert(0, candidate);
            found.truncate(limit.max(1));
        }
        found
    }

    /// A genus named in a document that names exactly one species of it stands for that
    /// species ("Bdellovibrio" after "Bdellovibrio bacteriovorus HD100").
    fn species_of_genus(
        &self,
        mention: &str,
        found: &[Candidate],
        query: &Query,
        limit: usize,
    ) -> Option<Vec<Candidate>> {
        let genus = found.first().filter(|c| above_species(&c.concept))?;
        let prefix = format!("{} ", genus.concept.name.trim()).to_lowercase();
        let mut species = query
            .context
            .species
            .iter()
            .filter(|(name, _)| name.to_lowercase().starts_with(&prefix));
        let (name, taxon) = species.next()?;
        if species.any(|(_, other)| other != taxon) {
            return None;
        }
        let keys = [(key::key(name), MatchKind::Variant)];
        let narrowed: Vec<Candidate> = self
            .rank(mention, &keys, Some(EntityType::Species), query, limit)
            .into_iter()
            .filter(|c| c.concept.id.local == taxon.to_string())
            .collect();
        (!narrowed.is_empty()).then_some(narrowed)
    }

    fn lookup_stages(
        &self,
        mention: &str,
        entity_type: Option<EntityType>,
        query: &Query,
        limit: usize,
        fuzzy: bool,
    ) -> Vec<Candidate> {
        let words = key::words(mention);
        if words.is_empty() {
            return Vec::new();
        }
        // "cancer death": the disease is what the outcome follows, unless the whole is a name
        // ("sudden cardiac death").
        if entity_type == Some(EntityType::Disease)
            && words.len() > 1
            && OUTCOME_HEADS.contains(&words[words.len() - 1].as_str())
        {
            let found = self.rank(
                mention,
                &[(words.concat(), MatchKind::Exact)],
                entity_type,
                query,
                limit,
            );
            if !found.is_empty() {
                return found;
            }
            if let Some((disease, _)) = mention.trim_end().rsplit_once(char::is_whitespace) {
                return self
                    .lookup_stages(disease, entity_type, query, limit, fuzzy)
                    .into_iter()
                    .map(|c| Candidate {
                        score: c.score * MatchKind::Outcome.weight(),
                        via: MatchKind::Outcome,
                        ..c
                    })
                    .collect();
            }
        }
        let exact = (words.concat(), MatchKind::Exact);
        let variants: Vec<(String, MatchKind)> =
            variants(mention, &words, entity_type, query.context)
                .into_iter()
                .map(|k| (k, MatchKind::Variant))
                .collect();
        if entity_type == Some(EntityType::Species) {
            // Species rank exact names and variants together, so that a species' plural common
            // name ("humans") can beat a genus that lists the plural itself.
            let mut keys = vec![exact];
            keys.extend(variants);
            let found = self.rank(mention, &keys, entity_type, query, limit);
            if !found.is_empty() {
                return found;
            }
        } else {
            let found = self.rank(mention, &[exact], entity_type, query, limit);
            if !found.is_empty() {
                return found;
            }
            let found = self.rank(mention, &variants, entity_type, query, limit);
            if !found.is_empty() {
                return found;
            }
        }
        if entity_type == Some(EntityType::Species) || entity_type == Some(EntityType::CellLine) {
            for end in (1..words.len()).rev() {
                let found = self.rank(
                    mention,
                    &[(words[..end].concat(), MatchKind::Prefix)],
                    entity_type,
                    query,
                    limit,
                );
                if !found.is_empty() {
                    return found;
                }
            }
        }
        if !fuzzy {
            return Vec::new();
        }
        // The trained ranker, for the types it covers, decides what exact and variant matching
        // left open.
        let ranked = self.ranked(mention, entity_type, query, limit);
        if !ranked.is_empty() {
            return ranked;
        }
        if matches!(
            entity_type,
            Some(EntityType::Disease) | Some(EntityType::Chemical)
        ) {
            // A close annotated wording says more than a shorter name.
            let found = self.similar(mention, entity_type, query, limit, CLOSE_SIMILARITY);
            if !found.is_empty() {
                return found;
            }
            // The head of a longer name ("levodopa-induced dyskinesia" → "dyskinesia"): the
            // shortest suffix of at least one word that the lexicon knows, preferring longer.
            for start in 1..words.len() {
                // A vague head alone ("disease" of "adenovirus disease") names nothing, and an
                // outcome ("cancer death") is not the disease it follows.
                let last = start + 1 == words.len();
                if last
                    && (VAGUE_HEADS.contains(&words[start].as_str())
                        || OUTCOME_HEADS.contains(&words[start].as_str()))
                {
                    break;
                }
                let found = self.rank(
                    mention,
                    &[(words[start..].concat(), MatchKind::Head)],
                    entity_type,
                    query,
                    limit,
                );
                if !found.is_empty() {
                    return found;
                }
            }
        }
        let key = words.concat();
        // One edit, in names long enough that one edit rarely makes another word
        // ("nephrotoxicity" is two edits from "neurotoxicity" and must not match it).
        if key.chars().count() >= 7 {
            let mut keys: Vec<(String, MatchKind)> = self
                .lexicon
                .fuzzy(&key, 1, 64)
                .into_iter()
                .map(|(k, _)| (k, MatchKind::Fuzzy))
                .collect();
            // Nearer keys first: the ranking keeps the order of equal scores.
            keys.sort_by_key(|(k, _)| edit_distance(k, &key));
            let found = self.rank(mention, &keys, entity_type, query, limit);
            if !found.is_empty() {
                return found;
            }
        }
        self.similar(mention, entity_type, query, limit, MIN_SIMILARITY)
    }

    /// The concept of the annotated training mention most similar to `mention`, for types
    /// whose annotators' wordings carry over ([`crate::nearest`]).
    fn similar(
        &self,
        mention: &str,
        entity_type: Option<EntityType>,
        query: &Query,
        limit: usize,
        min_similarity: f32,
    ) -> Vec<Candidate> {
        let Some(entity_type) = entity_type.filter(|t| SIMILAR_TYPES.contains(t)) else {
            return Vec::new();
        };
        // Short mentions share too few trigrams for their similarity to mean anything.
        let own_key = key::key(mention);
        if own_key.chars().count() < MIN_SIMILAR_CHARS {
            return Vec::new();
        }
        if self.known_as_other_type(&own_key, entity_type) {
            return Vec::new();
        }
        let Some((neighbour, _)) =
            self.lexicon
                .nearest_annotated(mention, entity_type, min_similarity)
        else {
            return Vec::new();
        };
        let keys = [(key::key(&neighbour), MatchKind::Similar)];
        self.rank(mention, &keys, Some(entity_type), query, limit)
            .into_iter()
            .map(|c| Candidate {
                matched: neighbour.clone(),
                ..c
            })
            .collect()
    }

    /// A name the lexicon knows as another type ("Mycoplasma", a genus, tagged as a disease)
    /// is not a wording of this type's names: no similar mention or name stands for it.
    fn known_as_other_type(&self, own_key: &str, entity_type: EntityType) -> bool {
        self.lexicon.postings(own_key).into_iter().any(|p| {
            self.lexicon
                .entity_type(p.concept)
                .is_some_and(|t| t != entity_type)
        })
    }

    /// The concepts whose names the trained ranker ([`crate::ranker`]) finds nearest to the
    /// mention, when a ranker for the type is attached and its nearest name is at least
    /// [`MIN_RANKER_SIMILARITY`] similar; the score carries the similarity, raised by
    /// [`ANNOTATED_PRIOR`] for a concept the training splits' annotators used.
    fn ranked(
        &self,
        mention: &str,
        entity_type: Option<EntityType>,
        query: &Query,
        limit: usize,
    ) -> Vec<Candidate> {
        let (Some(ranker), Some(entity_type)) =
            (self.lexicon.ranker().filter(|_| self.ranker), entity_type)
        else {
            return Vec::new();
        };
        if !ranker.covers(entity_type) || self.known_as_other_type(&key::key(mention), entity_type)
        {
            return Vec::new();
        }
        let found: Vec<Candidate> = ranker
            .nearest(mention, entity_type, limit.max(RANKER_CANDIDATES))
            .into_iter()
            .filter(|(_, similarity)| *similarity >= self.min_ranker_similarity)
            .filter_map(|(reference, similarity)| {
                let mut concept = self.lexicon.concept(reference)?;
                if concept.name.is_empty() {
                    concept.name = mention.to_string();
                }
                let prior = if self.lexicon.annotators_named(reference) {
                    ANNOTATED_PRIOR
                } else {
                    0.0
                };
                let score = MatchKind::Ranked.weight()
                    * (similarity + prior)
                    * source_weight(&concept)
                    * organism_weight(&concept, query);
                Some(Candidate {
                    reference,
                    matched: concept.name.clone(),
                    concept,
                    score,
                    via: MatchKind::Ranked,
                    similarity: Some(similarity),
                })
            })
            .collect();
        best_first(found, limit)
    }

    /// Candidates for the keys, best first; each concept once, with its best score.
    fn rank(
        &self,
        written: &str,
        keys: &[(String, MatchKind)],
        entity_type: Option<EntityType>,
        query: &Query,
        limit: usize,
    ) -> Vec<Candidate> {
        let mut found: Vec<Candidate> = Vec::new();
        for (rank, (key, via)) in keys.iter().enumerate() {
            for Posting { concept, kind, .. } in self.lexicon.postings(key) {
                if found.iter().any(|c| c.reference == concept) {
                    continue;
                }
                // The type first: it is read without opening the record.
                if entity_type.is_some_and(|t| self.lexicon.entity_type(concept) != Some(t)) {
                    continue;
                }
                let Some(mut record) = self.lexicon.concept(concept) else {
                    continue;
                };
                if record.name.is_empty() {
                    // A packed concept's only name is the one looked up: show it as written.
                    record.name = written.to_string();
                }
                let score = via.weight()
                    * kind_weight(kind)
                    * source_weight(&record)
                    * organism_weight(&record, query)
                    * rank_weight(&record)
                    * (1.0 - 0.01 * rank.min(20) as f32);
                found.push(Candidate {
                    reference: concept,
                    concept: record,
                    score,
                    via: *via,
                    matched: key.clone(),
                    similarity: None,
                });
            }
        }
        best_first(found, limit)
    }
}

/// The best `limit` (at least one) candidates, best score first; equal scores in concept order,
/// so that answers do not depend on the order candidates were found in.
fn best_first(mut found: Vec<Candidate>, limit: usize) -> Vec<Candidate> {
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.reference.cmp(&b.reference))
    });
    found.truncate(limit.max(1));
    found
}

/// Name kinds weigh less than sources: an entry term of a MeSH heading beats a disease
/// ontology's preferred name for the same words.
fn kind_weight(kind: NameKind) -> f32 {
    match kind {
        NameKind::Annotated => 1.02,
        NameKind::Preferred => 1.0,
        NameKind::Synonym => 0.99,
        NameKind::Weak => 0.95,
    }
}

/// Source priority: the identifier systems that curated corpora and PubTator use come first.
fn source_weight(concept: &Concept) -> f32 {
    match concept.id.namespace {
        Namespace::Mesh
        | Namespace::NcbiGene
        | Namespace::NcbiTaxon
        | Namespace::Cellosaurus
        | Namespace::Mgi
        | Namespace::Rgd => 1.0,
        Namespace::CellOntology | Namespace::Omim | Namespace::Hgnc => 0.97,
        Namespace::FamPlex | Namespace::Mondo => 0.96,
        Namespace::Doid | Namespace::Umls => 0.95,
        // Below a MeSH chemical's weakest name: corpora and PubTator index chemicals by MeSH.
        Namespace::Chebi => 0.94,
        Namespace::DrugBank => 0.935,
        Namespace::UniProt => 0.94,
    }
}

/// Taxa named by one word (genera and higher ranks) rank below species: "mice" and
/// "humans" in text mean Mus musculus and Homo sapiens more often than the genus.
fn rank_weight(concept: &Concept) -> f32 {
    if above_species(concept) {
        0.8
    } else {
        1.0
    }
}

/// Whether a taxon is a genus or higher rank: named by one word, or "Genus sp.".
fn above_species(concept: &Concept) -> bool {
    let name = concept.name.trim();
    concept.entity_type == EntityType::Species && (!name.contains(' ') || name.ends_with(" sp."))
}

/// Genes of the mention's organism (human by default) rank above other organisms' genes.
fn organism_weight(concept: &Concept, query: &Query) -> f32 {
    match concept.species {
        None => 1.0,
        Some(species) if species == query.organism => 1.0,
        Some(_) => 0.9,
    }
}

/// Levenshtein distance in characters (small keys only: used to order fuzzy matches).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::concept::ConceptId;

    /// A ranker that answers every mention with the same concepts and similarities.
    struct ScriptedRanker(Vec<(ConceptRef, f32)>);

    impl crate::lexicon::NameRanker for ScriptedRanker {
        fn covers(&self, entity_type: EntityType) -> bool {
            entity_type == EntityType::Disease
        }

        fn nearest(&self, _: &str, _: EntityType, limit: usize) -> Vec<(ConceptRef, f32)> {
            self.0.iter().take(limit).copied().collect()
        }

        fn summary(&self) -> String {
            "scripted".into()
        }
    }

    /// Hemorrhage (which annotators used: "bleeding") and Blood Loss, Surgical (which they
    /// did not), each concept's reference, and the lexicon with `ranker` attached.
    fn bleeding_lexicon(
        ranker: impl Fn(ConceptRef, ConceptRef) -> Vec<(ConceptRef, f32)>,
    ) -> Lexicon {
        let mut builder = crate::LexiconBuilder::new();
        let hemorrhage = builder.concept(
            ConceptId::new(Namespace::Mesh, "D006470"),
            EntityType::Disease,
            "Hemorrhage",
        );
        builder.name(hemorrhage, "bleeding", NameKind::Annotated);
        builder.annotated_mention(EntityType::Disease, "bleeding");
        builder.concept(
            ConceptId::new(Namespace::Mesh, "D016063"),
            EntityType::Disease,
            "Blood Loss, Surgical",
        );
        let lexicon = Lexicon::from_bytes(builder.finish().0).unwrap();
        let refer = |name: &str| lexicon.postings(&key::key(name))[0].concept;
        let script = ranker(refer("hemorrhage"), refer("blood loss, surgical"));
        lexicon.attach_ranker(Box::new(ScriptedRanker(script)));
        lexicon
    }

    fn best_id(lexicon: &Lexicon, mention: &str) -> Option<(String, Option<f32>)> {
        Normalizer::new(lexicon)
            .best(
                mention,
                Some(EntityType::Disease),
                &DocumentContext::default(),
            )
            .map(|c| (c.concept.id.to_string(), c.similarity))
    }

    #[test]
    fn among_near_ties_the_ranker_prefers_the_concept_annotators_used() {
        // 0.78 + the prior beats 0.80: the corpora file blood loss under Hemorrhage.
        let lexicon =
            bleeding_lexicon(|hemorrhage, surgical| vec![(surgical, 0.80), (hemorrhage, 0.78)]);
        assert_eq!(
            best_id(&lexicon, "massive exsanguination"),
            Some(("MESH:D006470".into(), Some(0.78)))
        );
        // Whether the lexicon names a mention is asked without the ranker.
        let plain = Normalizer::new(&lexicon).without_ranker().best(
            "massive exsanguination",
            Some(EntityType::Disease),
            &DocumentContext::default(),
        );
        assert!(plain.is_none(), "{plain:?}");
        // A clearly nearer name still wins.
        let lexicon =
            bleeding_lexicon(|hemorrhage, surgical| vec![(surgical, 0.90), (hemorrhage, 0.78)]);
        assert_eq!(
            best_id(&lexicon, "massive exsanguination"),
            Some(("MESH:D016063".into(), Some(0.90)))
        );
        // The prior never lifts a name above the threshold.
        let lexicon = bleeding_lexicon(|hemorrhage, _| vec![(hemorrhage, 0.68)]);
        assert_eq!(best_id(&lexicon, "massive exsanguination"), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
