//! textDocument/hover: what the model says about the mention under the cursor, the concepts
//! the lexicon normalizes it to (identifiers as links, cross-references, synonyms, the
//! alternatives when it is ambiguous), and the long form when it is an abbreviation.

use std::fmt::Write as _;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use bioscope_lexicon::normalize::Candidate;

use crate::position::{to_byte, to_range};
use crate::state::State;

pub async fn hover(state: &State, params: HoverParams) -> Result<Option<Hover>> {
    let uri = params.text_document_position_params.text_document.uri;
    let pos = params.text_document_position_params.position;
    let Some(analysis) = state.current_analysis(&uri).await else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let Some(byte) = to_byte(&analysis.rope, pos, encoding) else {
        return Ok(None);
    };
    let settings = state.settings();
    let document = &analysis.document;
    let Some(entity) = document.entities().iter().find(|e| {
        e.start <= byte && byte < e.end && settings.enabled_types.contains(&e.entity_type)
    }) else {
        return Ok(None);
    };
    let text = document.mention(entity);
    let engine = state.engine();
    let mut md = format!(
        "**{}** `{}`\n\nconfidence {:.2}",
        entity.entity_type.name(),
        text.replace('`', "'"),
        entity.score
    );
    if entity.score < settings.confidence_threshold {
        md.push_str(" (uncertain: below the threshold)");
    }
    if let Some(model) = engine.model_name() {
        let _ = write!(md, " · model `{model}`");
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
            concepts_markdown(&mut md, &candidates);
        }
        None => {
            if let Some(problem) = engine.lexicon_problem() {
                let _ = write!(md, "\n\n_no identifiers: {problem}_");
            }
        }
    }
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(to_range(&analysis.rope, entity.start..entity.end, encoding)),
    }))
}

/// Concepts shown per hover: the best and up to three alternatives.
const HOVER_CANDIDATES: usize = 4;
const HOVER_SYNONYMS: usize = 3;

/// Appends the best concept (name, identifier link, cross-references, synonyms) and the
/// alternatives that rank close to it.
fn concepts_markdown(md: &mut String, candidates: &[Candidate]) {
    let Some(best) = candidates.first() else {
        md.push_str("\n\nno matching concept in the lexicon");
        return;
    };
    let link = |id: &bioscope_lexicon::ConceptId| format!("[{id}]({})", id.url());
    let concept = &best.concept;
    let _ = write!(
        md,
        "\n\n---\n\n**{}** · {} {}",
        concept.name.replace('*', ""),
        concept.id.namespace.label(),
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
                best.matched.replace(['*', '_', '"'], "")
            );
        }
        via => {
            let _ = write!(md, " _({})_", via.label());
        }
    }
    if !concept.xrefs.is_empty() {
        let refs: Vec<String> = concept
            .xrefs
            .iter()
            .map(|x| format!("{} {}", x.namespace.label(), link(x)))
            .collect();
        let _ = write!(md, "\n\n{}", refs.join(" · "));
    }
    if !concept.synonyms.is_empty() {
        let shown: Vec<&str> = concept
            .synonyms
            .iter()
            .take(HOVER_SYNONYMS)
            .map(String::as_str)
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
    // Alternatives within 5% of the best: the name is ambiguous, say so.
    let close: Vec<&Candidate> = candidates[1..]
        .iter()
        .filter(|c| c.score >= best.score * 0.95)
        .collect();
    if !close.is_empty() {
        md.push_str("\n\nambiguous; also:");
        for c in close {
            let _ = write!(
                md,
                "\n- {} · {}",
                c.concept.name.replace('*', ""),
                link(&c.concept.id)
            );
        }
    }
}
