//! textDocument/hover: what the model says about the mention under the cursor, the concept
//! the lexicon normalizes it to (its name, its organism and why, one identifier per namespace
//! with the rest counted, a few synonyms, the other organism's gene and the close
//! alternatives when it is ambiguous), and the long form when it is an abbreviation. Lines are
//! short, so that narrow hover windows do not wrap inside identifiers. In a lab report, the
//! result under the cursor (`crate::labs`).

use std::fmt::Write as _;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use bioscope_core::EntityType;
use bioscope_lexicon::concept::GENE_ORGANISMS;
use bioscope_lexicon::normalize::Candidate;
use bioscope_lexicon::{ConceptId, DocumentContext, GeneOrganism};

use crate::labs;
use crate::position::{to_byte, to_range};
use crate::state::State;

pub async fn hover(state: &State, params: HoverParams) -> Result<Option<Hover>> {
    let uri = params.text_document_position_params.text_document.uri;
    let pos = params.text_document_position_params.position;
    if let Some((rope, reading)) = labs::current_reading(state, &uri) {
        let encoding = state.encoding();
        let Some(result) = to_byte(&rope, pos, encoding).and_then(|b| reading.result_at(b)) else {
            return Ok(None);
        };
        return Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: labs::hover_markdown(result),
            }),
            range: Some(to_range(&rope, result.span.0..result.end, encoding)),
        }));
    }
    let Some(analysis) = state.current_analysis(&uri).await else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let Some(byte) = to_byte(&analysis.rope, pos, encoding) else {
        return Ok(None);
    };
    let settings = state.settings();
    let document = &analysis.document;
    let Some(entity) = document
        .entities()
        .iter()
        .find(|e| e.start <= byte && byte < e.end && settings.shows(e.entity_type))
    else {
        return Ok(None);
    };
    let text = document.mention(entity);
    let engine = state.engine();
    let hover = |md: String| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(to_range(&analysis.rope, entity.start..entity.end, encoding)),
    };
    let mut md = format!(
        "**{}** `{}` · ",
        entity.entity_type.name(),
        text.replace('`', "'"),
    );
    if entity.corrected {
        md.push_str("corrected by you");
    } else {
        let _ = write!(md, "confidence {:.2}", entity.score);
        if entity.score < settings.confidence_threshold {
            md.push_str(" (uncertain: below the threshold)");
        }
    }
    if let Some(model) = engine.model_name() {
        let _ = write!(md, " · model `{model}`");
    }
    if let Some(custom) = settings.custom(entity.entity_type) {
        // A type of the user's own: the lexicon holds no names of it.
        if !custom.description.is_empty() {
            let _ = write!(md, "\n\n{}", custom.description.replace('*', ""));
        }
        md.push_str("\n\n_a type of your own (bioscope.customTypes): no identifiers_");
        return Ok(Some(hover(md)));
    }
    let long_form = document.abbreviations().expand(text);
    if let Some(long) = long_form {
        let _ = write!(md, "\n\nabbreviation of *{}*", long.replace('*', ""));
    }
    match engine.lexicon() {
        Some(_) => {
            let candidates = document.candidates(
                entity.start..entity.end,
                entity.entity_type,
                HOVER_CANDIDATES,
            );
            let context = document.context().cloned().unwrap_or_default();
            let organism = context.gene_organism_of(text, Some(entity.start..entity.end));
            match document.composite(entity) {
                Some(parts) => composite_markdown(&mut md, &parts),
                None if candidates.is_empty() => {
                    // No concept of this type: say so, and name another type the lexicon
                    // knows the words as ("Mycoplasma" tagged as a disease is a species).
                    let other = engine.lexicon().and_then(|lexicon| {
                        bioscope_lexicon::Normalizer::new(lexicon)
                            .best(text, None, &context)
                            .filter(|c| c.concept.entity_type != entity.entity_type)
                    });
                    no_match_markdown(
                        &mut md,
                        other.map(|c| (c.concept.entity_type, c.concept.id)),
                    );
                }
                None => concepts_markdown(&mut md, &candidates, &context, organism),
            }
        }
        None => {
            if let Some(problem) = engine.lexicon_problem() {
                let _ = write!(md, "\n\n_no identifiers: {problem}_");
            }
        }
    }
    Ok(Some(hover(md)))
}

