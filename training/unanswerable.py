#!/usr/bin/env python3
"""SQuAD 2.0-style unanswerable training questions, made by rules from answerable SQuAD 1.1 questions.

    training/.venv/bin/python training/unanswerable.py [--files squad-v1.1-train-subset.json,squad-v1.1-dev-a.json]
        [--rules a,b,c] [--rate 0.5] [--seed 42] [--out training/out/data/unanswerable.jsonl]

Other-paragraph negatives (a question asked of a random other paragraph) teach a reader to say "not in this
passage" when the topic is off; they do not teach it SQuAD 2.0's harder case, where the paragraph is on topic and
holds a plausible answer of the right type. These rules make such questions (pure functions; seeded):

  a  swap    the question's key entity / number / year / date (a span that occurs in the paragraph) is replaced by
             another of the same kind found elsewhere in the same article and absent from the paragraph. Asked of
             its own paragraph: the plausible answer is still there, but the paragraph says nothing about the new
             entity. ("In 1730, what American city ...?" -> "In 1754, what American city ...?")
  b  negate  "not" / "never" inserted where it flips what is asked ("Who directed X?" -> "Who never directed X?",
             "Who was the first ...?" -> "Who was not the first ...?", "When was X founded?" -> "When was X not
             founded?"). Asked of its own paragraph. Questions already negated are left alone.
  c  other   the question asked of ANOTHER paragraph of its article that shares its entities (or, without
             entities, at least two content words) but does not hold its answer: the hardest other-paragraph
             negative (most overlap first).

Filters (a candidate failing one is dropped and counted):
  - c: any gold answer, normalised as the official SQuAD script does (lower case, no punctuation, no articles),
    that still occurs as a token sequence in the paired paragraph drops the candidate (also when a gold answer
    normalises to nothing: cannot be checked).
  - a: the new entity must not occur in the paragraph (normalised), must share no word with the replaced one, and
    must not be or contain a gold answer; the replaced span must occur in the paragraph (it anchors the question).
    For a and b the paired paragraph is the question's own, so the gold answer is there by construction: that is the
    point (a plausible distractor). Their guard is that the question itself no longer matches the paragraph.
Each selected question (a seeded `rate` of them) gets at most one unanswerable question: the enabled rules are tried
in a random order and the first that yields a candidate is kept. Labels: no answer (CLS), `plausible_answers` =
the original answers.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

RULES = ("a", "b", "c")
RULE_NAMES = {"a": "swap", "b": "negate", "c": "other-paragraph"}

# ------------------------------------------------------------------------------------------------------ normalising

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


@lru_cache(maxsize=1 << 16)
def normalize_answer(s: str) -> str:
    """The official SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def contains_tokens(haystack: str, needle: str) -> bool:
    """Whether normalize_answer(needle) occurs in normalize_answer(haystack) as a whole-token sequence."""
    n = normalize_answer(needle)
    if not n:
        return False
    return f" {n} " in _padded(haystack)


@lru_cache(maxsize=1 << 14)
def _padded(text: str) -> str:
    return f" {normalize_answer(text)} "


def answer_in_paragraph(answers: list[dict] | list[str], paragraph: str) -> bool:
    """The filter: True when any gold answer (normalised) still occurs in the paragraph, or when an answer
    normalises to nothing (it cannot be checked, so the pair is not trusted as unanswerable)."""
    for a in answers:
        text = a["text"] if isinstance(a, dict) else a
        if not normalize_answer(text) or contains_tokens(paragraph, text):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------- spans

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan\\.|Feb\\.|Aug\\.|Sept\\.|Sep\\.|Oct\\.|Nov\\.|Dec\\.")
_DATE = re.compile(rf"\b(?:\d{{1,2}} (?:{MONTHS})(?:,? \d{{4}})?|(?:{MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?)")
_YEAR = re.compile(r"(?<![\d,.$])\b(1[0-9]{3}|20[0-9]{2})(s)?\b(?![\d%]|[.,]\d)")
_NUMBER = re.compile(r"(?<![\w.,$])\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|(?<![\w.,$])\$?\d+(?:\.\d+)?\b(?![,.]\d)")
_WORD = re.compile(r"[^\W\d_][\w'’\-.]*|\d[\w'’\-.,]*", re.UNICODE)

