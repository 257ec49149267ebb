//! Building lexicons from source fixtures: deterministic bytes, the expected concepts and
//! normalizations, the UMLS loader, damaged files refused; and the shipped lexicon rebuilt from
//! ../shared matches what is committed.

use std::path::{Path, PathBuf};

use bioscope_core::EntityType;
use bioscope_lexicon::DocumentContext;
use bioscope_lexicon::{
    Abbreviations, LexiconError, MatchKind, Namespace, Normalizer, Scope, SourceOptions,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/lexicon-sources")
}

fn build(options: &SourceOptions) -> (tempfile::TempDir, bioscope_lexicon::LexiconManifest) {
    let out = tempfile::tempdir().unwrap();
    let manifest = bioscope_lexicon::build(&fixtures(), options, out.path()).unwrap();
    (out, manifest)
}

/// A lexicon built from the fixtures with `options`, and the folder that holds it.
fn built(options: &SourceOptions) -> (tempfile::TempDir, bioscope_lexicon::Lexicon) {
    let (dir, _) = build(options);
    let lexicon = bioscope_lexicon::open(dir.path()).unwrap();
    (dir, lexicon)
}

fn compact() -> SourceOptions {
    SourceOptions {
        scope: Scope::Compact,
        umls: None,
        corpora: None,
    }
}

#[test]
fn the_build_is_deterministic() {
    let (a, manifest_a) = build(&compact());
    let (b, manifest_b) = build(&compact());
    let bytes_a = std::fs::read(a.path().join(bioscope_lexicon::LEXICON_FILE)).unwrap();
    let bytes_b = std::fs::read(b.path().join(bioscope_lexicon::LEXICON_FILE)).unwrap();
    assert!(bytes_a == bytes_b, "two builds of the same sources differ");
    assert_eq!(manifest_a, manifest_b);
    assert_eq!(manifest_a.sha256, bioscope_core::hash::sha256_hex(&bytes_a));
    assert!(manifest_a.stats.concepts > 100, "{:?}", manifest_a.stats);
}

#[test]
fn fixture_concepts_normalize_with_identifiers_and_cross_references() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    let best = |text: &str, t: EntityType| {
        normalizer
            .best(text, Some(t), &none)
            .unwrap_or_else(|| panic!("no concept for {text}"))
    };

    let brca1 = best("BRCA1", EntityType::Gene);
    assert_eq!(brca1.concept.id.to_string(), "NCBIGene:672");
    assert_eq!(brca1.concept.id_in(Namespace::Hgnc).unwrap().local, "1100");
    let swissprot = bioscope_lexicon::ConceptId::new(Namespace::UniProt, "P38398");
    assert!(
        brca1.concept.xrefs.contains(&swissprot),
        "{:?}",
        brca1.concept.xrefs
    );
    assert_eq!(brca1.concept.species, Some(9606));
    // A trailing "gene" and a leading organism word are variants, not part of the name.
    assert_eq!(
        best("human BRCA1 gene", EntityType::Gene).concept.id,
        brca1.concept.id
    );
    // Greek letters and hyphens fold: TNF-α is TNF.
    assert_eq!(
        best("TNF-α", EntityType::Gene).concept.id.to_string(),
        "NCBIGene:7124"
    );

    let breast = best("breast neoplasms", EntityType::Disease);
    assert_eq!(breast.concept.id.to_string(), "MESH:D001943");
    // The variant dictionary's misaligned id column is not trusted.
    assert_eq!(
        best("breast cancers", EntityType::Disease)
            .concept
            .id
            .to_string(),
        "MESH:D001943"
    );

    let human = best("patients", EntityType::Species);
    assert_eq!(human.concept.id.to_string(), "NCBITaxon:9606");
    assert_eq!(
        best("mice", EntityType::Species).concept.id.to_string(),
        "NCBITaxon:10090"
    );
    let hela = best("HeLa", EntityType::CellLine);
    assert_eq!(hela.concept.id.to_string(), "CVCL_0030");
    assert_eq!(hela.concept.id.pubtator(), "CVCL_0030");
    assert_eq!(
        best("nerve cell", EntityType::CellType)
            .concept
            .id
            .to_string(),
        "CL:0000540"
    );
    // Type decides: a gene name is not a disease.
    assert!(normalizer
        .best("BRCA1", Some(EntityType::Disease), &none)
        .is_none());
    // One typo away still finds the concept.
    assert_eq!(
        best("famotadine", EntityType::Chemical)
            .concept
            .id
            .to_string(),
        "MESH:D015738"
    );
}

