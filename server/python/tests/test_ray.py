"""Ray Data on a local Ray cluster (ray.init(num_cpus=2)): every document tagged exactly once,
equal to the Python tagger (itself equal to the CLI), also when an actor is killed mid-run
(Ray Data restarts its actors and retries their batches by default)."""

import os
import signal
import time

import pytest
from conftest import ncbi_documents

ray = pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")

import bioscope  # noqa: E402
from bioscope.ray import RayTagger  # noqa: E402


def entity_tuples(entities):
    return [(e["start"], e["end"], e["type"], e["id"]) for e in entities]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def expected():
    docs = ncbi_documents(40)
    found = bioscope.Tagger().tag([t for _, t in docs])
    return docs, {pmid: entity_tuples(e) for (pmid, _), e in zip(docs, found)}


def rows_by_id(rows):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a document came back twice"
    return {r["id"]: entity_tuples(r["entities"]) for r in rows}


def test_two_actors_tag_every_document_once(cluster, expected):
    docs, want = expected
    ds = ray.data.from_items([{"id": pmid, "text": text} for pmid, text in docs])
    rows = ds.map_batches(
        RayTagger, concurrency=2, batch_size=4, batch_format="pyarrow"
    ).take_all()
    assert rows_by_id(rows) == want


def test_a_killed_actor_is_replaced_and_no_document_is_lost(cluster, expected, tmp_path):
    docs, want = expected
    pids = tmp_path / "pids"
    pids.mkdir()

    class Recorded(RayTagger):
        """Writes its process id where the test can find it, and works slowly enough for
        the test to kill it mid-run."""

        def __init__(self):
            super().__init__()
            (pids / str(os.getpid())).touch()

        def __call__(self, batch):
            time.sleep(0.2)
            return super().__call__(batch)

    ds = ray.data.from_items([{"id": pmid, "text": text} for pmid, text in docs])
    tagged = ds.map_batches(
        Recorded,
        concurrency=2,
        batch_size=2,
        batch_format="pyarrow",
    )
    rows, killed = [], None
    for batch in tagged.iter_batches(batch_size=None, batch_format="pyarrow"):
        rows.extend(batch.to_pylist())
        if killed is None:
            killed = int(sorted(pids.iterdir())[0].name)
            os.kill(killed, signal.SIGKILL)
    assert killed is not None
    assert len(list(pids.iterdir())) >= 3, "the killed actor was not replaced"
    assert rows_by_id(rows) == want