# capitalised words that are not entities (question words, determiners, pronouns, sentence starters)
NOT_ENTITY = {
    "what", "which", "who", "whom", "whose", "where", "when", "why", "how", "in", "on", "at", "by", "for", "from",
    "the", "a", "an", "of", "to", "and", "or", "is", "was", "are", "were", "did", "does", "do", "can", "could",
    "will", "would", "should", "has", "have", "had", "after", "before", "during", "since", "according", "along",
    "besides", "other", "than", "as", "with", "about", "i", "he", "she", "it", "they", "we", "you", "his", "her",
    "its", "their", "this", "that", "these", "those", "there", "if", "besides", "between", "under", "over", "into",
    "name", "approximately", "about", "around", "roughly", "not", "never", "also", "some", "many", "much", "most",
    "one", "two", "three", "first", "second", "third", "last", "new", "old",
}
CONNECTORS = {"of", "the", "de", "du", "la", "le", "van", "von", "der", "and", "for", "y", "da", "di", "del"}


def entity_spans(text: str) -> list[tuple[int, int, str]]:
    """Capitalised word sequences (connectors like 'of', 'de' allowed inside): (start, end, text)."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    spans = []
    i = 0
    while i < len(words):
        s, e, w = words[i]
        if w[0].isupper() and w.lower().strip(".") not in NOT_ENTITY:
            j = i
            end = e
            k = i + 1
            while k < len(words):
                ws, we, ww = words[k]
                if text[words[k - 1][1]:ws].strip():  # punctuation between words ends the entity
                    break
                if ww[0].isupper() and ww.lower() not in NOT_ENTITY:
                    j, end = k, we
                    k += 1
                elif ww.lower() in CONNECTORS and k + 1 < len(words) and words[k + 1][2][0].isupper() \
                        and text[we:words[k + 1][0]].strip() == "":
                    k += 1
                else:
                    break
            span = text[s:end].rstrip(".'’")
            spans.append((s, s + len(span), span))
            i = j + 1
        else:
            i += 1
    return spans


@lru_cache(maxsize=1 << 14)
def typed_spans(text: str) -> tuple[tuple[str, int, int, str], ...]:
    """(kind, start, end, text) for kind in date, year, number, entity; no two spans overlap (that order wins)."""
    out: list[tuple[str, int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= ts or s >= te for ts, te in taken)

    for kind, rx in (("date", _DATE), ("year", _YEAR), ("number", _NUMBER)):
        for m in rx.finditer(text):
            if free(m.start(), m.end()):
                out.append((kind, m.start(), m.end(), m.group()))
                taken.append((m.start(), m.end()))
    for s, e, span in entity_spans(text):
        if free(s, e) and span:
            out.append(("entity", s, e, span))
            taken.append((s, e))
    return tuple(sorted(out, key=lambda t: t[1]))


_SENTENCE_START = re.compile(r"(?:^|[.!?]['\"’”)]?\s+)$")


def article_pool(paragraphs: list[str]) -> dict:
    """Every typed span of an article's paragraphs, by kind (distinct, in order of first appearance), and under
    "lower" the words the article also writes in lower case. A sentence's first words are capitalised whatever they
    are, so an entity span at a sentence start loses its leading words that the article also writes in lower case
    ("Although Weis" -> "Weis"; "The Basilica" -> "Basilica")."""
    lower = {w for p in paragraphs for w in re.findall(r"\b[a-z][\w'’\-]*", p)}
    pool: dict = {"date": [], "year": [], "number": [], "entity": [], "lower": lower}
    seen: set[tuple[str, str]] = set()
    for p in paragraphs:
        for kind, s, _e, span in typed_spans(p):
            if kind == "entity" and _SENTENCE_START.search(p[:s]):
                span = strip_common_start(span, lower)
            if not span:
                continue
            key = (kind, span.lower())
            if key not in seen:
                seen.add(key)
                pool[kind].append(span)
    return pool


def strip_common_start(span: str, lower: set[str]) -> str:
    """Drop leading words of `span` that are in `lower` (common words, capitalised only by their position)."""
    words = span.split()
    while words and words[0].lower() in lower:
        words.pop(0)
    while words and words[0].lower() in CONNECTORS:
        words.pop(0)
    return " ".join(words)


# ------------------------------------------------------------------------------------------------------------ rules

def _words(s: str) -> set[str]:
    return set(normalize_answer(s).split())


def rule_swap(question: str, paragraph: str, answers: list, pool: dict[str, list[str]],
              rng: random.Random) -> tuple[str, dict] | None:
    """Rule a: replace a typed span of the question (one that occurs in the paragraph) by another of the same kind
    from the article's pool that is absent from the paragraph. None when no such pair exists."""
    spans = []
    for kind, s, e, span in typed_spans(question):
        if kind == "entity" and s == 0:  # the question's first word is capitalised whatever it is
            kept = strip_common_start(span, pool.get("lower", set()))
            s, span = e - len(kept), kept
        if span and contains_tokens(paragraph, span):
            spans.append((kind, s, e, span))
    rng.shuffle(spans)
    for kind, s, e, span in spans:
        if any(contains_tokens(span, a["text"] if isinstance(a, dict) else a) for a in answers):
            continue  # the span is (or holds) the answer itself
        cands = [c for c in pool.get(kind, [])
                 if not (_words(c) & _words(span))
                 and not contains_tokens(paragraph, c)
                 and not contains_tokens(question, c)
                 and not any(contains_tokens(c, a["text"] if isinstance(a, dict) else a)
                             or contains_tokens(a["text"] if isinstance(a, dict) else a, c) for a in answers)]
        if kind == "entity":  # prefer a substitute of similar length (a person for a person, more or less)
            n = len(span.split())
            close = [c for c in cands if abs(len(c.split()) - n) <= 1]
            cands = close or cands
        if not cands:
            continue
        new = rng.choice(cands)
        return question[:s] + new + question[e:], {"kind": kind, "from": span, "to": new}
    return None


