#!/usr/bin/env bash
# Scores a bundle on the test split of every shared corpus, writes the scores to the bundle's
# evaluation.tsv (which `bioscope model card` reads) and prints them as a Markdown table
# (strict and overlap P/R/F1 per type, only the types each corpus annotates).
#   bash models/evaluate.sh models/bioscope-union [../shared/data/corpora]
# With SPLIT=dev it scores the development splits instead, the same way, and only prints them
# (what choices between models and rules are made on; S800's dev documents are in S1000's
# training split, so S800 has no dev row).
# Needs ORT_DYLIB_PATH (bash .ci/setup prints it) and a release build of bioscope.
set -euo pipefail
model=${1:?usage: [SPLIT=dev] evaluate.sh MODEL_DIR [CORPORA_DIR]}
corpora=${2:-../shared/data/corpora}
bioscope=${BIOSCOPE:-target/release/bioscope}
split_kind=${SPLIT:-test}

# corpus label | file | format | types to score (empty: those of the gold mentions)
if [[ $split_kind == dev ]]; then
splits=(
  "NCBI-disease dev|ncbi-disease/iob-mtl2016/devel.tsv|iob|"
  "BC5CDR dev|bc5cdr/iob-mtl2016/BC5CDR-IOB/devel.tsv|iob|"
  "BC2GM dev|bc2gm/iob-mtl2016/devel.tsv|iob|"
  "JNLPBA dev|jnlpba/iob-derived/devel_mtl2016_docs.tsv|iob|"
  "LINNAEUS dev|linnaeus/iob-mtl2016/devel.tsv|iob|"
  "S1000 dev|s1000/iob-derived/dev.tsv|iob|"
  "BioNLP13CG dev (no Disease: cancers only)|bionlp13cg/iob-mtl2016/devel.tsv|iob|Gene,Chemical,Species,CellType"
)
pubtator=(
  "NCBI-disease dev, PubTator text|ncbi-disease/original/devel/NCBIdevelopset_corpus.txt"
  "BC5CDR dev, PubTator text|bc5cdr/original/CDR_DevelopmentSet.PubTator.txt"
  "BioRED dev, PubTator text|biored/original/Dev.PubTator"
)
elif [[ $split_kind == test ]]; then
splits=(
  "NCBI-disease test|ncbi-disease/iob-mtl2016/test.tsv|iob|"
  "BC5CDR test|bc5cdr/iob-mtl2016/BC5CDR-IOB/test.tsv|iob|"
  "BC2GM test|bc2gm/iob-mtl2016/test.tsv|iob|"
  "JNLPBA test|jnlpba/iob-mtl2016/test.tsv|iob|"
  "LINNAEUS test|linnaeus/iob-mtl2016/test.tsv|iob|"
  "S800 test|s800/iob-derived/test.tsv|iob|"
  "S1000 test|s1000/iob-derived/test.tsv|iob|"
  "BioNLP13CG test (no Disease: cancers only)|bionlp13cg/iob-mtl2016/test.tsv|iob|Gene,Chemical,Species,CellType"
  "BioRED dev (no test split shared)|biored/iob-derived/dev.tsv|iob|"
)
# Raw PubTator documents through the analysis pipeline of `bioscope tag` (BioScope splits the
# words and sentences itself; recall recovery, abbreviation consistency), scored by character
# offsets: the same figures as `tag --format pubtator` followed by `score`.
pubtator=(
  "NCBI-disease test, PubTator text|ncbi-disease/original/test/NCBItestset_corpus.txt"
  "BC5CDR test, PubTator text|bc5cdr/original/CDR_TestSet.PubTator.txt"
)
else
  echo "SPLIT must be test or dev, not $split_kind" >&2
  exit 2
fi

# Tab-separated rows from bioscope's strict and overlap tables (the "all" row only for several
# types).
rows() {
  awk -v label="$1" '
    /^strict/ { part = "strict"; next }
    /^overlap/ { part = "overlap"; next }
    part != "" && $1 != "type" && NF == 7 {
      if (part == "strict") { order[++n] = $1; p[$1] = $2; r[$1] = $3; f[$1] = $4 }
      else { o[$1] = $4 }
    }
    END {
      for (i = 1; i <= n; i++) {
        t = order[i]
        if (t == "all" && n == 2) continue
        printf "%s\t%s\t%s\t%s\t%s\t%s\n", label, t, p[t], r[t], f[t], o[t]
      }
    }'
}

scores=$(mktemp)
trap 'rm -f "$scores"' EXIT
printf 'corpus\ttype\tstrict_p\tstrict_r\tstrict_f1\toverlap_f1\n' >"$scores"
for split in "${splits[@]}"; do
  IFS='|' read -r label file format types <<<"$split"
  args=(eval --model "$model" --corpus "$corpora/$file" --format "$format")
  [[ -n $types ]] && args+=(--types "$types")
  "$bioscope" "${args[@]}" | rows "$label" >>"$scores"
done

for split in "${pubtator[@]}"; do
  IFS='|' read -r label file <<<"$split"
  "$bioscope" eval --model "$model" --corpus "$corpora/$file" --format pubtator | rows "$label" >>"$scores"
done
[[ $split_kind == test ]] && cp "$scores" "$model/evaluation.tsv"
echo "| corpus | type | strict P | strict R | strict F1 | overlap F1 |"
echo "|---|---|---|---|---|---|"
tail -n +2 "$scores" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }'
if [[ $split_kind == test ]]; then
  echo "wrote $model/evaluation.tsv; \`bioscope model card $model\` prints the card's section" >&2
fi
