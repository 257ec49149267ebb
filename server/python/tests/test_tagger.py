"""The installed bioscope wheel: the packaged model, lexicon and ONNX Runtime found without
configuration, character offsets, formats, threads, and clear exceptions for bad arguments."""

from concurrent.futures import ThreadPoolExecutor

import pytest

import bioscope

TEXT = "Résumé — BRCA1 mutations cause hereditary breast cancer in humans treated with tamoxifen."


@pytest.fixture(scope="module")
def tagger():
    return bioscope.Tagger()


def by_text(entities):
    return {e["text"]: e for e in entities}


def test_the_packaged_model_tags_with_identifiers_and_character_offsets(tagger):
    assert tagger.model_name == "bioscope-union"
    assert tagger.device == "cpu" and tagger.device_note is None
    assert tagger.has_lexicon
    entities = tagger.tag_text(TEXT)
    for e in entities:
        # Offsets index the Python string (characters), even after "é" and "—".
        assert TEXT[e["start"]:e["end"]] == e["text"]
        assert 0.0 < e["score"] <= 1.0
    found = by_text(entities)
    assert found["BRCA1"]["type"] == "Gene"
    assert found["BRCA1"]["id"] == "NCBIGene:672"
    assert found["tamoxifen"]["type"] == "Chemical"
    assert found["tamoxifen"]["id"].startswith("MESH:")
    assert found["humans"]["type"] == "Species"
    assert found["humans"]["id"] == "NCBITaxon:9606"
    assert any(e["type"] == "Disease" and "breast cancer" in e["text"] for e in entities)


def test_a_list_of_texts_is_tagged_in_order(tagger):
    texts = [TEXT, "", "Nothing biomedical is said here.", "TP53 is mutated in HeLa cells."]
    assert tagger.tag(texts) == [tagger.tag_text(t) for t in texts]
    assert tagger.tag(texts)[1] == []


def test_normalize_ranks_concepts(tagger):
    best = tagger.normalize("TP53", "Gene")[0]
    assert best["id"] == "NCBIGene:7157" and best["type"] == "Gene"
    assert any(x.startswith("HGNC:") for x in best["xrefs"])
    assert tagger.normalize("tamoxifen", limit=1)[0]["id"].startswith("MESH:")
    with pytest.raises(ValueError):
        tagger.normalize("TP53", "Protein")


def test_markdown_code_is_not_tagged(tagger):
    md = "BRCA1 is a gene.\n\n```\nBRCA1 = load('tamoxifen')\n```\n"
    entities = tagger.tag_text(md, format="markdown")
    assert [e["start"] for e in entities if e["text"] == "BRCA1"] == [0]
    assert not any(e["text"] == "tamoxifen" for e in entities)


def test_without_a_lexicon_there_are_no_identifiers():
    plain = bioscope.Tagger(lexicon=False)
    assert not plain.has_lexicon
    entities = plain.tag_text(TEXT)
    assert entities and all(e["id"] is None and e["name"] is None for e in entities)


def test_one_tagger_serves_several_threads(tagger):
    texts = [f"Patient {i} carried a TP53 mutation and received cisplatin." for i in range(16)]
    expected = [tagger.tag_text(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(tagger.tag_text, texts)) == expected


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"threads": 0}, ValueError),
        ({"threads": "2"}, TypeError),
        ({"threads": True}, TypeError),
        ({"device": "tpu"}, ValueError),
        ({"model": "/nonexistent/model"}, OSError),
        ({"model": 42}, TypeError),
        ({"lexicon": "/nonexistent/lexicon"}, OSError),
    ],
)
def test_bad_arguments_raise_clear_exceptions(kwargs, error):
    with pytest.raises(error) as raised:
        bioscope.Tagger(**kwargs)
    assert str(raised.value)


def test_bad_texts_and_formats_raise(tagger):
    with pytest.raises(TypeError):
        tagger.tag_text(b"BRCA1")
    with pytest.raises(TypeError):
        tagger.tag_text(None)
    with pytest.raises(TypeError):
        tagger.tag([None])
    with pytest.raises(ValueError):
        tagger.tag_text("BRCA1", format="docx")
    with pytest.raises(TypeError) as one_text:
        tagger.tag("BRCA1 is a gene")
    assert "tag_text" in str(one_text.value)
    with pytest.raises(TypeError):
        tagger.tag(["fine", 3])
    with pytest.raises(ValueError) as huge:
        tagger.tag_text("BRCA1 " * 3_000_000)
    assert "split it" in str(huge.value)


def test_a_corrupt_model_is_an_exception_not_a_crash(tmp_path):
    import shutil

    bundle = tmp_path / "broken"
    shutil.copytree(bioscope.default_model(), bundle)
    (bundle / "model.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(OSError) as raised:
        bioscope.Tagger(model=bundle)
    assert "cannot load model" in str(raised.value)


def test_cuda_falls_back_to_the_cpu_and_says_why():
    # The onnxruntime wheel is the CPU build: no CUDA execution provider.
    tagger = bioscope.Tagger(device="cuda")
    assert tagger.device == "cpu"
    assert "CUDA" in tagger.device_note and "CPU" in tagger.device_note
    assert tagger.tag_text("BRCA1 is a gene.") == bioscope.Tagger().tag_text("BRCA1 is a gene.")
