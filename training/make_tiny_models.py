#!/usr/bin/env python3
"""Build two tiny, random-weight, deterministic extractive-QA models for docqa's tests.

    training/.venv/bin/python training/make_tiny_models.py [--out test/fixtures/models] [--models roberta,bert,xlmr]

Writes
    <out>/tiny-roberta-qa/  RobertaForQuestionAnswering + the real roberta-base BPE tokenizer
    <out>/tiny-bert-qa/     BertForQuestionAnswering + the bert-base-uncased WordPiece tokenizer
    <out>/tiny-xlmr-qa/     XLMRobertaForQuestionAnswering + a SentencePiece Unigram tokenizer trained here (XLM-R
                            layout: Precompiled nmt_nfkc normalizer, Metaspace, <s> q </s></s> c </s>)
each with model.onnx, config.json, tokenizer.json, tokenizer_config.json, reference.json and manifest.json.
The source tokenizers come from the data folder (tokenizers/roberta-base, tokenizers/bert-base-uncased/vocab.txt,
and squad/squad-v1.1-train-subset.json as the SentencePiece training text): $SHARED_DATA_DIR, else data/.

The weights are random (seeded), so the answers are meaningless; the models exist so that the TypeScript
reader can be tested end to end (tokenizer -> ONNX -> logits -> spans) in milliseconds. The script checks
that onnxruntime reproduces PyTorch's logits and that right-padding with attention_mask 0 leaves the
logits of the real positions unchanged, exactly as with a real model.

reference.json holds, for a few question/context pairs, the token ids this tokenizer produces (pair
encoding, no truncation) and PyTorch's start/end logits, so a TypeScript test can check its tokenizer
and its ONNX run against Python without Python.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForQuestionAnswering,
    BertTokenizerFast,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForQuestionAnswering,
    XLMRobertaConfig,
    XLMRobertaForQuestionAnswering,
    XLMRobertaTokenizerFast,
)

from common import REPO, data_file, sha256  # noqa: E402

SEED = 1234
VERSION = "1.0.0"
TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    initializer_range=0.02,
)
# The QA head is re-initialised with a larger std so that the logits spread over a few units: with the
# default 0.02 every logit is ~0.1 and argmax ties would make the tests fragile.
QA_HEAD_STD = 0.5

SAMPLES = [
    ("What is the capital of France?", "Paris is the capital and most populous city of France."),
    ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601."),
    ("  How many moons does Mars have? ", "Mars has two small moons, Phobos and Deimos, which may be captured asteroids."),
]


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def build_model(kind: str, vocab_size: int):
    seed_all(SEED)
    if kind == "xlmr":
        cfg = XLMRobertaConfig(
            vocab_size=vocab_size,
            max_position_embeddings=514,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            layer_norm_eps=1e-5,
            **TINY,
        )
        cfg._attn_implementation = "eager"
        model = XLMRobertaForQuestionAnswering(cfg)
    elif kind == "roberta":
        cfg = RobertaConfig(
            vocab_size=50265,
            max_position_embeddings=514,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            layer_norm_eps=1e-5,
            **TINY,
        )
        cfg._attn_implementation = "eager"
        model = RobertaForQuestionAnswering(cfg)
    else:
        cfg = BertConfig(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, pad_token_id=0, **TINY)
        cfg._attn_implementation = "eager"
        model = BertForQuestionAnswering(cfg)
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        model.qa_outputs.weight.copy_(torch.randn(model.qa_outputs.weight.shape, generator=g) * QA_HEAD_STD)
        model.qa_outputs.bias.zero_()
    model.eval()
    return model


# SentencePiece Unigram training of the tiny XLM-R tokenizer: deterministic (one thread, every sentence, no sampling)
SPM_VOCAB = 8000
SPM_TEXT = "squad-v1.1-train-subset.json"


def train_sentencepiece(out: Path) -> tuple[Path, str]:
    """A SentencePiece Unigram model (nmt_nfkc normalization, as XLM-R's) trained on the SQuAD paragraphs of SPM_TEXT."""
    import sentencepiece as spm

    src = data_file("squad", SPM_TEXT)
    seen: set[str] = set()
    lines = []
    for art in json.loads(src.read_text())["data"]:
        for par in art["paragraphs"]:
            text = " ".join(par["context"].split())
            if text not in seen:
                seen.add(text)
                lines.append(text)
    corpus = out / "spm-corpus.txt"
    corpus.write_text("\n".join(lines) + "\n")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(out / "spm"), model_type="unigram", vocab_size=SPM_VOCAB,
        character_coverage=0.9995, normalization_rule_name="nmt_nfkc", num_threads=1, input_sentence_size=0,
        shuffle_input_sentence=False, max_sentence_length=1 << 16, minloglevel=2,
    )
    corpus.unlink()
    return out / "spm.model", (f"SentencePiece {spm.__version__} Unigram, vocab {SPM_VOCAB}, nmt_nfkc, trained on the "
                               f"{len(lines)} paragraphs of squad/{SPM_TEXT} (sha256 {sha256(src)})")


