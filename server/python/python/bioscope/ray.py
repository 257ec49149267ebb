"""Distributed tagging on Ray Data: :class:`RayTagger` is a callable class for
``Dataset.map_batches``; each actor loads the model once.

    import ray, bioscope.ray
    ds = ray.data.read_parquet("pubmed/")            # rows {"id", "text"}
    tagged = ds.map_batches(bioscope.ray.RayTagger, concurrency=8, batch_size=64,
                            batch_format="pyarrow")   # rows {"id", "entities": [...]}

The same function serves Spark's ``mapInArrow`` (see :func:`arrow_batches`).
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional

import pyarrow as pa

from bioscope import Tagger

#: One entity in the output rows.
ENTITY = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("type", pa.string()),
        ("id", pa.string()),
        ("score", pa.float32()),
    ]
)


def output_schema(id_type: pa.DataType = pa.string()) -> pa.Schema:
    """The schema of the tagged rows: the document id and its entities."""
    return pa.schema([("id", id_type), ("entities", pa.list_(ENTITY))])


def tag_batch(tagger: Tagger, batch: pa.Table | pa.RecordBatch, format: str = "text") -> pa.Table:
    """Rows ``{"id", "text"}`` in, rows ``{"id", "entities"}`` out, in the same order."""
    for column in ("id", "text"):
        if column not in batch.schema.names:
            raise ValueError(f"rows need an {column!r} column (they have {batch.schema.names})")
    texts = batch.column("text").to_pylist()
    found = tagger.tag(texts, format=format)
    entities = [
        [{k: e[k] for k in ("start", "end", "text", "type", "id", "score")} for e in doc]
        for doc in found
    ]
    ids = batch.column("id")
    schema = output_schema(ids.type)
    return pa.Table.from_arrays([ids, pa.array(entities, type=pa.list_(ENTITY))], schema=schema)


class RayTagger:
    """``ds.map_batches(RayTagger, concurrency=N, batch_size=..., batch_format="pyarrow")``;
    arguments for :class:`bioscope.Tagger` go in ``fn_constructor_kwargs``."""

    def __init__(
        self,
        model: Optional[str] = None,
        lexicon: Optional[str] = None,
        threads: int = 1,
        device: str = "cpu",
        format: str = "text",
    ):
        self.tagger = Tagger(model=model, lexicon=lexicon, threads=threads, device=device)
        self.format = format

    def __call__(self, batch: pa.Table) -> pa.Table:
        return tag_batch(self.tagger, batch, self.format)


def arrow_batches(batches: Iterable[pa.RecordBatch], **tagger_args) -> Iterator[pa.RecordBatch]:
    """For Spark: ``df.mapInArrow(lambda it: arrow_batches(it), schema)``, with ``schema``
    the Spark form of :func:`output_schema` (one tagger per Python worker)."""
    tagger = Tagger(**tagger_args)
    for batch in batches:
        yield from tag_batch(tagger, batch).to_batches()
