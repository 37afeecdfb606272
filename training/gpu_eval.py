#!/usr/bin/env python3
"""Quick scores of a trained reader where it was trained (GPU: PyTorch; int8: onnxruntime on the CPU).

    python3 training/gpu_eval.py --ckpt /tmp/docqa-gpu/teacher [--onnx-int8 .../model.onnx] --out .../eval.json \
        [--limit 0] [--int8-limit 1000] [--threshold-limit 0]

Decoding and scoring as training/evaluate.py (gold paragraph, windows 384/128, best start+end span of at most 30
tokens, official SQuAD v2.0 scoring). Reported:
  - dev-b (held out), always answering: EM / F1 of the PyTorch model (fp32 weights; bf16 autocast off) and, on the
    first --int8-limit questions, of the int8 ONNX file next to fp32 on the same questions;
  - the no-answer threshold on docqa's reader score (min over windows of p_start[CLS] * p_end[CLS]), chosen as the
    best-F1 threshold on dev-a (training data) asked with its generated unanswerable questions (rules a,b,c) and
    other-paragraph negatives: optimistic, a stand-in until `docqa eval calibrate` on the calibration half of dev-b;
  - the SQuAD 2.0 sample at that threshold: HasAns / NoAns / overall F1, and the sweep's best (oracle) for reference.
dev-b and the SQuAD 2.0 sample only ever go through the model here: nothing is fitted on them.
With --ablation (a model trained on the train subset alone, gpu.sh ablation): dev-a is held out and scored with its
rule-made unanswerable questions and other-paragraph negatives (threshold = that set's best), and the SQuAD 2.0 sample
at that threshold.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HELDOUT_FILE, V2_SAMPLE_FILE, read_squad  # noqa: E402
from evaluate import predict  # noqa: E402
from squad_eval import evaluate  # noqa: E402

DECODE = SimpleNamespace(max_seq_len=384, doc_stride=128, max_answer_len=30, n_best=20, batch_size=64)


def torch_runner(ckpt: str, device: torch.device):
    from transformers import BertForQuestionAnswering

    model = BertForQuestionAnswering.from_pretrained(ckpt, attn_implementation="sdpa").to(device).eval()

    def run(feeds):
        with torch.no_grad():
            o = model(**{k: torch.from_numpy(v).to(device) for k, v in feeds.items()})
        return o.start_logits.float().cpu().numpy(), o.end_logits.float().cpu().numpy()

    return run


def ort_runner(path: str, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(["start_logits", "end_logits"], feeds)


def dataset_of(examples: list[dict]) -> list[dict]:
    return [{"paragraphs": [{"qas": [{"id": ex["id"], "answers": ex["answers"]} for ex in examples]}]}]


def score(examples, tok, run, threshold: float | None = None) -> dict:
    t0 = time.time()
    preds, _na, na_reader, nfeat = predict(examples, tok, run, DECODE)
    ds = dataset_of(examples)
    res = {"questions": len(examples), "windows": nfeat, "wall_s": round(time.time() - t0, 1),
           "always_answer": {k: v for k, v in evaluate(ds, preds).items() if k in ("exact", "f1", "total")}}
    if any(not ex["answers"] for ex in examples):
        sweep = evaluate(ds, preds, na_reader, 1.0)
        res["oracle_best_threshold"] = {"threshold": sweep["best_f1_thresh"], "f1": sweep["best_f1"]}
        if threshold is not None:
            r = evaluate(ds, preds, na_reader, threshold)
            res["at_threshold"] = {k: r[k] for k in r if k in ("exact", "f1", "HasAns_exact", "HasAns_f1",
                                                                 "NoAns_exact", "NoAns_f1", "HasAns_total",
                                                                 "NoAns_total")}
            res["at_threshold"]["threshold"] = threshold
    return res, preds, na_reader


def with_negatives(examples: list[dict], seed: int = 0) -> list[dict]:
    """dev-a questions + their rule-made unanswerable twins (rules a,b,c) + other-paragraph negatives."""
    from unanswerable import generate

    rng = random.Random(seed)
    ua, _ = generate(examples, ("a", "b", "c"), 0.5, seed)
    paras: dict = {}
    for ex in examples:
        lst = paras.setdefault(ex["article"], [])
        if ex["context"] not in lst:
            lst.append(ex["context"])
    negs = []
    for ex in examples:
        golds = {x["text"].strip().lower() for x in ex["answers"]}
        others = [c for c in paras[ex["article"]] if c != ex["context"] and not any(g and g in c.lower() for g in golds)]
        if others and rng.random() < 0.5:
            negs.append(dict(ex, id=ex["id"] + "-neg", context=rng.choice(others), answers=[]))
    return examples + [dict(id=it["id"], question=it["question"], context=it["context"], answers=[]) for it in ua] + negs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--onnx-int8", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0, help="first N dev-b questions (0: all 5,609)")
    ap.add_argument("--int8-limit", type=int, default=1000, help="first N dev-b questions for int8 vs fp32 (0: skip)")
    ap.add_argument("--threshold-limit", type=int, default=0, help="first N dev-a questions for the threshold (0: all)")
    ap.add_argument("--v2-limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=8, help="onnxruntime threads")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--ablation", action="store_true",
                    help="for a model trained WITHOUT dev-a (gpu.sh ablation): dev-a is the held-out set -- dev-a "
                         "+ its rule-made unanswerable + other-paragraph negatives, and the SQuAD 2.0 sample; no dev-b")
    a = ap.parse_args()
    from gpu_data import load_tokenizer

    tok = load_tokenizer(Path(a.ckpt))
    run = torch_runner(a.ckpt, torch.device(a.device))
    res: dict = {"ckpt": a.ckpt, "decode": vars(DECODE), "device": a.device}
    if a.ablation:
        deva = read_squad("squad-v1.1-dev-a.json")[: a.threshold_limit or None]
        res["deva_heldout"], _, _ = score(with_negatives(deva), tok, run)
        res["deva_answerable"], _, _ = score(deva, tok, run)
        thr = res["deva_heldout"]["oracle_best_threshold"]["threshold"]
        r, _, _ = score(with_negatives(deva), tok, run, thr)
        res["deva_heldout"]["at_threshold"] = r.get("at_threshold")
        v2 = read_squad(V2_SAMPLE_FILE)[: a.v2_limit or None]
        res["v2sample"], _, _ = score(v2, tok, run, thr)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps({"deva_f1": res["deva_answerable"]["always_answer"]["f1"],
                          "deva_with_unanswerable_at_best": res["deva_heldout"]["at_threshold"],
                          "v2_at_that_threshold": res["v2sample"].get("at_threshold"),
                          "v2_oracle": res["v2sample"].get("oracle_best_threshold")}), flush=True)
        return 0

    deva = read_squad("squad-v1.1-dev-a.json")
    if a.threshold_limit:
        deva = deva[: a.threshold_limit]
    thr, _, _ = score(with_negatives(deva), tok, run)
    threshold = thr["oracle_best_threshold"]["threshold"]
    res["threshold_choice"] = dict(thr, set="dev-a (training data) + rule-made unanswerable + other-paragraph "
                                              "negatives; best-F1 threshold of docqa's reader score")
    print(json.dumps({"threshold": threshold, **thr["oracle_best_threshold"]}), flush=True)

    devb = read_squad(HELDOUT_FILE)
    if a.limit:
        devb = devb[: a.limit]
    res["devb_fp32"], _, _ = score(devb, tok, run)
    print(json.dumps({"devb_fp32": res["devb_fp32"]["always_answer"]}), flush=True)
    v2 = read_squad(V2_SAMPLE_FILE)
    if a.v2_limit:
        v2 = v2[: a.v2_limit]
    res["v2sample_fp32"], _, _ = score(v2, tok, run, threshold)
    print(json.dumps({"v2sample_fp32": res["v2sample_fp32"].get("at_threshold")}), flush=True)
    if a.onnx_int8 and a.int8_limit:
        sub = devb[: a.int8_limit]
        res["devb_int8_subset"], _, _ = score(sub, tok, ort_runner(a.onnx_int8, a.threads))
        res["devb_fp32_subset"], _, _ = score(sub, tok, run)
        res["devb_int8_subset"]["vs_fp32_f1"] = round(res["devb_int8_subset"]["always_answer"]["f1"]
                                                      - res["devb_fp32_subset"]["always_answer"]["f1"], 3)
        print(json.dumps({"int8_vs_fp32_f1_first_n": res["devb_int8_subset"]["vs_fp32_f1"],
                          "n": len(sub)}), flush=True)
    res["noAnswerThreshold"] = threshold
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