#[test]
fn a_long_systematic_chemical_name_is_shown_not_looked_up_in_a_compact_lexicon() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    let key = bioscope_lexicon::key::key;
    // C041692's name is shown; its short synonym finds it.
    let long = "2-(3,6-bis(dimethylamino)-10-acridinyl)ethyl-(2,3-di-O-palmitoylglycero)phosphate";
    let found = normalizer
        .best("DPPAO", Some(EntityType::Chemical), &none)
        .expect("the short synonym is a key");
    assert_eq!(found.concept.id.to_string(), "MESH:C041692");
    assert_eq!(found.concept.name, long);
    assert!(lexicon.postings(&key(long)).is_empty());
    // C011407 has no shorter name: it is not in the compact lexicon at all.
    let no_short_name = "acetaminophen, caffeine, carisoprodol, diclofenac drug combination";
    assert!(lexicon.postings(&key(no_short_name)).is_empty());
    // A rare disease keeps its long name.
    let disease = "Diabetes Mellitus, Permanent Neonatal, With Neurologic Features";
    assert_eq!(lexicon.postings(&key(disease)).len(), 1);
    // The full scope looks both chemicals up.
    let (_dir, full) = built(&SourceOptions {
        scope: Scope::Full,
        ..compact()
    });
    for name in [long, no_short_name] {
        assert_eq!(full.postings(&key(name)).len(), 1, "{name}");
    }
}

#[test]
fn recent_mesh_descriptors_salts_and_vague_heads_meet_the_headings_corpora_use() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    let best = |text: &str, t: EntityType| normalizer.best(text, Some(t), &none).unwrap();
    // A descriptor new in MeSH 2023 is filed under its established parent.
    let cystitis = best("haemorrhagic cystitis", EntityType::Disease);
    assert_eq!(cystitis.concept.id.to_string(), "MESH:D000096722");
    assert_eq!(
        cystitis.concept.broader.unwrap().to_string(),
        "MESH:D003556"
    );
    // MeSH indexes the base drug under its salt.
    let sildenafil = best("sildenafil", EntityType::Chemical);
    assert_eq!(sildenafil.concept.id.to_string(), "MESH:D000068677");
    // An organ adjective and a vague head: the organ's diseases, not the bare head.
    let renal = best("renal impairment", EntityType::Disease);
    assert_eq!(renal.concept.id.to_string(), "MESH:D007674");
}

#[test]
fn annotated_training_mentions_carry_organisms_and_wordings() {
    let options = SourceOptions {
        corpora: Some(repo().join("tests/fixtures/lexicon-corpora")),
        ..compact()
    };
    let (dir, manifest) = build(&options);
    assert!(manifest.annotated_corpora);
    let lexicon = bioscope_lexicon::open(dir.path()).unwrap();
    let normalizer = Normalizer::new(&lexicon);
    let gene = |species: &[&str]| {
        let context = normalizer.context(Abbreviations::default(), species.iter().copied());
        let best = normalizer.best("FOXP3", Some(EntityType::Gene), &context);
        best.unwrap().concept.id.to_string()
    };
    // The mouse gene id annotated in a mouse study wins only in a document about mice.
    assert_eq!(gene(&["mice", "mice", "patients"]), "NCBIGene:20371");
    assert_eq!(gene(&["patients", "mice"]), "NCBIGene:50943");
    assert_eq!(gene(&[]), "NCBIGene:50943");
    // A gene id that only annotators give is named by its most frequent wording, not by the
    // first in key order (a mutation once annotated with it).
    let none = DocumentContext::default();
    let kras = normalizer
        .best("G12D", Some(EntityType::Gene), &none)
        .unwrap();
    assert_eq!(kras.concept.id.to_string(), "NCBIGene:16653");
    assert_eq!(kras.concept.name, "Kras");
    // A wording no vocabulary lists takes the concept of the most similar annotated mention.
    let similar = normalizer
        .best("decreased renal function", Some(EntityType::Disease), &none)
        .unwrap();
    assert_eq!(similar.concept.id.to_string(), "MESH:D051437");
    assert_eq!(similar.via, MatchKind::Similar);
    assert_eq!(similar.matched, "reduced renal function");
    // Beside a model, an annotated disease name is recovered only when a disease vocabulary
    // knows its concept too (myotonic dystrophy has MONDO and DOID cross-references; the
    // annotation-only "reduced renal function" has none).
    use bioscope_lexicon::recover::{recover, word_spans, Strictness};
    let text = "Patients with reduced renal function and myotonic dystrophy.";
    let recovered: Vec<&str> = recover(
        &lexicon,
        text,
        &word_spans(text),
        &[],
        &EntityType::BUILT_IN,
        Strictness::BesideModel,
    )
    .into_iter()
    .map(|r| &text[r.range])
    .collect();
    assert_eq!(recovered, ["myotonic dystrophy"]);
    // Without annotated corpora there is nothing to be similar to.
    let (_plain_dir, plain) = built(&compact());
    let found =
        Normalizer::new(&plain).best("decreased renal function", Some(EntityType::Disease), &none);
    assert!(
        found.as_ref().is_none_or(|c| c.via != MatchKind::Similar),
        "{found:?}"
    );
}