def build_tokenizer(kind: str, out: Path):
    if kind == "xlmr":
        tmp = out / "_tok"
        tmp.mkdir()
        spm_model, how = train_sentencepiece(tmp)
        # transformers' own conversion of a SentencePiece model to tokenizer.json (XLMRobertaConverter)
        tok = XLMRobertaTokenizerFast(vocab_file=str(spm_model), model_max_length=512)
        tok.save_pretrained(str(tmp / "saved"))
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(tmp / "saved" / name, out / name)
        shutil.rmtree(tmp)
        tok = XLMRobertaTokenizerFast(tokenizer_file=str(out / "tokenizer.json"), model_max_length=512)
        return tok, [how]
    if kind == "roberta":
        src = data_file("tokenizers", "roberta-base")
        shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
        shutil.copyfile(src / "tokenizer_config.json", out / "tokenizer_config.json")
        tok = PreTrainedTokenizerFast(
            tokenizer_file=str(out / "tokenizer.json"),
            bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
            unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=512,
        )
        return tok, ["data/tokenizers/roberta-base/tokenizer.json", "data/tokenizers/roberta-base/tokenizer_config.json"]
    vocab = data_file("tokenizers", "bert-base-uncased", "vocab.txt")
    tok = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True, model_max_length=512)
    tmp = out / "_tok"
    tok.save_pretrained(str(tmp))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tmp / name, out / name)
    shutil.rmtree(tmp)
    # Reload from the files we ship, so that what we test is what we ship.
    tok = BertTokenizerFast(tokenizer_file=str(out / "tokenizer.json"), do_lower_case=True, model_max_length=512)
    return tok, ["data/tokenizers/bert-base-uncased/vocab.txt"]


def export(model, input_names, path: Path) -> None:
    seq = 16
    dummy = {
        "input_ids": torch.randint(5, 1000, (2, seq), dtype=torch.long),
        "attention_mask": torch.ones(2, seq, dtype=torch.long),
    }
    if "token_type_ids" in input_names:
        dummy["token_type_ids"] = torch.zeros(2, seq, dtype=torch.long)
    args = tuple(dummy[n] for n in input_names)
    dyn = {n: {0: "batch", 1: "sequence"} for n in input_names}
    dyn.update({"start_logits": {0: "batch", 1: "sequence"}, "end_logits": {0: "batch", 1: "sequence"}})

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *xs):
            o = self.m(**dict(zip(input_names, xs)), return_dict=True)
            return o.start_logits, o.end_logits

    torch.onnx.export(
        Wrap(model).eval(), args, str(path), input_names=list(input_names), output_names=["start_logits", "end_logits"],
        dynamic_axes=dyn, opset_version=17, do_constant_folding=True, dynamo=False,
    )


def encode(tok, q: str, c: str, names):
    enc = tok(q, c, return_tensors="np")
    return {n: enc[n].astype(np.int64) for n in names}


