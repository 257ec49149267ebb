"""Shared fixtures: NCBI-disease test documents from ../shared."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
NCBI_TEST = SHARED / "data" / "corpora" / "ncbi-disease" / "original" / "test" / "NCBItestset_corpus.txt"


def ncbi_documents(limit):
    """(PMID, title + " " + abstract) of the first `limit` NCBI-disease test documents."""
    docs, title = [], None
    for line in NCBI_TEST.read_text().splitlines():
        if "|t|" in line:
            pmid, _, title = line.split("|", 2)
        elif "|a|" in line:
            docs.append((pmid, title + " " + line.split("|", 2)[2]))
            if len(docs) == limit:
                break
    return docs
