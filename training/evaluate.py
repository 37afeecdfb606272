#!/usr/bin/env python3
"""Evaluate a QA model on a SQuAD file with gold paragraphs, scored by the official SQuAD v2.0 logic.

    training/.venv/bin/python training/evaluate.py --onnx models/minilm-l6-squad/model.onnx --file squad-v1.1-dev-b.json
    training/.venv/bin/python training/evaluate.py --torch training/out/model --file squad-v1.1-dev-b.json --limit 500
    training/.venv/bin/python training/evaluate.py --onnx ... --file squad-v2.0-dev-sample.json

Decoding (the same for every backend): each question with its own paragraph, windows of --max-seq-len tokens
(question first, context truncated only_second, overlap --doc-stride); in each window the best span among the top-20
start and top-20 end context tokens with start <= end and length <= --max-answer-len tokens, scored start_logit +
end_logit; the best span over all windows is the prediction. The no-answer score is start_logit[CLS] +
end_logit[CLS], minimum over windows; na_prob = sigmoid(null_score - best_span_score) feeds the official threshold
sweep (so na_prob 0.5 <=> logit margin 0; the best threshold is also reported as a logit margin).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from common import load_tokenizer, read_squad, squad_file
from squad_eval import evaluate

NAMES = ["input_ids", "attention_mask", "token_type_ids"]


def make_runner(a):
    if a.onnx:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
        return lambda feeds: sess.run(["start_logits", "end_logits"], feeds)
    import torch
    from transformers import BertForQuestionAnswering

    torch.set_num_threads(a.threads)
    model = BertForQuestionAnswering.from_pretrained(a.torch).eval()

    def run(feeds):
        with torch.no_grad():
            o = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        return o.start_logits.numpy(), o.end_logits.numpy()

    return run


def predict(examples, tok, run, a):
    feats = []  # (example index, ids, tt, offsets, context mask)
    for i, ex in enumerate(examples):
        enc = tok(ex["question"].lstrip(), ex["context"], truncation="only_second", max_length=a.max_seq_len,
                  stride=a.doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)
        for w in range(len(enc["input_ids"])):
            seq = enc.sequence_ids(w)
            feats.append((i, enc["input_ids"][w], enc["token_type_ids"][w], enc["offset_mapping"][w],
                          np.array([s == 1 for s in seq])))
    order = sorted(range(len(feats)), key=lambda k: len(feats[k][1]))
    logits = [None] * len(feats)
    for b in range(0, len(order), a.batch_size):
        idx = order[b:b + a.batch_size]
        L = max(len(feats[k][1]) for k in idx)
        ids = np.zeros((len(idx), L), np.int64)
        tt = np.zeros((len(idx), L), np.int64)
        am = np.zeros((len(idx), L), np.int64)
        for r, k in enumerate(idx):
            n = len(feats[k][1])
            ids[r, :n] = feats[k][1]
            tt[r, :n] = feats[k][2]
            am[r, :n] = 1
        s, e = run({"input_ids": ids, "attention_mask": am, "token_type_ids": tt})
        for r, k in enumerate(idx):
            n = len(feats[k][1])
            logits[k] = (s[r, :n], e[r, :n])
    best = {}  # example -> (score, text, null)
    null_p = {}  # example -> min over windows of p_start[CLS] * p_end[CLS] (docqa reader / HF pipeline score)
    for k, (i, ids, tt, offs, cmask) in enumerate(feats):
        s, e = logits[k]
        null = float(s[0] + e[0])
        allowed = cmask.copy()
        allowed[0] = True  # softmax over CLS + context tokens, as the pipeline's p_mask
        ps = np.exp(np.where(allowed, s, -10000.0) - np.where(allowed, s, -10000.0).max())
        pe = np.exp(np.where(allowed, e, -10000.0) - np.where(allowed, e, -10000.0).max())
        np_ = float(ps[0] / ps.sum() * pe[0] / pe.sum())
        null_p[i] = min(null_p.get(i, 1e9), np_)
        cs = np.where(cmask, s, -1e9)
        ce = np.where(cmask, e, -1e9)
        top_s = np.argsort(-cs)[: a.n_best]
        top_e = np.argsort(-ce)[: a.n_best]
        cur = best.get(i, (-1e18, "", 1e18))
        b_score, b_text, b_null = cur
        for si in top_s:
            if not cmask[si]:
                continue
            for ei in top_e:
                if not cmask[ei] or ei < si or ei - si + 1 > a.max_answer_len:
                    continue
                sc = float(cs[si] + ce[ei])
                if sc > b_score:
                    b_score = sc
                    b_text = examples[i]["context"][offs[si][0]:offs[ei][1]]
        best[i] = (b_score, b_text, min(b_null, null))
    preds, na, na_reader = {}, {}, {}
    for i, ex in enumerate(examples):
        na_reader[ex["id"]] = null_p[i]
        sc, text, null = best[i]
        preds[ex["id"]] = text
        # official na_prob in (0, 1): sigmoid of the logit margin null - best span (0.5 <=> margin 0)
        na[ex["id"]] = float(1.0 / (1.0 + np.exp(-(null - sc))))
    return preds, na, na_reader, len(feats)


def main() -> int:
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--onnx")
    g.add_argument("--torch")
    ap.add_argument("--file", default="squad-v1.1-dev-b.json")
    ap.add_argument("--limit", type=int, default=0, help="first N questions in file order (0: all)")
    ap.add_argument("--max-seq-len", type=int, default=384)
    ap.add_argument("--doc-stride", type=int, default=128)
    ap.add_argument("--max-answer-len", type=int, default=30)
    ap.add_argument("--n-best", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tokenizer", default=None, help="folder with tokenizer.json (default: shared vocab.txt)")
    ap.add_argument("--add-negatives", type=int, default=0,
                    help="also ask every question against another paragraph of the same article that does not "
                         "contain a gold answer (id + '-neg', unanswerable): the situation of a retrieved passage "
                         "that does not hold the answer")
    ap.add_argument("--threshold", type=float, default=None,
                    help="also score at this docqa no-answer threshold (chosen elsewhere, e.g. on dev-a)")
    ap.add_argument("--out", help="write results (and predictions) as JSON here")
    a = ap.parse_args()

    tok = load_tokenizer(Path(a.tokenizer) if a.tokenizer else None)
    examples = read_squad(a.file)
    if a.limit:
        examples = examples[: a.limit]
    ids = {ex["id"] for ex in examples}
    dataset = json.loads(squad_file(a.file).read_text())["data"]
    if a.limit:  # keep only the evaluated questions
        for art in dataset:
            for p in art["paragraphs"]:
                p["qas"] = [q for q in p["qas"] if q["id"] in ids]
    if a.add_negatives:
        import random

        rng = random.Random(0)
        paras: dict = {}
        for ex in examples:
            lst = paras.setdefault(ex["article"], [])
            if ex["context"] not in lst:
                lst.append(ex["context"])
        if a.limit:  # other paragraphs come from the whole article, not only the evaluated part
            for ex in read_squad(a.file):
                lst = paras.setdefault(ex["article"], [])
                if ex["context"] not in lst:
                    lst.append(ex["context"])
        negs = []
        for ex in examples:
            golds = {x["text"].strip().lower() for x in ex["answers"]}
            others = [c for c in paras[ex["article"]] if c != ex["context"]
                      and not any(g and g in c.lower() for g in golds)]
            if others:
                negs.append(dict(ex, id=ex["id"] + "-neg", context=rng.choice(others), answers=[]))
        examples = examples + negs
        dataset = [{"paragraphs": [{"qas": [{"id": ex["id"], "answers": ex["answers"]} for ex in examples]}]}]
    run = make_runner(a)
    t0 = time.time()
    preds, na, na_reader, nfeat = predict(examples, tok, run, a)
    wall = time.time() - t0
    res = {
        "model": a.onnx or a.torch,
        "backend": "onnxruntime" if a.onnx else "pytorch",
        "file": a.file,
        "questions": len(examples),
        "windows": nfeat,
        "settings": {k: getattr(a, k) for k in ("max_seq_len", "doc_stride", "max_answer_len", "n_best", "batch_size",
                                                 "threads")},
        "wall_s": round(wall, 1),
        "always_answer": evaluate(dataset, preds),
        "no_answer_margin_0": evaluate(dataset, preds, na, 0.5),
    }
    best_t = res["no_answer_margin_0"]["best_f1_thresh"]
    res["no_answer_best_f1_threshold"] = evaluate(dataset, preds, na, best_t)
    p = min(max(best_t, 1e-12), 1 - 1e-12)
    res["best_f1_thresh_as_logit_margin"] = float(np.log(p / (1 - p)))
    # the same sweep with docqa's no-answer score (min over windows of softmax p_start[CLS] * p_end[CLS]);
    # its best threshold is what models/<name>/manifest.json recommends as eval.noAnswerThreshold
    r = evaluate(dataset, preds, na_reader, 1.0)
    res["reader_score_best_f1_thresh"] = r["best_f1_thresh"]
    res["reader_score_best_f1"] = r["best_f1"]
    res["reader_score_at_best_f1_threshold"] = evaluate(dataset, preds, na_reader, r["best_f1_thresh"])
    if a.threshold is not None:
        res["reader_score_at_given_threshold"] = dict(evaluate(dataset, preds, na_reader, a.threshold),
                                                      threshold=a.threshold)
    print(json.dumps({k: v for k, v in res.items()}, indent=1))
    if a.out:
        res["predictions"] = preds
        res["na_scores"] = {k: round(v, 4) for k, v in na.items()}
        res["reader_null_scores"] = {k: round(v, 6) for k, v in na_reader.items()}
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
