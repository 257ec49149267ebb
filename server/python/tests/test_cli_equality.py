"""Python gives the same entities as ``bioscope tag`` (the CLI named by $BIOSCOPE_CLI) on
NCBI-disease test documents, and tag_arrow gives one row per entity."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import ncbi_documents as documents

import bioscope

CLI = os.environ.get("BIOSCOPE_CLI")


@pytest.fixture(scope="module")
def tagger():
    return bioscope.Tagger()


@pytest.mark.skipif(not CLI, reason="BIOSCOPE_CLI names the bioscope binary (server/python/ci.sh sets it)")
def test_python_equals_the_cli_on_ncbi_disease_test_documents(tagger, tmp_path):
    docs = documents(20)
    files = []
    for pmid, text in docs:
        path = tmp_path / f"{pmid}.txt"
        path.write_text(text)
        files.append(path)
    env = {k: v for k, v in os.environ.items() if k != "BIOSCOPE_LEXICON"}
    out = subprocess.run(
        [CLI, "--ort-library", str(bioscope.onnxruntime_library()),
         "tag", "--format", "json", "--model", str(bioscope.default_model()),
         "--lexicon", str(bioscope.default_lexicon()), *map(str, files)],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    cli = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(cli) == len(docs)
    python = tagger.tag([text for _, text in docs])
    total = 0
    for (pmid, text), from_cli, from_python in zip(docs, cli, python):
        assert Path(from_cli["file"]).stem == pmid
        data = text.encode()
        expected = [
            (len(data[: e["start"]].decode()), len(data[: e["end"]].decode()), e["type"], e["id"])
            for e in from_cli["entities"]
        ]
        got = [(e["start"], e["end"], e["type"], e["id"]) for e in from_python]
        assert got == expected, pmid
        total += len(got)
    assert total > 50


def test_tag_arrow_gives_one_row_per_entity(tagger):
    pa = pytest.importorskip("pyarrow")
    docs = documents(5)
    table = pa.table({"id": [d for d, _ in docs], "text": [t for _, t in docs]})
    rows = tagger.tag_arrow(table)
    assert rows.column_names == ["id", "start", "end", "text", "type", "entity_id", "name", "score"]
    python = tagger.tag([t for _, t in docs])
    assert rows.num_rows == sum(len(e) for e in python)
    first = rows.slice(0, 1).to_pylist()[0]
    assert first["id"] == docs[0][0]
    assert first["text"] == docs[0][1][first["start"]:first["end"]]
    with pytest.raises(ValueError):
        tagger.tag_arrow(table, text_column="abstract")
