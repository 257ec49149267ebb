#!/usr/bin/env python3
"""The pipeline a Python user would write around the same bundle: the `tokenizers` package for
word pieces, the `onnxruntime` package for the model, argmax over the labels, BIO runs over each
word's first piece into entity spans. Run by benches/throughput.rs for the side-by-side figures.

    python3 python_pipeline.py MODEL_DIR SENTENCES_FILE THREADS LATENCY_ROUNDS

SENTENCES_FILE holds one sentence per line. Prints one JSON line: words, seconds for all
sentences (batches of 32 in file order, padded to the longest, truncated to the model's window),
and per-sentence latencies (ms) of the first LATENCY_ROUNDS sentences run one at a time.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

BATCH = 32


def main():
    model_dir, sentences_file, threads, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    manifest = json.load(open(f"{model_dir}/manifest.json"))
    labels = manifest["labels"]
    max_len = manifest["max_sequence_length"]
    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_len)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(f"{model_dir}/model.onnx", options, providers=["CPUExecutionProvider"])
    sentences = [line.rstrip("\n") for line in open(sentences_file, encoding="utf-8") if line.strip()]

    def tag(batch):
        encodings = tokenizer.encode_batch(batch)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        logits = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        best = logits.argmax(-1)
        out = []
        for row, e in enumerate(encodings):
            entities, current, seen = [], None, set()
            for piece, word in enumerate(e.word_ids):
                if word is None or word in seen:
                    continue
                seen.add(word)
                label = labels[best[row, piece]]
                start, end = e.offsets[piece]
                if label.startswith("B-") or (label.startswith("I-") and (current is None or current[2] != label[2:])):
                    current = [start, end, label[2:]]
                    entities.append(current)
                elif label.startswith("I-"):
                    current[1] = end
                else:
                    current = None
            out.append(entities)
        return out

    tag(sentences[:BATCH])  # warm-up, as the Rust side loads its session before timing
    started = time.perf_counter()
    found = 0
    for i in range(0, len(sentences), BATCH):
        found += sum(len(e) for e in tag(sentences[i : i + BATCH]))
    seconds = time.perf_counter() - started
    latencies = []
    for sentence in sentences[:rounds]:
        t = time.perf_counter()
        tag([sentence])
        latencies.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({
        "words": sum(len(s.split()) for s in sentences),
        "sentences": len(sentences),
        "seconds": seconds,
        "entities": found,
        "latencies_ms": latencies,
    }))


main()