#[test]
fn a_genus_stands_for_the_one_species_of_it_the_document_names() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let genus = |species: &[&str]| {
        let context = normalizer.context(Abbreviations::default(), species.iter().copied());
        let best = normalizer.best("Mus", Some(EntityType::Species), &context);
        best.unwrap().concept.id.to_string()
    };
    assert_eq!(genus(&[]), "NCBITaxon:10088");
    assert_eq!(
        genus(&["Mus musculus", "Escherichia coli"]),
        "NCBITaxon:10090"
    );
}

#[test]
fn a_gene_takes_its_own_organism_and_a_mouse_study_gets_the_mouse_orthologue() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let text = "Patients carried TNF variants. In mice, tumor necrosis factor rose. \
                Murine TNF was measured.";
    let species = ["Patients", "mice"].map(|s| {
        let start = text.find(s).unwrap();
        start..start + s.len()
    });
    let context =
        normalizer.context_in(text, Abbreviations::default(), species, std::iter::empty());
    let at = |mention: &str| {
        let start = text.find(mention).unwrap();
        let best = normalizer.candidates_at(
            mention,
            Some(start..start + mention.len()),
            Some(EntityType::Gene),
            &context,
            3,
        );
        let first = best.first().unwrap();
        (first.concept.id.to_string(), first.via)
    };
    // Human where its sentence names patients; in the mouse sentence the name, which MGI does
    // not list, gives the mouse orthologue that HGNC maps; "Murine" in the mention says mouse.
    assert_eq!(at("TNF").0, "NCBIGene:7124");
    assert_eq!(
        at("tumor necrosis factor"),
        ("MGI:104798".to_string(), MatchKind::Orthologue)
    );
    assert_eq!(at("Murine TNF").0, "MGI:104798");
    // Without positions, the document's organisms tie and genes stay human.
    let plain = normalizer.context(Abbreviations::default(), ["Patients", "mice"]);
    let best = normalizer.best("tumor necrosis factor", Some(EntityType::Gene), &plain);
    assert_eq!(best.unwrap().concept.id.to_string(), "NCBIGene:7124");
}

#[test]
fn a_composite_mention_gets_one_concept_per_part() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    let parts = normalizer
        .composite_at("A2ML1-AS1/2", None, EntityType::Gene, &none)
        .unwrap();
    let names: Vec<&str> = parts.iter().map(|c| c.concept.name.as_str()).collect();
    assert_eq!(names, ["A2ML1-AS1", "A2ML1-AS2"]);
    assert_eq!(parts[1].matched, "A2ML1-AS2");
    // A name as a whole, or a part that names nothing, is not composite.
    assert!(normalizer
        .composite_at("BRCA1", None, EntityType::Gene, &none)
        .is_none());
    assert!(normalizer
        .composite_at("A2ML1-AS1/9", None, EntityType::Gene, &none)
        .is_none());
}

#[test]
fn an_outcome_after_a_disease_names_the_disease_not_death() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    let best = normalizer
        .best("breast tumor deaths", Some(EntityType::Disease), &none)
        .unwrap();
    assert_eq!(best.concept.id.to_string(), "MESH:D001943");
    assert_eq!(best.via, MatchKind::Outcome);
}

#[test]
fn abbreviations_defined_in_the_document_are_normalized_by_their_long_form() {
    let (_dir, lexicon) = built(&compact());
    let normalizer = Normalizer::new(&lexicon);
    let text = "Patients with tumor necrosis factor (TNF) levels and E. coli infection. \
                Escherichia coli was cultured.";
    let context = DocumentContext::from_text(text, ["Escherichia coli"]);
    let tnf = normalizer
        .best("TNF", Some(EntityType::Gene), &context)
        .unwrap();
    assert_eq!(tnf.concept.id.to_string(), "NCBIGene:7124");
    assert_eq!(tnf.via, bioscope_lexicon::MatchKind::Abbreviation);
    let coli = normalizer
        .best("E. coli", Some(EntityType::Species), &context)
        .unwrap();
    assert_eq!(coli.concept.id.to_string(), "NCBITaxon:562");
}

#[test]
fn a_umls_release_adds_cuis_to_mesh_concepts() {
    let options = SourceOptions {
        scope: Scope::Compact,
        umls: Some(fixtures().join("umls_META")),
        corpora: None,
    };
    let (dir, manifest) = build(&options);
    assert!(manifest.umls);
    let lexicon = bioscope_lexicon::open(dir.path()).unwrap();
    let normalizer = Normalizer::new(&lexicon);
    let none = DocumentContext::default();
    // C0000039 is MeSH D015060 in the sample: its CUI joins the MeSH concept.
    let dppc = normalizer
        .best(
            "1,2-Dipalmitoylphosphatidylcholine",
            Some(EntityType::Chemical),
            &none,
        )
        .unwrap();
    assert_eq!(dppc.concept.id.to_string(), "MESH:D015060");
    assert_eq!(
        dppc.concept.id_in(Namespace::Umls).unwrap().local,
        "C0000039"
    );
    // A UMLS-only synonym is a name of that concept too.
    let maa = normalizer.best("(131)I-MAA", None, &none).unwrap();
    assert_eq!(
        maa.concept.id_in(Namespace::Umls).unwrap().local,
        "C0000005"
    );
}

