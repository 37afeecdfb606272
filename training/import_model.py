#!/usr/bin/env python3
"""A local Hugging Face extractive-QA checkpoint -> a docqa model folder (ONNX, int8, tokenizer, manifest, parity).

    training/.venv/bin/python training/import_model.py <hf-checkpoint-dir> <out-dir> [--name NAME] [--version 1.0.0]
        [--no-fp32] [--parity-file squad.json --parity-n 20] [--threads 2]
    npx docqa model import <hf-checkpoint-dir> <out-dir>          # the same, through docqa (runs this script)

The checkpoint is a folder a user downloaded (e.g. `git clone https://huggingface.co/deepset/roberta-base-squad2`):
config.json, the weights (model.safetensors or pytorch_model.bin) and a tokenizer that transformers can load as a
fast tokenizer (tokenizer.json, or vocab/merges files it converts). Nothing is downloaded (HF_HUB_OFFLINE=1).

Steps, each checked (the script fails when a check fails and leaves no half-written folder):
  1. export: AutoModelForQuestionAnswering (eager attention, eval) -> model.fp32.onnx, torch.onnx.export opset 17,
     inputs = the tokenizer's model inputs among input_ids / attention_mask / token_type_ids (int64 [batch,
     sequence], dynamic), outputs start_logits / end_logits: docqa's reader interface. onnxruntime vs PyTorch logits
     on the parity pairs, and a right-padded batch vs each pair alone: max abs diff < 1e-3.
  2. int8: onnxruntime quantize_dynamic (QInt8 weights, per channel; as training/quantize.py) -> model.onnx.
  3. tokenizer.json + tokenizer_config.json (+ special_tokens_map.json): the checkpoint's own files when it has a
     tokenizer.json, else as transformers saves the fast tokenizer it made; config.json.
  4. parity: transformers' own pipeline("question-answering") on the PyTorch model vs the same pipeline whose model
     runs the ONNX file (fp32: every answer must be identical; int8: agreement reported), on --parity-n questions
     (built-in pairs, or a SQuAD file's first questions).
  5. manifest.json: name, version, files (sha256, bytes), base (the checkpoint: architecture, model type,
     _name_or_path, sha256 of its weight files), ONNX interface, export check, parity, versions.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import sha256  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ALL_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["start_logits", "end_logits"]
PIPELINE = {"top_k": 1, "max_seq_len": 384, "doc_stride": 128, "max_answer_len": 15, "max_question_len": 64,
            "handle_impossible_answer": False, "align_to_words": True}
PAIRS = [
    ("What is the capital of France?", "Paris is the capital and most populous city of France."),
    ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601."),
    ("How many moons does Mars have?", "Mars has two small moons, Phobos and Deimos, which may be captured asteroids."),
    ("Where does the Rhine end?", "The Rhine rises in the Swiss Alps, flows through Germany and the Netherlands, and "
                                  "ends in the North Sea near Rotterdam."),
    ("When did the Berlin Wall fall?", "The Berlin Wall, built in 1961, fell on 9 November 1989 after weeks of "
                                       "protests in East Germany."),
    ("Who led the Norman conquest of England?", "In 1066, William the Conqueror led the Norman conquest of England "
                                                "and won the Battle of Hastings against Harold Godwinson."),
    ("What do bees make?", "Honey bees collect nectar from flowers and turn it into honey, which they store in wax "
                           "combs inside the hive."),
    ("What is the boiling point of water?", "At sea level water boils at 100 degrees Celsius, or 212 degrees "
                                            "Fahrenheit."),
]


def load(ckpt: Path):
    from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer

    config = AutoConfig.from_pretrained(str(ckpt))
    model = AutoModelForQuestionAnswering.from_pretrained(str(ckpt), attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(str(ckpt), use_fast=True)
    if not getattr(tok, "is_fast", False):
        raise SystemExit(f"{ckpt}: no fast tokenizer (tokenizer.json) could be made; docqa needs tokenizer.json")
    names = [n for n in ALL_INPUTS if n in tok.model_input_names]
    if "token_type_ids" in names and getattr(config, "type_vocab_size", 2) < 2:
        names.remove("token_type_ids")
    return config, model, tok, names


def export(model, names: list[str], path: Path) -> str:
    import torch

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *xs):
            o = self.m(**dict(zip(names, xs)), return_dict=True)
            return o.start_logits, o.end_logits

    seq = 16
    dummy = {"input_ids": torch.randint(5, 100, (2, seq)), "attention_mask": torch.ones(2, seq, dtype=torch.long),
             "token_type_ids": torch.zeros(2, seq, dtype=torch.long)}
    args = tuple(dummy[n] for n in names)
    dyn = {n: {0: "batch", 1: "sequence"} for n in names + OUTPUTS}
    try:
        torch.onnx.export(Wrap(model).eval(), args, str(path), input_names=names, output_names=OUTPUTS,
                          dynamic_axes=dyn, opset_version=17, do_constant_folding=True, dynamo=False)
        return f"torch.onnx.export (TorchScript, dynamo=False), torch {torch.__version__}"
    except Exception as err:  # noqa: BLE001 -- a torch without the TorchScript exporter
        print(f"TorchScript exporter failed ({err}); trying dynamo=True", file=sys.stderr)
    b, s = torch.export.Dim("batch", min=1), torch.export.Dim("sequence", min=2, max=4096)
    torch.onnx.export(Wrap(model).eval(), args, str(path), input_names=names, output_names=OUTPUTS,
                      dynamic_shapes=tuple({0: b, 1: s} for _ in names), opset_version=17, dynamo=True,
                      external_data=False)
    return f"torch.onnx.export (dynamo=True), torch {torch.__version__}"


def session(path: Path, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def check_export(model, tok, names, sess, pairs) -> dict:
    import torch

    worst = worst_pad = 0.0
    encs = []
    for q, c in pairs:
        e = tok(q, c, truncation="only_second", max_length=384, return_tensors="np")
        feeds = {n: e[n].astype(np.int64) for n in names}
        encs.append(feeds)
        with torch.no_grad():
            pt = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        s, en = sess.run(OUTPUTS, feeds)
        worst = max(worst, float(np.abs(s - pt.start_logits.numpy()).max()),
                    float(np.abs(en - pt.end_logits.numpy()).max()))
    L = max(f["input_ids"].shape[1] for f in encs)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    batch = {n: np.stack([np.pad(f[n][0], (0, L - f[n].shape[1]), constant_values=pad_id if n == "input_ids" else 0)
                          for f in encs]) for n in names}
    bs, be = sess.run(OUTPUTS, batch)
    for j, f in enumerate(encs):
        m = f["input_ids"].shape[1]
        s, en = sess.run(OUTPUTS, f)
        worst_pad = max(worst_pad, float(np.abs(bs[j, :m] - s[0]).max()), float(np.abs(be[j, :m] - en[0]).max()))
    return {"pairs": len(encs), "ortVsPytorchMaxAbsDiff": worst, "paddedBatchVsSingleMaxAbsDiff": worst_pad}


def pipeline_answers(model, tok, pairs) -> list[dict]:
    import transformers
    from transformers import pipeline

    try:
        qa = pipeline("question-answering", model=model, tokenizer=tok, device=-1)
    except KeyError as err:  # transformers 5 dropped the question-answering pipeline
        raise SystemExit(f"transformers {transformers.__version__} has no question-answering pipeline for the parity "
                         "check: use the training venv (training/requirements.txt pins transformers 4.57.6)") from err
    out = []
    for q, c in pairs:
        r = qa(question=q, context=c, **PIPELINE)
        out.append({"answer": r["answer"], "start": int(r["start"]), "end": int(r["end"]),
                    "score": float(r["score"])})
    return out


def onnx_backed(model, sess, names):
    """The same transformers model object with its forward replaced by an onnxruntime run (pipeline-compatible)."""
    import torch
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    def forward(input_ids=None, attention_mask=None, token_type_ids=None, **_kw):
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        feeds = {n: given[n].cpu().numpy().astype(np.int64) if given[n] is not None
                 else np.zeros_like(input_ids.cpu().numpy(), dtype=np.int64) for n in names}
        s, e = sess.run(OUTPUTS, feeds)
        return QuestionAnsweringModelOutput(start_logits=torch.from_numpy(s), end_logits=torch.from_numpy(e))

    model.forward = forward
    return model


def compare(ref: list[dict], got: list[dict]) -> dict:
    same = sum(r["answer"] == g["answer"] and r["start"] == g["start"] and r["end"] == g["end"] for r, g in zip(ref, got))
    return {"questions": len(ref), "identicalAnswers": same,
            "maxScoreDiff": max((abs(r["score"] - g["score"]) for r, g in zip(ref, got)), default=0.0)}


def parity_pairs(a) -> list[tuple[str, str]]:
    if not a.parity_file:
        return PAIRS[: a.parity_n]
    data = json.loads(Path(a.parity_file).read_text())["data"]
    out = [(qa["question"], p["context"]) for art in data for p in art["paragraphs"] for qa in p["qas"]]
    return out[: a.parity_n]


def run(a) -> dict:
    import onnx
    import onnxruntime
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic

    torch.set_num_threads(a.threads)
    ckpt = Path(a.checkpoint)
    if not (ckpt / "config.json").is_file():
        raise SystemExit(f"{ckpt}: not a Hugging Face checkpoint folder (no config.json)")
    config, model, tok, names = load(ckpt)
    archs = getattr(config, "architectures", None) or [type(model).__name__]
    if not any(x.endswith("ForQuestionAnswering") for x in archs):
        print(f"warning: {ckpt} declares {archs}, not a *ForQuestionAnswering head: its QA head may be untrained",
              file=sys.stderr)
    out = Path(a.out)
    if out.exists() and any(out.iterdir()) and not a.force:
        raise SystemExit(f"{out} exists and is not empty (use --force to replace it)")
    pairs = parity_pairs(a)
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=str(out.parent if out.parent.exists() else Path("."))))
    try:
        t0 = time.time()
        fp32 = tmp / "model.fp32.onnx"
        exporter = export(model, names, fp32)
        m = onnx.load(str(fp32))
        onnx.checker.check_model(m)
        got = ([i.name for i in m.graph.input], [o.name for o in m.graph.output])
        if got != (names, OUTPUTS):
            raise SystemExit(f"exported interface {got}, expected {(names, OUTPUTS)}")
        sess32 = session(fp32, a.threads)
        check = check_export(model, tok, names, sess32, pairs)
        if not (check["ortVsPytorchMaxAbsDiff"] < 1e-3 and check["paddedBatchVsSingleMaxAbsDiff"] < 1e-3):
            raise SystemExit(f"export check failed: {check}")
        int8 = tmp / "model.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        onnx.checker.check_model(onnx.load(str(int8)))
        sess8 = session(int8, a.threads)

        with tempfile.TemporaryDirectory() as td:
            tok.save_pretrained(td)
            for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
                # the checkpoint's own file when it has one (byte for byte), else what transformers saves
                src = ckpt / name if (ckpt / "tokenizer.json").exists() and (ckpt / name).exists() else Path(td) / name
                if src.exists():
                    shutil.copyfile(src, tmp / name)
        if not (tmp / "tokenizer.json").exists():
            raise SystemExit("the tokenizer did not save a tokenizer.json")
        config.to_json_file(str(tmp / "config.json"))

        ref = pipeline_answers(model, tok, pairs)
        got32 = pipeline_answers(onnx_backed(model, sess32, names), tok, pairs)
        got8 = pipeline_answers(onnx_backed(model, sess8, names), tok, pairs)
        parity = {"reference": "transformers.pipeline('question-answering') on the PyTorch checkpoint",
                  "settings": PIPELINE, "source": a.parity_file or "built-in pairs",
                  "fp32Onnx": compare(ref, got32), "int8Onnx": compare(ref, got8),
                  "items": [{"question": q, "context": c[:200], "pytorch": r, "fp32": g, "int8": h}
                            for (q, c), r, g, h in zip(pairs, ref, got32, got8)]}
        if parity["fp32Onnx"]["identicalAnswers"] != len(pairs):
            raise SystemExit(f"parity failed: fp32 ONNX vs transformers pipeline {parity['fp32Onnx']}")
        if a.no_fp32:
            fp32.unlink()
        files = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(tmp.iterdir()) if p.is_file()}
        weights = {p.name: sha256(p) for p in sorted(ckpt.iterdir())
                   if p.is_file() and (p.suffix in (".safetensors", ".bin") or p.name.endswith(".index.json"))}
        manifest = {
            "name": a.name or ckpt.resolve().name,
            "version": a.version,
            "task": "extractive-question-answering",
            "architecture": f"{archs[0]} ({config.model_type}: {getattr(config, 'num_hidden_layers', '?')} layers, "
                            f"hidden {getattr(config, 'hidden_size', '?')})",
            "files": files,
            "default": "model.onnx (dynamic int8, per channel)" + ("" if a.no_fp32 else
                                                                    "; model.fp32.onnx is the same model in fp32"),
            "base": {"checkpoint": str(ckpt.resolve()), "nameOrPath": getattr(config, "_name_or_path", "") or None,
                     "modelType": config.model_type, "architectures": archs, "weightsSha256": weights},
            "onnx": {"opset": 17, "inputs": {n: "int64 [batch, sequence]" for n in names},
                     "outputs": {n: "float32 [batch, sequence]" for n in OUTPUTS}, "exporter": exporter,
                     "quantization": f"onnxruntime {onnxruntime.__version__} quantize_dynamic, QInt8, per_channel",
                     "exportCheck": check},
            "tokenizer": {"class": type(tok).__name__, "modelInputNames": list(tok.model_input_names)},
            "parity": parity,
            "importedWith": {"script": "training/import_model.py", "torch": torch.__version__,
                             "transformers": transformers.__version__, "onnx": onnx.__version__,
                             "onnxruntime": onnxruntime.__version__, "wall_s": round(time.time() - t0, 1)},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", help="a local Hugging Face QA checkpoint folder")
    ap.add_argument("out", help="the docqa model folder to write")
    ap.add_argument("--name", default="", help="model name in the manifest (default: the checkpoint folder's name)")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--no-fp32", action="store_true", help="keep only the int8 model.onnx")
    ap.add_argument("--parity-file", default="", help="SQuAD JSON whose first --parity-n questions check parity")
    ap.add_argument("--parity-n", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="replace a non-empty out folder")
    a = ap.parse_args(argv)
    m = run(a)
    p = m["parity"]
    print(f"{a.out}: {m['name']} {m['version']} ({m['architecture']}); "
          + ", ".join(f"{k} {v['bytes']:,} B" for k, v in m["files"].items()))
    print(f"export check: ORT vs PyTorch max abs diff {m['onnx']['exportCheck']['ortVsPytorchMaxAbsDiff']:.2e}, "
          f"padded batch {m['onnx']['exportCheck']['paddedBatchVsSingleMaxAbsDiff']:.2e}")
    print(f"parity with transformers' pipeline: fp32 ONNX {p['fp32Onnx']['identicalAnswers']}/{p['fp32Onnx']['questions']}"
          f" identical, int8 {p['int8Onnx']['identicalAnswers']}/{p['int8Onnx']['questions']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
