"""The ``bioscope`` spaCy component: ``nlp.add_pipe("bioscope")`` (registered through the
``spacy_factories`` entry point) sets ``doc.ents`` with BioScope's entities: labels are the
entity types, ``kb_id_`` the identifier, ``span._.bioscope_score`` the model's confidence and
``span._.bioscope_name`` the concept's name. ``nlp.pipe`` sends each batch to the model
together."""

from __future__ import annotations

from typing import Iterable, Iterator, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from bioscope import Tagger

for _name in ("bioscope_score", "bioscope_name"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


class BioScopeComponent:
    """Tags a ``Doc``'s text and sets its entities (replacing them, or, with
    ``overwrite=False``, keeping the entities already there and adding the ones that do not
    overlap them)."""

    def __init__(self, tagger: Tagger, overwrite: bool = True, batch_size: int = 32):
        self.tagger = tagger
        self.overwrite = overwrite
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return self._set(doc, self.tagger.tag([doc.text])[0])

    def pipe(self, docs: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, docs):
        found = self.tagger.tag([d.text for d in docs])
        return [self._set(doc, entities) for doc, entities in zip(docs, found)]

    def _set(self, doc: Doc, entities) -> Doc:
        spans = []
        for e in entities:
            # spaCy tokens need not end where BioScope's words do: widen to whole tokens.
            span = doc.char_span(
                e["start"], e["end"], label=e["type"], kb_id=e["id"] or "", alignment_mode="expand"
            )
            if span is None:
                continue
            span._.bioscope_score = e["score"]
            span._.bioscope_name = e["name"]
            spans.append(span)
        if self.overwrite:
            doc.ents = filter_spans(spans)
        else:
            doc.ents = _add_disjoint(list(doc.ents), spans)
        return doc


def _add_disjoint(kept, spans):
    taken = set()
    for span in kept:
        taken.update(range(span.start, span.end))
    added = [s for s in filter_spans(spans) if not taken.intersection(range(s.start, s.end))]
    return sorted(kept + added, key=lambda s: s.start)


@Language.factory(
    "bioscope",
    default_config={
        "model": None,
        "lexicon": None,
        "threads": 1,
        "device": "cpu",
        "overwrite": True,
        "batch_size": 32,
    },
)
def make_bioscope(
    nlp: Language,
    name: str,
    model: Optional[str],
    lexicon: Optional[str],
    threads: int,
    device: str,
    overwrite: bool,
    batch_size: int,
) -> BioScopeComponent:
    return BioScopeComponent(
        Tagger(model=model, lexicon=lexicon, threads=threads, device=device),
        overwrite=overwrite,
        batch_size=batch_size,
    )