/// Candidates looked at per hover: enough to find the gene of another organism.
const HOVER_CANDIDATES: usize = 12;
/// Close alternatives listed when the name is ambiguous.
const HOVER_ALTERNATIVES: usize = 3;
const HOVER_SYNONYMS: usize = 3;

fn link(id: &ConceptId) -> String {
    format!("[{id}]({})", id.url())
}

fn plain(text: &str) -> String {
    text.replace(['*', '_', '`'], "")
}

/// Appends one line per part of a composite mention ("breast and ovarian cancer").
fn composite_markdown(md: &mut String, parts: &[Candidate]) {
    md.push_str("\n\n---\n\ncomposite mention, one concept per part:");
    for part in parts {
        let _ = write!(
            md,
            "\n- {}: **{}** · {}",
            plain(&part.matched),
            plain(&part.concept.name),
            link(&part.concept.id)
        );
    }
}

/// Appends that no concept of the mention's type is a confident match (an abstention, not a
/// guess), and the type and identifier the lexicon knows the words as, if any.
fn no_match_markdown(md: &mut String, other: Option<(EntityType, ConceptId)>) {
    md.push_str("\n\nno confident match of this type in the lexicon");
    if let Some((entity_type, id)) = other {
        let _ = write!(
            md,
            "; the lexicon knows these words as a **{}** ({}): retype the mention if that is \
             what it is",
            entity_type.name(),
            link(&id)
        );
    }
}

/// Appends the best concept and what the reader needs to judge it.
fn concepts_markdown(
    md: &mut String,
    candidates: &[Candidate],
    context: &DocumentContext,
    organism: GeneOrganism,
) {
    let Some(best) = candidates.first() else {
        no_match_markdown(md, None);
        return;
    };
    let concept = &best.concept;
    let _ = write!(
        md,
        "\n\n---\n\n**{}** · {}",
        plain(&concept.name),
        link(&concept.id)
    );
    match best.via {
        bioscope_lexicon::MatchKind::Exact => {}
        // Say which annotated mention it resembles, so the reader can judge the match.
        bioscope_lexicon::MatchKind::Similar => {
            let _ = write!(
                md,
                " _({} \"{}\")_",
                best.via.label(),
                plain(&best.matched).replace('"', "")
            );
        }
        // The ranker's similarity tells the reader how far the nearest name is.
        bioscope_lexicon::MatchKind::Ranked => {
            let _ = write!(
                md,
                " _({}, similarity {:.2})_",
                best.via.label(),
                best.similarity.unwrap_or(0.0)
            );
        }
        via => {
            let _ = write!(md, " _({})_", via.label());
        }
    }
    if let Some(species) = concept.species {
        let why = if species == organism.taxon {
            context.organism_reason(organism).to_string()
        } else {
            format!(
                "no {} gene has this name",
                context.organism_name(organism.taxon)
            )
        };
        let _ = write!(md, "\n\n{} gene: {why}", context.organism_name(species));
    }
    let xrefs: Vec<&ConceptId> = concept.own_xrefs().collect();
    for line in identifier_lines(&concept.id, &xrefs) {
        let _ = write!(md, "\n- {line}");
    }
    if !concept.synonyms.is_empty() {
        let shown: Vec<String> = concept
            .synonyms
            .iter()
            .take(HOVER_SYNONYMS)
            .map(|s| plain(s))
            .collect();
        let _ = write!(md, "\n\nalso: {}", shown.join("; "));
        if concept.synonym_count as usize > shown.len() {
            let _ = write!(
                md,
                " (+{} more)",
                concept.synonym_count as usize - shown.len()
            );
        }
    }
    // The same name in another organism, for a reader whose organism the ranking missed: one
    // the document names first, else the first of human, mouse, rat.
    let other = concept.species.and_then(|species| {
        let others: Vec<&Candidate> = candidates[1..]
            .iter()
            .filter(|c| c.concept.species.is_some_and(|s| s != species))
            .collect();
        let named = |c: &&&Candidate| {
            context
                .species
                .iter()
                .any(|(_, t)| Some(*t) == c.concept.species)
        };
        let rank = |c: &&&Candidate| {
            GENE_ORGANISMS
                .iter()
                .position(|(t, _)| Some(*t) == c.concept.species)
                .unwrap_or(GENE_ORGANISMS.len())
        };
        others
            .iter()
            .find(named)
            .or_else(|| others.iter().min_by_key(rank))
            .copied()
    });
    if let Some(other) = other {
        let species = other.concept.species.unwrap_or_default();
        let _ = write!(
            md,
            "\n\nother organism: {} · {} · {}",
            context.organism_name(species),
            plain(&other.concept.name),
            link(&other.concept.id)
        );
    }
    // Alternatives within 5% of the best: the name is ambiguous, say so.
    let close: Vec<&Candidate> = candidates[1..]
        .iter()
        .filter(|c| c.score >= best.score * 0.95)
        .filter(|c| other.is_none_or(|o| o.concept.id != c.concept.id))
        .take(HOVER_ALTERNATIVES)
        .collect();
    if !close.is_empty() {
        md.push_str("\n\nambiguous; also:");
        for c in close {
            let _ = write!(
                md,
                "\n- {} · {}",
                plain(&c.concept.name),
                link(&c.concept.id)
            );
        }
    }
}

