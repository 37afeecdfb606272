#!/usr/bin/env python3
"""SQuAD 1.1 (train subset + dev-a) -> tokenised training features, with synthetic no-answer negatives.

    training/.venv/bin/python training/prepare_data.py [--max-seq-length 256 --doc-stride 128 --neg-ratio 0.25]

Positives: every question with its own paragraph, windowed like the reader does at inference (question first,
context truncated "only_second" into windows of max_seq_length tokens overlapping by doc_stride). A window that
holds the whole first gold answer is labelled with its token span; a window that does not is labelled CLS (0, 0).

Negatives: SQuAD 1.1 has no unanswerable questions, so for a seeded random neg_ratio of the questions we add the
question paired with ANOTHER paragraph of the same article (same topic, so the model cannot tell by vocabulary
alone), labelled CLS. A candidate paragraph that contains any gold answer text (case-insensitive) is skipped. Only
the first window of the negative paragraph is used.

Writes training/out/data/train_features.pt (list of dicts with input_ids/token_type_ids/start/end) and
training/out/data/prep.json (counts and settings).
"""
from __future__ import annotations

import argparse
import json
import random
import sys

import torch

from common import OUT, TRAIN_FILES, load_tokenizer, read_squad, sha256, squad_file


def window_features(tok, question: str, context: str, answer: dict | None, max_len: int, stride: int,
                    first_only: bool = False) -> list[dict]:
    enc = tok(
        question.lstrip(), context, truncation="only_second", max_length=max_len, stride=stride,
        return_overflowing_tokens=True, return_offsets_mapping=True, padding=False,
    )
    feats = []
    for i in range(len(enc["input_ids"])):
        ids = enc["input_ids"][i]
        tt = enc["token_type_ids"][i]
        seq = enc.sequence_ids(i)
        offs = enc["offset_mapping"][i]
        s_pos = e_pos = 0
        if answer is not None:
            a_s = answer["answer_start"]
            a_e = a_s + len(answer["text"])
            ctx = [k for k, sid in enumerate(seq) if sid == 1]
            c0, c1 = ctx[0], ctx[-1]
            if offs[c0][0] <= a_s and offs[c1][1] >= a_e:
                s = c0
                while s <= c1 and offs[s][1] <= a_s:
                    s += 1
                e = c1
                while e >= c0 and offs[e][0] >= a_e:
                    e -= 1
                if c0 <= s <= e <= c1:
                    s_pos, e_pos = s, e
        feats.append({"input_ids": ids, "token_type_ids": tt, "start": s_pos, "end": e_pos})
        if first_only:
            break
    return feats


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-seq-length", type=int, default=256)
    ap.add_argument("--doc-stride", type=int, default=128)
    ap.add_argument("--neg-ratio", type=float, default=0.25, help="negatives per positive question")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    tok = load_tokenizer()
    rng = random.Random(a.seed)
    feats: list[dict] = []
    stats = {"questions": 0, "positive_windows": 0, "cls_windows_of_positives": 0, "negatives": 0,
             "negatives_skipped_answer_in_other_paragraph": 0, "answers_not_in_any_window": 0}
    files = {}
    for name in TRAIN_FILES:
        files[name] = sha256(squad_file(name))
        exs = read_squad(name)
        by_article: dict[int, list[str]] = {}
        for ex in exs:
            lst = by_article.setdefault(ex["article"], [])
            if not lst or lst[-1] != ex["context"]:
                if ex["context"] not in lst:
                    lst.append(ex["context"])
        for ex in exs:
            stats["questions"] += 1
            ans = ex["answers"][0]
            fs = window_features(tok, ex["question"], ex["context"], ans, a.max_seq_length, a.doc_stride)
            pos = [f for f in fs if f["start"] > 0]
            if not pos:
                stats["answers_not_in_any_window"] += 1
            stats["positive_windows"] += len(pos)
            stats["cls_windows_of_positives"] += len(fs) - len(pos)
            feats.extend(fs)
            if rng.random() < a.neg_ratio:
                others = [c for c in by_article[ex["article"]] if c != ex["context"]]
                rng.shuffle(others)
                golds = {x["text"].strip().lower() for x in ex["answers"]}
                for other in others:
                    low = other.lower()
                    if any(g and g in low for g in golds):
                        stats["negatives_skipped_answer_in_other_paragraph"] += 1
                        continue
                    feats.extend(window_features(tok, ex["question"], other, None, a.max_seq_length, a.doc_stride,
                                                 first_only=True))
                    stats["negatives"] += 1
                    break
    stats["features"] = len(feats)
    lens = sorted(len(f["input_ids"]) for f in feats)
    stats["mean_len"] = sum(lens) / len(lens)
    stats["median_len"] = lens[len(lens) // 2]
    out = OUT / "data"
    out.mkdir(parents=True, exist_ok=True)
    torch.save(feats, out / "train_features.pt")
    prep = {"settings": vars(a), "files": files, "stats": stats,
            "negatives": "question + another paragraph of the same article (not containing a gold answer), "
                         "first window only, label CLS (index 0)"}
    (out / "prep.json").write_text(json.dumps(prep, indent=2) + "\n")
    print(json.dumps(prep, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