#[test]
fn damaged_lexicons_are_refused_with_a_clear_error() {
    let (dir, _) = build(&compact());
    let path = dir.path().join(bioscope_lexicon::LEXICON_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = bioscope_lexicon::open(dir.path()).unwrap_err();
    assert!(matches!(err, LexiconError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("bioscope lexicon build"), "{err}");
    std::fs::write(&path, &bytes[..100]).unwrap();
    assert!(bioscope_lexicon::open(dir.path()).is_err());
    std::fs::write(&path, b"not a lexicon").unwrap();
    assert!(bioscope_lexicon::open(dir.path()).is_err());
}

/// The committed lexicon is what `bioscope lexicon build` makes from ../shared today.
#[test]
fn the_shipped_lexicon_rebuilds_from_the_shared_sources() {
    let sources = repo().join("../shared/data/lexicons");
    let shipped = repo().join("models/lexicon");
    let committed: bioscope_lexicon::LexiconManifest = serde_json::from_str(
        &std::fs::read_to_string(shipped.join(bioscope_lexicon::MANIFEST_FILE)).unwrap(),
    )
    .unwrap();
    let options = SourceOptions {
        scope: committed.scope,
        umls: None,
        corpora: committed
            .annotated_corpora
            .then(|| repo().join("../shared/data/corpora")),
    };
    let out = tempfile::tempdir().unwrap();
    let rebuilt = bioscope_lexicon::build(&sources, &options, out.path()).unwrap();
    assert_eq!(
        rebuilt.sha256, committed.sha256,
        "models/lexicon is stale: rerun `bioscope lexicon build --sources ../shared/data/lexicons`"
    );
    let lexicon = bioscope_lexicon::open(&shipped).unwrap();
    assert_eq!(lexicon.concept_count(), {
        let l = bioscope_lexicon::open(out.path()).unwrap();
        l.concept_count()
    });
    // The shipped ranker's encoded names belong to this lexicon and to the shipped graph.
    let ranker = shipped.join(bioscope_lexicon::ranker::RANKER_DIR);
    let vectors = bioscope_lexicon::ranker::NameVectors::open(
        &ranker.join(bioscope_lexicon::ranker::RANKER_VECTORS),
    )
    .unwrap();
    let manifest = bioscope_lexicon::RankerManifest::read(&ranker).unwrap();
    assert_eq!(
        vectors.origin(),
        bioscope_lexicon::ranker::VectorsOrigin {
            lexicon_sha256: lexicon.sha256().to_string(),
            model_sha256: manifest.model_sha256,
        },
        "models/lexicon/ranker/names.vectors is stale: rerun `bioscope lexicon build`"
    );
}

#[test]
fn recovery_finds_precise_multi_word_names_only() {
    use bioscope_lexicon::recover::{recover, word_spans, Strictness};
    let (_dir, lexicon) = built(&compact());
    // "Escherichia coli" is also a DrugBank biologic in the sources: ambiguous, not recovered.
    let text = "Breast neoplasms (BRCA1) in Mus musculus and Escherichia coli, and tumor \
                necrosis factor of a case.";
    let words = word_spans(text);
    let all = EntityType::BUILT_IN;
    let alone = recover(&lexicon, text, &words, &[], &all, Strictness::Alone);
    let found: Vec<(&str, EntityType)> = alone
        .iter()
        .map(|r| (&text[r.range.clone()], r.entity_type))
        .collect();
    assert_eq!(
        found,
        [
            ("Breast neoplasms", EntityType::Disease),
            ("Mus musculus", EntityType::Species),
            ("tumor necrosis factor", EntityType::Gene),
        ]
    );
    // What the model found is never overlapped, and types the caller does not tag stay out.
    let taken = [alone[0].range.clone()];
    let genes_only = recover(
        &lexicon,
        text,
        &words,
        &taken,
        &[EntityType::Gene],
        Strictness::Alone,
    );
    assert_eq!(genes_only.len(), 1);
    assert_eq!(&text[genes_only[0].range.clone()], "tumor necrosis factor");
    // Beside a model, only names that annotators marked (none in these fixtures) are added.
    assert!(recover(&lexicon, text, &words, &[], &all, Strictness::BesideModel).is_empty());
}
