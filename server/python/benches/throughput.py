"""Throughput of BioScope from Python, in words per second, on the BC5CDR test abstracts
(PubTator text, 500 documents), beside the CLI on the same texts:

- ``bioscope tag`` (the CLI named by $BIOSCOPE_CLI, default target/release/bioscope), 2 threads;
- ``Tagger.tag`` in this process, 2 threads;
- Ray Data ``map_batches(RayTagger)`` on a local cluster (``ray.init(num_cpus=2)``) with 1 and
  2 actors of 1 thread each, and the scaling efficiency from 1 to 2 actors.

Prints the figures; asserts nothing. Run it in the virtual environment that
``server/python/ci.sh`` makes, on an otherwise idle machine:

    target/python-venv/bin/python server/python/benches/throughput.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bioscope

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / ".." / "shared" / "data" / "corpora" / "bc5cdr" / "original" / "CDR_TestSet.PubTator.txt"


def documents():
    docs, title = [], None
    for line in CORPUS.read_text().splitlines():
        if "|t|" in line:
            pmid, _, title = line.split("|", 2)
        elif "|a|" in line:
            docs.append((pmid, title + " " + line.split("|", 2)[2]))
    return docs


def timed(run):
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> None:
    docs = documents()
    words = sum(len(text.split()) for _, text in docs)
    print(f"{len(docs)} documents, {words} words (BC5CDR test, title + abstract)")
    rows = []

    cli = os.environ.get("BIOSCOPE_CLI", str(ROOT / "target" / "release" / "bioscope"))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for pmid, text in docs:
            path = Path(tmp) / f"{pmid}.txt"
            path.write_text(text)
            files.append(str(path))
        command = [cli, "--ort-library", str(bioscope.onnxruntime_library()), "--threads", "2",
                   "tag", "--format", "json", *files]
        seconds, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True))
        rows.append(("bioscope tag (CLI, 2 threads, with start-up)", seconds))

    tagger = bioscope.Tagger(threads=2)
    texts = [text for _, text in docs]
    seconds, _ = timed(lambda: tagger.tag(texts))
    rows.append(("Tagger.tag in one process (2 threads)", seconds))
    del tagger

    try:
        import ray
        from bioscope.ray import RayTagger
    except ImportError:
        print("ray is not installed: no Ray figures", file=sys.stderr)
        ray = None
    if ray is not None:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        items = [{"id": pmid, "text": text} for pmid, text in docs]
        for actors in (1, 2):
            ds = ray.data.from_items(items, override_num_blocks=16)
            tagged = ds.map_batches(RayTagger, concurrency=actors, batch_size=16,
                                    batch_format="pyarrow")
            seconds, out = timed(tagged.take_all)
            assert len(out) == len(docs)
            rows.append((f"Ray Data, {actors} actor(s) of 1 thread (with actor start-up)", seconds))
        ray.shutdown()

    print(f"{'pipeline':<62} {'seconds':>8} {'words/s':>9}")
    for name, seconds in rows:
        print(f"{name:<62} {seconds:>8.1f} {words / seconds:>9,.0f}")
    ray_rows = [s for n, s in rows if n.startswith("Ray")]
    if len(ray_rows) == 2:
        print(f"Ray scaling efficiency, 1 → 2 actors: {ray_rows[0] / ray_rows[1] / 2:.0%}")


if __name__ == "__main__":
    main()
