"""gpu_data.WindowTokenizer: the question/context windows of transformers' overflowing call, computed in Python."""
import json
from pathlib import Path

import pytest
import tokenizers
from transformers import BertTokenizerFast

from gpu_data import WindowTokenizer

REPO = Path(__file__).resolve().parents[2]
TOKENIZER = REPO / "test" / "fixtures" / "models" / "tiny-bert-qa" / "tokenizer.json"  # bert-base-uncased WordPiece
EXCERPT = REPO / "test" / "fixtures" / "squad" / "squad-v1.1-dev-b-excerpt.json"
# tokenizers 0.23 returns a single overflow window for only_second truncation (the rest of the context is lost)
OLD_TOKENIZERS = tuple(int(x) for x in tokenizers.__version__.split(".")[:2]) < (0, 23)


def tok():
    t = BertTokenizerFast(tokenizer_file=str(TOKENIZER), do_lower_case=True, model_max_length=512)
    t.backend_tokenizer.no_truncation()
    t.backend_tokenizer.no_padding()
    return t


def pairs():
    data = json.loads(EXCERPT.read_text())["data"]
    out = [(qa["question"].lstrip(), p["context"]) for a in data for p in a["paragraphs"] for qa in p["qas"][:1]]
    long = " ".join(p for _q, p in out[:6])  # a context of several windows
    return out[:25] + [(out[0][0], long), ("Who?", ""), ("Short question?", "One.")]


@pytest.mark.parametrize("max_len,stride", [(384, 128), (256, 128), (128, 64)])
def test_windows_cover_the_context_and_overlap_by_the_stride(max_len, stride):
    w = WindowTokenizer(tok())
    for q, c in pairs():
        enc = w(q, c, truncation="only_second", max_length=max_len, stride=stride, return_overflowing_tokens=True,
                return_offsets_mapping=True, padding=False)
        n_ctx = len(tok()(c, add_special_tokens=False)["input_ids"])
        ctx_windows = []
        for i, ids in enumerate(enc["input_ids"]):
            assert len(ids) <= max_len
            seq = enc.sequence_ids(i)
            assert len(seq) == len(ids) == len(enc["token_type_ids"][i]) == len(enc["offset_mapping"][i])
            ctx_windows.append([t for t, s in zip(ids, seq) if s == 1])
        if n_ctx:
            assert sum(len(x) for x in ctx_windows) - stride * (len(ctx_windows) - 1) == n_ctx
        for a, b in zip(ctx_windows, ctx_windows[1:]):
            assert a[-stride:] == b[:stride]
        # offsets point into the context
        for i in range(len(enc["input_ids"])):
            for (s, e), sid in zip(enc["offset_mapping"][i], enc.sequence_ids(i)):
                if sid == 1:
                    assert 0 <= s <= e <= len(c)


@pytest.mark.skipif(not OLD_TOKENIZERS, reason=f"tokenizers {tokenizers.__version__}: its overflow is the regression")
@pytest.mark.parametrize("max_len,stride", [(384, 128), (256, 128), (128, 64)])
def test_windows_are_exactly_those_of_transformers_with_tokenizers_0_22(max_len, stride):
    t = tok()
    w = WindowTokenizer(t)
    for q, c in pairs():
        kw = dict(truncation="only_second", max_length=max_len, stride=stride, return_overflowing_tokens=True,
                  return_offsets_mapping=True, padding=False)
        ref, got = t(q, c, **kw), w(q, c, **kw)
        assert got["input_ids"] == ref["input_ids"]
        assert got["token_type_ids"] == ref["token_type_ids"]
        assert [list(map(tuple, x)) for x in got["offset_mapping"]] == [list(map(tuple, x)) for x in ref["offset_mapping"]]
        assert [got.sequence_ids(i) for i in range(len(got["input_ids"]))] == \
               [ref.sequence_ids(i) for i in range(len(ref["input_ids"]))]


def test_other_calls_go_to_the_tokenizer():
    w = WindowTokenizer(tok())
    e = w("a question", "a context", truncation="only_second", max_length=32, return_tensors="np")
    assert e["input_ids"].shape[0] == 1
