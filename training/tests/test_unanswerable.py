"""The rules that make SQuAD 2.0-style unanswerable questions (training/unanswerable.py), and their filters."""
import random

import pytest

import unanswerable as u

PARAGRAPH = ("The Normans were the people who in the 10th and 11th centuries gave their name to Normandy. "
             "William the Conqueror led the Norman conquest of England in 1066 at the Battle of Hastings.")
OTHER_SAME_ENTITY = "Normandy later became part of France. The Duchy of Normandy was ruled by Rollo's descendants."
OTHER_WITH_ANSWER = "In 1066 the Normans crossed the Channel; Normandy sent William the Conqueror with an army."
OTHER_UNRELATED = "Bread is made from flour, water and yeast, and has been eaten for thousands of years."
ARTICLE_EXTRA = "Harold Godwinson was crowned in 1065 while Rollo ruled Rouen; in 1204 Philip II took Normandy."


def ex(question, answers, context=PARAGRAPH, qid="q1", article=0):
    return {"id": qid, "article": article, "question": question, "context": context,
            "answers": [{"text": a, "answer_start": context.find(a)} for a in answers]}


# -------------------------------------------------------------------------------------------- normalising, filter

def test_normalize_answer_is_the_official_one():
    assert u.normalize_answer("The  Battle of Hastings!") == "battle of hastings"
    assert u.normalize_answer("an Apple, a day") == "apple day"


def test_contains_tokens_matches_whole_tokens_only():
    assert u.contains_tokens("He led the Norman conquest.", "norman conquest")
    assert not u.contains_tokens("Someone was there.", "one")  # 'one' inside 'someone' is not a match
    assert not u.contains_tokens("anything", "")


def test_filter_drops_pairs_whose_gold_answer_is_still_in_the_paragraph():
    assert u.answer_in_paragraph([{"text": "William the Conqueror"}], OTHER_WITH_ANSWER)
    assert u.answer_in_paragraph(["william THE conqueror."], OTHER_WITH_ANSWER)  # normalised
    assert not u.answer_in_paragraph([{"text": "William the Conqueror"}], OTHER_UNRELATED)
    # any of several gold answers
    assert u.answer_in_paragraph(["Harold", "1066"], OTHER_WITH_ANSWER)
    # an answer that normalises to nothing cannot be checked: the pair is not trusted
    assert u.answer_in_paragraph(["the"], OTHER_UNRELATED)


# ---------------------------------------------------------------------------------------------------------- spans

def test_typed_spans_find_dates_years_numbers_and_entities():
    spans = u.typed_spans("On 14 October 1066, about 7,000 men of William the Conqueror fought at Hastings.")
    kinds = {(k, t) for k, _s, _e, t in spans}
    assert ("date", "14 October 1066") in kinds
    assert ("number", "7,000") in kinds
    assert ("entity", "William") in kinds or ("entity", "William the Conqueror") in kinds
    assert ("entity", "Hastings") in kinds
    assert u.typed_spans("In 1730, what city?")[0][:1] == ("year",)
    assert ("entity", "Otto von Bismarck") in {(k, t) for k, _s, _e, t in u.typed_spans("When was Otto von Bismarck born?")}


def test_article_pool_strips_sentence_start_common_words():
    pool = u.article_pool(["Although Weis wrote it, the book sold well, although it was late. Although late, it came.",
                           "The Basilica stands here. The basilica is old."])
    assert "Weis" in pool["entity"]
    assert "Although Weis" not in pool["entity"] and "Although" not in pool["entity"]
    assert "Basilica" in pool["entity"] and "The Basilica" not in pool["entity"]


# -------------------------------------------------------------------------------------------------------- rule a

def test_swap_replaces_a_year_by_another_year_of_the_article_absent_from_the_paragraph():
    pool = u.article_pool([PARAGRAPH, ARTICLE_EXTRA])
    q = "Who led the Norman conquest of England in 1066?"
    new, detail = u.rule_swap(q, PARAGRAPH, [{"text": "William the Conqueror"}], pool, random.Random(0))
    assert detail["kind"] in ("year", "entity")
    assert new != q
    assert not u.contains_tokens(PARAGRAPH, detail["to"])  # the new span says nothing in this paragraph
    assert u.contains_tokens(PARAGRAPH, detail["from"])  # the replaced span anchored the question
    if detail["kind"] == "year":
        assert detail["to"] in ("1065", "1204")


def test_swap_never_uses_the_answer_or_a_span_of_the_paragraph():
    pool = {"year": ["1066", "1204"], "entity": ["William the Conqueror", "Normandy"], "date": [], "number": [],
            "lower": set()}
    q = "In 1066, who led the Norman conquest of England?"
    for seed in range(20):
        res = u.rule_swap(q, PARAGRAPH, [{"text": "William the Conqueror"}], pool, random.Random(seed))
        assert res is not None
        assert res[1]["to"] == "1204"  # 1066, Normandy and the answer are all in the paragraph