def verify(model, sess, tok, names) -> dict:
    worst_ort = 0.0
    worst_pad = 0.0
    for q, c in SAMPLES:
        feeds = encode(tok, q, c, names)
        with torch.no_grad():
            pt = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        s, e = sess.run(["start_logits", "end_logits"], feeds)
        worst_ort = max(worst_ort, float(np.abs(s - pt.start_logits.numpy()).max()),
                        float(np.abs(e - pt.end_logits.numpy()).max()))
        # pad to a longer length with attention_mask 0 and the tokenizer's pad id
        n = feeds["input_ids"].shape[1]
        extra = 23
        padded = {}
        for k, v in feeds.items():
            fill = tok.pad_token_id if k == "input_ids" else 0
            padded[k] = np.concatenate([v, np.full((1, extra), fill, dtype=np.int64)], axis=1)
        ps, pe = sess.run(["start_logits", "end_logits"], padded)
        worst_pad = max(worst_pad, float(np.abs(ps[:, :n] - s).max()), float(np.abs(pe[:, :n] - e).max()))
    # batch of two different lengths, right-padded
    encs = [encode(tok, q, c, names) for q, c in SAMPLES[:2]]
    L = max(x["input_ids"].shape[1] for x in encs)
    batch = {k: np.stack([np.concatenate([x[k][0], np.full(L - x[k].shape[1],
                          tok.pad_token_id if k == "input_ids" else 0, dtype=np.int64)]) for x in encs])
             for k in names}
    bs, be = sess.run(["start_logits", "end_logits"], batch)
    for i, x in enumerate(encs):
        n = x["input_ids"].shape[1]
        s, e = sess.run(["start_logits", "end_logits"], x)
        worst_pad = max(worst_pad, float(np.abs(bs[i, :n] - s[0]).max()), float(np.abs(be[i, :n] - e[0]).max()))
    assert worst_ort < 1e-4, f"ORT vs PyTorch max abs diff {worst_ort}"
    assert worst_pad < 1e-4, f"padding changed real logits by {worst_pad}"
    return {"ortVsPytorchMaxAbsDiff": worst_ort, "paddingMaxAbsDiff": worst_pad}


def reference(model, tok, names) -> list:
    out = []
    for q, c in SAMPLES:
        feeds = encode(tok, q, c, names)
        with torch.no_grad():
            pt = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        item = {"question": q, "context": c}
        for k, v in feeds.items():
            item[k] = v[0].tolist()
        item["start_logits"] = [round(float(x), 5) for x in pt.start_logits[0]]
        item["end_logits"] = [round(float(x), 5) for x in pt.end_logits[0]]
        out.append(item)
    return out


TOKENIZER_TYPES = {
    "roberta": "byte-level BPE (roberta-base)",
    "bert": "WordPiece, uncased",
    "xlmr": "SentencePiece Unigram (XLM-R layout: Precompiled nmt_nfkc normalizer, Metaspace pre-tokenizer)",
}


def make(kind: str, root: Path) -> None:
    name = f"tiny-{kind}-qa"
    out = root / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tok, tok_src = build_tokenizer(kind, out)
    model = build_model(kind, len(tok))
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if kind == "bert" else [])
    model.config.architectures = [type(model).__name__]
    cfg = model.config.to_dict()
    cfg.pop("_attn_implementation_autoset", None)
    cfg.pop("_name_or_path", None)
    (out / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    export(model, names, out / "model.onnx")
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    checks = verify(model, sess, tok, names)
    (out / "reference.json").write_text(json.dumps({
        "note": "pair encodings of this folder's tokenizer (no truncation) and PyTorch start/end logits "
                "(rounded to 5 decimals) of this random-weight model",
        "items": reference(model, tok, names)}, indent=1) + "\n")
    files = {p.name: sha256(p) for p in sorted(out.iterdir()) if p.name != "manifest.json"}
    manifest = {
        "name": name,
        "version": VERSION,
        "task": "extractive-question-answering",
        "architecture": type(model).__name__,
        "weights": "random (NOT trained): for tests only",
        "howMade": f"training/make_tiny_models.py, seed {SEED}, torch {torch.__version__}, "
                   f"transformers {transformers.__version__}, torch.onnx.export (TorchScript) opset 17",
        "sizes": {k: v for k, v in TINY.items() if k in ("hidden_size", "num_hidden_layers",
                                                         "num_attention_heads", "intermediate_size")}
        | {"vocab_size": model.config.vocab_size, "max_position_embeddings": model.config.max_position_embeddings,
           "qa_head_init_std": QA_HEAD_STD},
        "tokenizer": {"source": tok_src,
                      "type": TOKENIZER_TYPES[kind],
                      "pairFormat": "[CLS] q [SEP] c [SEP]" if kind == "bert" else "<s> q </s></s> c </s>"},
        "onnx": {"opset": 17, "inputs": {n: "int64 [batch, sequence]" for n in names},
                 "outputs": {"start_logits": "float32 [batch, sequence]", "end_logits": "float32 [batch, sequence]"}},
        "checks": checks,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"{name}: {total / 1e6:.1f} MB, checks {checks}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(REPO / "test" / "fixtures" / "models"))
    ap.add_argument("--models", default="roberta,bert,xlmr", help="comma-separated: roberta, bert, xlmr")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for kind in a.models.split(","):
        make(kind, Path(a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