/// One line per namespace of the cross-references (the concept's own identifier left out):
/// its first identifier as a link, and how many more there are; namespaces with one
/// identifier first.
fn identifier_lines(own: &ConceptId, xrefs: &[&ConceptId]) -> Vec<String> {
    let mut groups: Vec<(&ConceptId, usize)> = Vec::new();
    for x in xrefs.iter().copied().filter(|x| *x != own) {
        match groups
            .iter_mut()
            .find(|(first, _)| first.namespace == x.namespace)
        {
            // The shortest identifier leads (UniProt's reviewed P04637 before A0A087WT22).
            Some((first, more)) => {
                *more += 1;
                if x.local.len() < first.local.len() {
                    *first = x;
                }
            }
            None => groups.push((x, 0)),
        }
    }
    groups.sort_by_key(|(_, more)| *more);
    groups
        .into_iter()
        .map(|(first, more)| match more {
            0 => link(first),
            n => format!("{} (+{n} more)", link(first)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_lexicon::concept::Namespace;

    #[test]
    fn an_abstention_says_so_and_names_the_type_the_words_have() {
        let mut alone = String::new();
        no_match_markdown(&mut alone, None);
        assert!(alone.contains("no confident match"), "{alone}");
        let mut other = String::new();
        let mycoplasma = ConceptId::new(Namespace::NcbiTaxon, "2093");
        no_match_markdown(&mut other, Some((EntityType::Species, mycoplasma)));
        assert!(
            other.contains("**Species**") && other.contains("2093") && other.contains("retype"),
            "{other}"
        );
    }

    #[test]
    fn one_line_per_namespace_with_the_rest_counted_and_no_repeated_labels() {
        let own = ConceptId::new(Namespace::NcbiGene, "7157");
        let mut xrefs = vec![own.clone(), ConceptId::new(Namespace::Hgnc, "11998")];
        xrefs.extend((0..13).map(|i| ConceptId::new(Namespace::Omim, format!("1914{i:02}"))));
        xrefs.extend((0..7).map(|i| ConceptId::new(Namespace::UniProt, format!("P0463{i}"))));
        let xrefs: Vec<&ConceptId> = xrefs.iter().collect();
        let lines = identifier_lines(&own, &xrefs);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("[HGNC:11998]("), "{lines:?}");
        assert!(lines[1].ends_with("(+6 more)"), "{lines:?}");
        assert!(lines[2].starts_with("[OMIM:191400](") && lines[2].ends_with("(+12 more)"));
        assert!(lines.iter().all(|l| !l.contains("OMIM OMIM")));
    }
}