def test_swap_gives_none_without_a_usable_substitute():
    pool = u.article_pool([PARAGRAPH])  # every candidate occurs in the paragraph itself
    assert u.rule_swap("Who led the Norman conquest of England in 1066?", PARAGRAPH,
                       [{"text": "William the Conqueror"}], pool, random.Random(0)) is None


# -------------------------------------------------------------------------------------------------------- rule b

@pytest.mark.parametrize("question,expected", [
    ("Who was the first king of England?", "Who was not the first king of England?"),
    ("Who directed The Living Daylights?", "Who never directed The Living Daylights?"),
    ("Who won the Battle of Hastings?", "Who never won the Battle of Hastings?"),
    ("When was the university founded?", "When was the university not founded?"),
    ("What can be used to make bread?", "What can not be used to make bread?"),
    ("Which artist created the mural?", "Which artist never created the mural?"),
])
def test_negate_flips_the_question(question, expected):
    new, detail = u.rule_negate(question)
    assert new == expected
    assert detail["pattern"]


@pytest.mark.parametrize("question", [
    "Who was not at the battle?",          # already negated
    "What didn't the Normans do?",
    "Who never won?",
    "How many men fought at Hastings?",    # no pattern that flips it
    "Which role did Charles Sheedy have?",  # 'did' is an auxiliary, not a past verb
])
def test_negate_leaves_other_questions_alone(question):
    assert u.rule_negate(question) is None


# -------------------------------------------------------------------------------------------------------- rule c

def test_other_paragraph_shares_entities_and_never_holds_the_answer():
    others = [PARAGRAPH, OTHER_WITH_ANSWER, OTHER_UNRELATED, OTHER_SAME_ENTITY]
    p, detail = u.rule_other_paragraph("Who gave their name to Normandy?", PARAGRAPH, [{"text": "The Normans"}], others)
    # OTHER_WITH_ANSWER shares 'Normandy' too but holds 'the Normans': dropped by the filter
    assert p == OTHER_SAME_ENTITY
    assert detail["shared_entities"] == ["Normandy"]
    assert detail["dropped_answer_present"] == 1


def test_other_paragraph_none_when_every_candidate_holds_the_answer():
    p, detail = u.rule_other_paragraph("Who gave their name to Normandy?", PARAGRAPH, [{"text": "Normandy"}],
                                       [PARAGRAPH, OTHER_WITH_ANSWER, OTHER_SAME_ENTITY])
    assert p is None
    assert detail["dropped_answer_present"] == 2


# -------------------------------------------------------------------------------------------------------- generate

def examples():
    paras = [PARAGRAPH, OTHER_SAME_ENTITY, ARTICLE_EXTRA, OTHER_UNRELATED]
    qs = [ex("Who led the Norman conquest of England in 1066?", ["William the Conqueror"], qid="q1"),
          ex("Who gave their name to Normandy?", ["The Normans"], qid="q2"),
          ex("Who was the leader of the Norman conquest?", ["William the Conqueror"], qid="q3")]
    qs += [ex("What is bread made from?", ["flour, water and yeast"], context=OTHER_UNRELATED, qid="q4")]
    qs += [ex("Who ruled Rouen?", ["Rollo"], context=ARTICLE_EXTRA, qid="q5"),
           ex("Who was ruled by Rollo's descendants?", ["The Duchy of Normandy"], context=OTHER_SAME_ENTITY, qid="q6")]
    assert {e["context"] for e in qs} <= set(paras)
    return qs


def test_generate_is_seeded_labels_no_answer_and_keeps_plausible_answers():
    items, stats = u.generate(examples(), rate=1.0, seed=3)
    again, _ = u.generate(examples(), rate=1.0, seed=3)
    assert items == again
    assert stats["total"] == len(items) == sum(stats["generated"].values())
    assert stats["selected"] == 6
    for it in items:
        assert it["answers"] == []
        assert it["plausible_answers"]
        assert it["rule"] in u.RULES
        assert it["id"].endswith("-ua" + it["rule"])
        if it["rule"] == "c":
            assert not u.answer_in_paragraph(it["plausible_answers"], it["context"])
        else:
            assert it["question"] != next(e["question"] for e in examples() if e["id"] == it["source_id"])


def test_generate_honours_the_rule_selection_for_ablations():
    for rules in (("a",), ("b",), ("c",), ("a", "c")):
        items, stats = u.generate(examples(), rules=rules, rate=1.0, seed=1)
        assert {it["rule"] for it in items} <= set(rules)
        assert stats["rules"] == list(rules)
    items, stats = u.generate(examples(), rules=(), rate=1.0)
    assert items == [] and stats["selected"] == 0


def test_parse_rules():
    assert u.parse_rules("a,b,c") == ("a", "b", "c")
    assert u.parse_rules("c, a") == ("c", "a")
    assert u.parse_rules("none") == ()
    assert u.parse_rules("") == ()
    with pytest.raises(ValueError):
        u.parse_rules("a,d")
