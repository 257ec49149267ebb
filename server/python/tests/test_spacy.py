"""The spaCy component, found through its entry point: doc.ents with types and identifiers."""

import pytest

spacy = pytest.importorskip("spacy")

TEXT = "BRCA1 mutations cause breast cancer in humans treated with tamoxifen."


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("bioscope")  # no import of bioscope: the spacy_factories entry point
    return nlp


def test_the_component_sets_entities_with_types_and_identifiers(nlp):
    doc = nlp(TEXT)
    ents = {e.text: e for e in doc.ents}
    assert ents["BRCA1"].label_ == "Gene"
    assert ents["BRCA1"].kb_id_ == "NCBIGene:672"
    assert ents["tamoxifen"].label_ == "Chemical"
    assert 0.0 < ents["BRCA1"]._.bioscope_score <= 1.0
    assert ents["humans"].kb_id_ == "NCBITaxon:9606"


def test_pipe_tags_batches_like_single_docs(nlp):
    texts = [TEXT, "TP53 is mutated in HeLa cells.", "", "Nothing to see here."]
    one_by_one = [[(e.start_char, e.end_char, e.label_, e.kb_id_) for e in nlp(t).ents] for t in texts]
    batched = [
        [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in d.ents]
        for d in nlp.pipe(texts, batch_size=3)
    ]
    assert batched == one_by_one
    assert one_by_one[0] and one_by_one[1] and not one_by_one[2]


def test_entities_already_set_are_kept_when_asked():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "DRUG", "pattern": "tamoxifen"}])
    nlp.add_pipe("bioscope", config={"overwrite": False})
    ents = {e.text: e.label_ for e in nlp(TEXT).ents}
    assert ents["tamoxifen"] == "DRUG"
    assert ents["BRCA1"] == "Gene"
