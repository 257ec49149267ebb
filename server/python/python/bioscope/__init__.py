"""BioScope from Python: biomedical entities (genes, diseases, chemicals, species, cell lines,
cell types, variants) with identifiers, through the same pipeline as ``bioscope tag``.

    >>> import bioscope
    >>> tagger = bioscope.Tagger()
    >>> tagger.tag_text("BRCA1 mutations cause breast cancer.")[0]["id"]
    'NCBIGene:672'

The wheel carries the default model (``bioscope-union``) and the name lexicon in
``bioscope/data``; ONNX Runtime's library comes from the ``onnxruntime`` package (or
``ORT_DYLIB_PATH``).
"""

from __future__ import annotations

import glob
import importlib.util
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import List, Optional, Sequence, Union

from bioscope import _native

try:
    __version__ = version("bioscope")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Tagger",
    "Entity",
    "DATA_DIR",
    "default_model",
    "default_lexicon",
    "onnxruntime_library",
    "__version__",
]

#: Where the wheel keeps the default model and lexicon.
DATA_DIR = Path(__file__).resolve().parent / "data"

PathLike = Union[str, "os.PathLike[str]"]
#: An entity: ``start``/``end`` character offsets into the text, ``text``, ``type``,
#: ``score`` (the model's confidence), ``id`` (best identifier, e.g. ``NCBIGene:672``, or
#: None) and ``name`` (that concept's name, or None).
Entity = dict

_FORMATS = ("text", "markdown", "latex")
_DEVICES = ("cpu", "cuda")


def default_model() -> Path:
    """The model used when none is given: ``$BIOSCOPE_MODEL``, else the packaged one."""
    return Path(os.environ.get("BIOSCOPE_MODEL") or DATA_DIR / "bioscope-union")


def default_lexicon() -> Path:
    """The lexicon used when none is given: ``$BIOSCOPE_LEXICON``, else the packaged one."""
    return Path(os.environ.get("BIOSCOPE_LEXICON") or DATA_DIR / "lexicon")


def onnxruntime_library() -> Path:
    """``$ORT_DYLIB_PATH``, else the shared library inside the installed onnxruntime package."""
    explicit = os.environ.get("ORT_DYLIB_PATH")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise OSError(
            "ONNX Runtime not found: pip install onnxruntime==1.31.1 "
            "(or set ORT_DYLIB_PATH to libonnxruntime)"
        )
    for folder in spec.submodule_search_locations:
        for pattern in ("libonnxruntime.so.*", "libonnxruntime.*.dylib", "onnxruntime.dll"):
            found = sorted(glob.glob(os.path.join(folder, "capi", pattern)))
            if found:
                return Path(found[-1])
    raise OSError("the onnxruntime package holds no ONNX Runtime library (capi/libonnxruntime*)")


def _path(value: object, what: str) -> Path:
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    raise TypeError(f"{what} must be a path (str or os.PathLike), not {type(value).__name__}")


class Tagger:
    """A model and a lexicon, loaded once; tags texts.

    ``model``: a model bundle folder (default: :func:`default_model`). ``lexicon``: a lexicon
    folder (default: :func:`default_lexicon`); ``False`` for none (no identifiers, no recall
    recovery, and a model that reads lexicon-match features tags without them). ``threads``: ONNX Runtime threads. ``device``: ``"cpu"`` or ``"cuda"`` (a GPU
    build of ONNX Runtime; falls back to the CPU and says why in :attr:`device_note`).

    Tagging releases the GIL, so one tagger may serve several Python threads.
    """

    def __init__(
        self,
        model: Optional[PathLike] = None,
        lexicon: Union[PathLike, None, bool] = None,
        threads: int = 1,
        device: str = "cpu",
    ) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int):
            raise TypeError(f"threads must be an int, not {type(threads).__name__}")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if not isinstance(device, str) or device.lower() not in _DEVICES:
            raise ValueError(f"device must be one of {_DEVICES}, not {device!r}")
        model_dir = default_model() if model is None else _path(model, "model")
        if lexicon is False:
            lexicon_dir = None
        elif lexicon is None or lexicon is True:
            lexicon_dir = default_lexicon()
        else:
            lexicon_dir = _path(lexicon, "lexicon")
        self._native = _native.Tagger(
            str(model_dir),
            None if lexicon_dir is None else str(lexicon_dir),
            str(onnxruntime_library()),
            threads,
            device.lower(),
        )

    @property
    def model_name(self) -> str:
        return self._native.model_name

    @property
    def device(self) -> str:
        """Where inference runs: ``"cpu"`` or ``"cuda"``."""
        return self._native.device

    @property
    def device_note(self) -> Optional[str]:
        """Why inference runs elsewhere than asked, or None."""
        return self._native.device_note

    @property
    def has_lexicon(self) -> bool:
        return self._native.has_lexicon

    def tag(self, texts: Sequence[str], format: str = "text") -> List[List[Entity]]:
        """The entities of each text, in order (``format``: ``"text"``, ``"markdown"`` or
        ``"latex"``; code, math and markup are not tagged). Texts go to the model together."""
        if isinstance(texts, str):
            raise TypeError("tag takes a list of texts; for one text use tag_text(text)")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, not {type(text).__name__}")
        return self._native.tag(texts, _format(format))

    def tag_text(self, text: str, format: str = "text") -> List[Entity]:
        """The entities of one text."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        return self._native.tag([text], _format(format))[0]

    def tag_arrow(self, table, text_column: str = "text", id_column: str = "id", format: str = "text"):
        """A ``pyarrow.Table`` with one row per entity of the texts in ``table[text_column]``:
        the document's ``id_column``, then ``start``, ``end``, ``text``, ``type``,
        ``entity_id`` (the identifier), ``name`` and ``score``. Needs pyarrow."""
        import pyarrow as pa

        for column in (text_column, id_column):
            if column not in table.column_names:
                raise ValueError(f"the table has no column {column!r} (it has {table.column_names})")
        texts = table.column(text_column).to_pylist()
        ids = table.column(id_column).to_pylist()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"row {i}: {text_column} must be a string, not {type(text).__name__}")
        found = self._native.tag(texts, _format(format))
        rows = [(doc_id, e) for doc_id, entities in zip(ids, found) for e in entities]
        return pa.table(
            {
                id_column: pa.array([d for d, _ in rows], type=table.schema.field(id_column).type),
                "start": pa.array([e["start"] for _, e in rows], type=pa.int64()),
                "end": pa.array([e["end"] for _, e in rows], type=pa.int64()),
                "text": pa.array([e["text"] for _, e in rows], type=pa.string()),
                "type": pa.array([e["type"] for _, e in rows], type=pa.string()),
                "entity_id": pa.array([e["id"] for _, e in rows], type=pa.string()),
                "name": pa.array([e["name"] for _, e in rows], type=pa.string()),
                "score": pa.array([e["score"] for _, e in rows], type=pa.float32()),
            }
        )

    def normalize(self, text: str, type: Optional[str] = None, limit: int = 5) -> List[dict]:
        """Up to ``limit`` concepts that ``text`` may name (as a mention of ``type``, e.g.
        ``"Gene"``, or of any type), best first: ``id``, ``name``, ``type``, ``score``,
        ``via`` and ``xrefs``. Empty without a lexicon."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {text.__class__.__name__}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("limit must be a positive int")
        return self._native.normalize(text, type, limit)

    def __repr__(self) -> str:
        return f"bioscope.Tagger(model={self.model_name!r}, device={self.device!r})"


def _format(format: str) -> str:
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {_FORMATS}, not {format!r}")
    return format