_NEGATED = re.compile(r"\b(not|never|no|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
_WH = r"(?:Who|What|Which(?: \w+)?|Whose \w+|What \w+)"
_COPULA = re.compile(rf"^({_WH}) (is|was|are|were) (?=(?:the|a|an|one|considered|known|used|called|responsible)\b)")
_MODAL = re.compile(rf"^({_WH}) (can|could|will|would|should|may|might|must) (?=(?:be|have)\b)")
_PASSIVE = re.compile(r"^((?:When|Where|Why|In what year|What year|In which year) (?:was|were|is|are) .+?) "
                      r"(?=([a-z]+ed|built|made|born|written|held|taken|given|known|won|sold|begun|found|run|seen)\b)")
IRREGULAR_PAST = {"won", "wrote", "led", "made", "took", "gave", "became", "began", "built", "founded", "sold", "held",
                  "found", "brought", "bought", "fought", "taught", "thought", "ran", "saw", "told", "left", "lost",
                  "met", "paid", "sent", "spent", "stood", "struck", "sang", "drew", "flew", "grew", "knew", "threw",
                  "chose", "rose", "spoke", "broke", "froze", "stole", "wore", "tore", "swore", "bore", "beat",
                  "came", "went", "said", "kept", "meant", "heard", "felt"}  # not did/had/got: auxiliaries
_NOT_VERB_ED = {"red", "bed", "need", "seed", "speed", "feed", "hundred", "bred", "shed", "sled", "united", "based"}


def rule_negate(question: str) -> tuple[str, dict] | None:
    """Rule b: insert a negation where it flips what is asked. None when no pattern fits or already negated."""
    q = question.strip()
    if _NEGATED.search(q):
        return None
    m = _COPULA.match(q)
    if m:
        return q[:m.end(2)] + " not" + q[m.end(2):], {"pattern": "copula + not"}
    m = _MODAL.match(q)
    if m:
        return q[:m.end(2)] + " not" + q[m.end(2):], {"pattern": "modal + not"}
    m = re.match(rf"^({_WH}) ([a-z]+)\b", q)
    if m:
        verb = m.group(2)
        if (verb.endswith("ed") and verb not in _NOT_VERB_ED) or verb in IRREGULAR_PAST:
            return q[:m.start(2)] + "never " + q[m.start(2):], {"pattern": "wh-subject + never + past verb"}
    m = _PASSIVE.match(q)
    if m:
        return q[:m.end(1)] + " not" + q[m.end(1):], {"pattern": "passive + not"}
    return None


STOP = {"what", "which", "who", "whom", "whose", "where", "when", "why", "how", "is", "was", "are", "were", "did", "does",
        "do", "of", "in", "on", "at", "to", "for", "by", "from", "with", "and", "or", "a", "an", "the", "that", "this",
        "it", "its", "as", "be", "been", "has", "have", "had", "not", "many", "much", "name", "one", "his", "her",
        "their", "he", "she", "they", "can", "could", "would", "will", "there", "type", "kind", "year", "called"}


@lru_cache(maxsize=1 << 14)
def content_words(s: str) -> frozenset[str]:
    return frozenset(w for w in normalize_answer(s).split() if w not in STOP and len(w) > 2)


def rule_other_paragraph(question: str, own: str, answers: list, others: list[str]) -> tuple[str | None, dict]:
    """Rule c: the other paragraph of the article sharing most of the question's entities (at least one; without
    entities, at least two content words) whose text does not hold a gold answer. Returns (paragraph, detail);
    paragraph None when no paragraph qualifies (detail counts those dropped by the answer filter)."""
    ents = [t[3] for t in typed_spans(question)]
    qwords = content_words(question)
    ranked = []
    for i, p in enumerate(others):
        if p == own:
            continue
        shared_ents = [e for e in ents if contains_tokens(p, e)]
        overlap = len(qwords & content_words(p))
        if ents and not shared_ents:
            continue
        if not ents and overlap < 2:
            continue
        ranked.append((len(shared_ents), overlap, -i, p, shared_ents))
    ranked.sort(reverse=True)
    dropped = 0
    for n_ents, overlap, _i, p, shared in ranked:
        if answer_in_paragraph(answers, p):
            dropped += 1
            continue
        return p, {"shared_entities": shared, "shared_words": overlap, "dropped_answer_present": dropped}
    return None, {"dropped_answer_present": dropped, "candidates": len(ranked)}


# ------------------------------------------------------------------------------------------------------- generating

def parse_rules(spec: str) -> tuple[str, ...]:
    """'a,b,c' (default), 'a', 'none' / '' -> the enabled rules; unknown letters are an error."""
    spec = (spec or "").strip().lower()
    if spec in ("", "none", "-"):
        return ()
    rules = tuple(dict.fromkeys(r.strip() for r in spec.split(",") if r.strip()))
    bad = [r for r in rules if r not in RULES]
    if bad:
        raise ValueError(f"unknown rule(s) {bad}: use a subset of a,b,c (or none)")
    return rules


def generate(examples: list[dict], rules: tuple[str, ...] = RULES, rate: float = 0.5, seed: int = 42):
    """Unanswerable questions for a seeded `rate` of `examples` (read_squad dicts: id, article, question, context,
    answers). Returns (items, stats); items have id, source_id, rule, question, context, answers=[],
    plausible_answers, detail. Article pools and paragraph lists are built from the examples themselves."""
    rng = random.Random(seed)
    paragraphs: dict = {}
    for ex in examples:
        lst = paragraphs.setdefault((ex.get("file", ""), ex["article"]), [])
        if ex["context"] not in lst:
            lst.append(ex["context"])
    pools = {k: article_pool(v) for k, v in paragraphs.items()}
    stats = {"questions": len(examples), "selected": 0, "generated": Counter(),
             "dropped_answer_present_c": 0, "no_rule_applied": 0, "rules": list(rules), "rate": rate, "seed": seed}
    items = []
    for ex in examples:
        if not rules or rng.random() >= rate:
            continue
        stats["selected"] += 1
        key = (ex.get("file", ""), ex["article"])
        order = list(rules)
        rng.shuffle(order)
        made = None
        for r in order:
            if r == "a":
                res = rule_swap(ex["question"], ex["context"], ex["answers"], pools[key], rng)
                if res:
                    made = ("a", res[0], ex["context"], res[1])
            elif r == "b":
                res = rule_negate(ex["question"])
                if res:
                    made = ("b", res[0], ex["context"], res[1])
            else:
                p, detail = rule_other_paragraph(ex["question"], ex["context"], ex["answers"], paragraphs[key])
                stats["dropped_answer_present_c"] += detail.get("dropped_answer_present", 0)
                if p is not None:
                    made = ("c", ex["question"], p, detail)
            if made:
                break
        if not made:
            stats["no_rule_applied"] += 1
            continue
        rule, question, context, detail = made
        stats["generated"][rule] += 1
        items.append({"id": f"{ex['id']}-ua{rule}", "source_id": ex["id"], "rule": rule, "question": question,
                      "context": context, "answers": [], "plausible_answers": ex["answers"], "detail": detail})
    stats["generated"] = {r: stats["generated"].get(r, 0) for r in RULES}
    stats["total"] = len(items)
    return items, stats


def applicability(examples: list[dict]) -> dict:
    """How many questions each rule alone could turn into an unanswerable one (every question tried, seed 0)."""
    rng = random.Random(0)
    paragraphs: dict = {}
    for ex in examples:
        lst = paragraphs.setdefault((ex.get("file", ""), ex["article"]), [])
        if ex["context"] not in lst:
            lst.append(ex["context"])
    pools = {k: article_pool(v) for k, v in paragraphs.items()}
    out = Counter()
    for ex in examples:
        key = (ex.get("file", ""), ex["article"])
        out["a"] += rule_swap(ex["question"], ex["context"], ex["answers"], pools[key], rng) is not None
        out["b"] += rule_negate(ex["question"]) is not None
        out["c"] += rule_other_paragraph(ex["question"], ex["context"], ex["answers"], paragraphs[key])[0] is not None
    return {r: out[r] for r in RULES}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import OUT, TRAIN_FILES, read_squad

    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default=",".join(TRAIN_FILES), help="SQuAD files under data/squad (comma-separated)")
    ap.add_argument("--rules", default="a,b,c", help="enabled rules: a subset of a,b,c, or none (ablations)")
    ap.add_argument("--rate", type=float, default=0.5, help="share of questions that get one unanswerable question")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--applicability", action="store_true", help="also count what each rule alone could make")
    ap.add_argument("--out", default=str(OUT / "data" / "unanswerable.jsonl"))
    ap.add_argument("--samples", type=int, default=5, help="print this many examples of each rule")
    a = ap.parse_args()
    report = {}
    all_items = []
    for name in a.files.split(","):
        exs = read_squad(name)
        items, stats = generate(exs, parse_rules(a.rules), a.rate, a.seed)
        if a.applicability:
            stats["each_rule_alone"] = applicability(exs)
        report[name] = stats
        all_items += [dict(it, file=name) for it in items]
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in all_items))
    print(json.dumps(report, indent=1))
    for r in RULES:
        for it in [x for x in all_items if x["rule"] == r][: a.samples]:
            src = it["plausible_answers"][0]["text"]
            print(f"[{r} {RULE_NAMES[r]}] {it['question']!r} (was answered by {src!r}) {json.dumps(it['detail'])[:160]}")
    print(f"wrote {len(all_items)} unanswerable questions to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
