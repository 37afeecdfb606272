#!/usr/bin/env python3
"""Export a trained BertForQuestionAnswering folder to docqa's ONNX interface and check it (any torch version).

    python3 training/gpu_export.py --ckpt /tmp/docqa-gpu/teacher --out /tmp/docqa-gpu/teacher/onnx/model.fp32.onnx

Same interface as training/export_onnx.py (the current model's): opset 17, inputs input_ids / attention_mask /
token_type_ids (int64 [batch, sequence], both axes dynamic), outputs start_logits / end_logits (float32
[batch, sequence]), from an eval-mode wrapper with eager attention. The TorchScript exporter (dynamo=False) is tried
first, as for the current model; where a newer torch lacks it, the dynamo exporter with the same names and dynamic
axes. Check (fails the script): onnxruntime vs PyTorch logits on --n question/paragraph pairs of dev-a (training
data: the check is of the export, not of the model) and a right-padded batch vs each pair alone, max abs diff < 1e-3.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["start_logits", "end_logits"]


class Wrap(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=True)
        return o.start_logits, o.end_logits


def export(model, path: Path) -> str:
    seq = 32
    args = (torch.randint(1000, 2000, (2, seq)), torch.ones(2, seq, dtype=torch.long),
            torch.zeros(2, seq, dtype=torch.long))
    dyn = {n: {0: "batch", 1: "sequence"} for n in NAMES + OUTPUTS}
    path.parent.mkdir(parents=True, exist_ok=True)
    wrap = Wrap(model).eval()
    try:
        torch.onnx.export(wrap, args, str(path), input_names=NAMES, output_names=OUTPUTS, dynamic_axes=dyn,
                          opset_version=17, do_constant_folding=True, dynamo=False)
        return "torch.onnx.export (TorchScript, dynamo=False)"
    except Exception as err:  # noqa: BLE001 -- a torch without the TorchScript exporter
        print(f"TorchScript exporter failed ({type(err).__name__}: {err}); trying dynamo=True", flush=True)
    batch = torch.export.Dim("batch", min=1)
    sequence = torch.export.Dim("sequence", min=2, max=512)
    shapes = {n: {0: batch, 1: sequence} for n in NAMES}
    torch.onnx.export(wrap, args, str(path), input_names=NAMES, output_names=OUTPUTS, dynamic_shapes=shapes,
                      opset_version=17, dynamo=True, external_data=False)
    return "torch.onnx.export (dynamo=True)"


def check(model, onnx_path: Path, tok, pairs: list[tuple[str, str]]) -> dict:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    worst = worst_pad = 0.0
    encs = []
    for q, c in pairs:
        e = tok(q, c, truncation="only_second", max_length=384, return_tensors="np")
        feeds = {k: e[k].astype(np.int64) for k in NAMES}
        encs.append(feeds)
        with torch.no_grad():
            pt = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        s, en = sess.run(OUTPUTS, feeds)
        worst = max(worst, float(np.abs(s - pt.start_logits.numpy()).max()),
                    float(np.abs(en - pt.end_logits.numpy()).max()))
    for i in range(0, len(encs), 8):
        grp = encs[i:i + 8]
        L = max(g["input_ids"].shape[1] for g in grp)
        batch = {k: np.stack([np.pad(g[k][0], (0, L - g[k].shape[1])) for g in grp]) for k in NAMES}
        bs, be = sess.run(OUTPUTS, batch)
        for j, g in enumerate(grp):
            m = g["input_ids"].shape[1]
            s, en = sess.run(OUTPUTS, g)
            worst_pad = max(worst_pad, float(np.abs(bs[j, :m] - s[0]).max()), float(np.abs(be[j, :m] - en[0]).max()))
    return {"examples": len(pairs), "ortVsPytorchMaxAbsDiff": worst, "paddedBatchVsSingleMaxAbsDiff": worst_pad}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--check-file", default="squad-v1.1-dev-a.json")
    a = ap.parse_args()
    torch.set_num_threads(2)
    import onnx
    from transformers import BertForQuestionAnswering

    from gpu_data import load_tokenizer
    from common import read_squad

    model = BertForQuestionAnswering.from_pretrained(a.ckpt, attn_implementation="eager").eval()
    out = Path(a.out)
    exporter = export(model, out)
    m = onnx.load(str(out))
    onnx.checker.check_model(m)
    got_in = [i.name for i in m.graph.input]
    got_out = [o.name for o in m.graph.output]
    if got_in != NAMES or got_out != OUTPUTS:
        raise SystemExit(f"ONNX interface {got_in} -> {got_out}, expected {NAMES} -> {OUTPUTS}")
    exs = read_squad(a.check_file)
    pairs = [(ex["question"], ex["context"]) for ex in exs[:: max(1, len(exs) // a.n)][: a.n]]
    res = check(model, out, load_tokenizer(Path(a.ckpt)), pairs)
    res["opset"] = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    res["bytes"] = out.stat().st_size
    res["exporter"] = f"{exporter}, torch {torch.__version__}"
    (out.parent / "export_check.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res), flush=True)
    if not (res["ortVsPytorchMaxAbsDiff"] < 1e-3 and res["paddedBatchVsSingleMaxAbsDiff"] < 1e-3):
        raise SystemExit(f"export check failed: {res}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
