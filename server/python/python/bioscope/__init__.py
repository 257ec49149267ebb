"""BioScope from Python: biomedical entities (genes, diseases, chemicals, species, cell lines,
cell types, variants) with identifiers, through the same pipeline as ``bioscope tag``.

    >>> import bioscope
    >>> tagger = bioscope.Tagger()
    >>> tagger.tag("BRCA1 mutations cause breast cancer.")[0]["id"]
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
from typing import Iterable, List, Optional, Union

from bioscope import _native

try:
    __version__ = version("bioscope")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["Tagger", "Entity", "DATA_DIR", "default_model", "default_lexicon", "__version__"]

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


def _onnxruntime_library() -> Path:
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
    recovery). ``threads``: ONNX Runtime threads. ``device``: ``"cpu"`` or ``"cuda"`` (a GPU
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
            str(_onnxruntime_library()),
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

    def tag(self, text: str, format: str = "text") -> List[Entity]:
        """The entities of ``text`` (``format``: ``"text"``, ``"markdown"`` or ``"latex"``;
        code, math and markup are not tagged)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        return self._native.tag(text, _format(format))

    def tag_many(self, texts: Iterable[str], format: str = "text") -> List[List[Entity]]:
        """:meth:`tag` for each text, in order."""
        if isinstance(texts, str):
            raise TypeError("tag_many takes a sequence of texts; use tag for one text")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, not {type(text).__name__}")
        return self._native.tag_many(texts, _format(format))

    def __repr__(self) -> str:
        return f"bioscope.Tagger(model={self.model_name!r}, device={self.device!r})"


def _format(format: str) -> str:
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {_FORMATS}, not {format!r}")
    return format
