#!/usr/bin/env python3
"""Builds the benchmark manuscript (server/cli/benches/data/manuscript-10k.md) from the BC5CDR
and NCBI-disease test abstracts in ../shared: about 10,000 words of Markdown with headings,
bulleted lists, inline and display math and a code block, hard-wrapped at 80 columns (so that
the first 60 lines are about one screen). Deterministic: the same sources give the same file.

    python3 server/cli/benches/make_manuscript.py [../shared/data/corpora] > server/cli/benches/data/manuscript-10k.md
"""
import re
import sys
import textwrap

corpora = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/corpora"
SOURCES = [
    f"{corpora}/bc5cdr/original/CDR_TestSet.PubTator.txt",
    f"{corpora}/ncbi-disease/original/test/NCBItestset_corpus.txt",
]
TARGET_WORDS = 10_000


def abstracts(path):
    """(title, abstract) pairs of a PubTator file, in file order."""
    title = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\d+\|([ta])\|(.*)$", line.rstrip("\n"))
            if not m:
                continue
            if m.group(1) == "t":
                title = m.group(2).strip()
            elif title is not None:
                yield title, m.group(2).strip()
                title = None


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(\[])", text) if s]


def wrap(text):
    return textwrap.fill(text, width=80, break_long_words=False, break_on_hyphens=False)


def interleave(*iterables):
    iterators = [iter(i) for i in iterables]
    while iterators:
        for it in list(iterators):
            try:
                yield next(it)
            except StopIteration:
                iterators.remove(it)


def main():
    out = ["# Drug-induced disease in recent cohorts: a review", ""]
    words = 8
    for n, (title, abstract) in enumerate(interleave(*(abstracts(p) for p in SOURCES))):
        if words >= TARGET_WORDS:
            break
        out += [f"## {n + 1}. {title.rstrip('.')}", ""]
        parts = sentences(abstract)
        if n % 4 == 1 and len(parts) >= 4:
            # Findings as a bulleted list, the rest as a paragraph.
            out += [wrap(" ".join(parts[:2])), ""]
            for s in parts[2:]:
                out.append(textwrap.fill(s, width=80, initial_indent="- ", subsequent_indent="  ",
                                         break_long_words=False, break_on_hyphens=False))
            out.append("")
        else:
            half = max(1, len(parts) // 2)
            out += [wrap(" ".join(parts[:half])), ""]
            if n % 3 == 0:
                out += [wrap(f"The effect was significant ($p < 0.05$, $n = {20 + n}$)."), ""]
            if n % 7 == 2:
                out += ["$$", f"\\mathrm{{OR}} = \\frac{{a d}}{{b c}}, \\quad k = {n}", "$$", ""]
            if len(parts) > half:
                out += [wrap(" ".join(parts[half:])), ""]
        if n % 11 == 5:
            out += ["```r", f"fit <- glm(case ~ exposure + age, family = binomial, data = cohort{n})",
                    "summary(fit)", "```", ""]
        words += len(title.split()) + len(abstract.split()) + 1
    sys.stdout.write("\n".join(out))


main()
