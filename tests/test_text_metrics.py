"""SQuAD answer normalisation, exact match and token F1 (common/text_metrics.py)."""

import numpy as np
import pytest

from common.text_metrics import (
    answer_tokens,
    exact_match,
    normalize_answer,
    squad_scores,
    token_f1,
)


def test_normalize_answer_follows_squad():
    assert normalize_answer("The Best  Bear in All the World!") == "best bear in all world"
    assert normalize_answer("a gorse-bush.") == "gorsebush"  # punctuation is deleted, not spaced
    assert normalize_answer("An Apple") == "apple"
    assert answer_tokens("  Pooh's honey, the jar ") == ["poohs", "honey", "jar"]


def test_exact_match_ignores_case_articles_and_punctuation():
    assert exact_match("the Six Pine Trees.", "Six pine trees") == 1.0
    assert exact_match("Pooh", "Piglet") == 0.0
    assert exact_match("Piglet", ["Pooh", "piglet"]) == 1.0


def test_token_f1_on_hand_cases():
    assert token_f1("Eeyore lost his tail", "Eeyore") == pytest.approx(2 * 0.25 * 1 / 1.25)
    assert token_f1("a jar of honey", "honey jar") == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert token_f1("nothing", "honey") == 0.0
    assert token_f1("the", "a") == 1.0  # both empty after normalisation
    assert token_f1("", "honey") == 0.0
    assert token_f1("red", ["blue", "red balloon"]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        token_f1("x", [])


@pytest.mark.parametrize(
    "text, normalised",
    [
        ("The Denver Broncos!", "denver broncos"),
        ("  an apple,  a pear ", "apple pear"),
        ("Theatre of the Absurd", "theatre of absurd"),  # "the" inside a word stays
        ("U.S. $5-million", "us 5million"),
        ("", ""),
    ],
)
def test_normalize_answer_cases(text, normalised):
    assert normalize_answer(text) == normalised


def test_exact_match_and_f1_hand_cases():
    assert exact_match("the Denver Broncos", "Denver Broncos.") == 1.0
    assert token_f1("the Denver Broncos", "Denver Broncos.") == 1.0
    # one common word of two each: precision 1/2, recall 1/2
    assert token_f1("Broncos won", "Denver Broncos") == pytest.approx(0.5)
    # precision 2/3, recall 1: F1 = 2 * (2/3) / (5/3) = 0.8
    assert token_f1("Denver Broncos team", "Denver Broncos") == pytest.approx(0.8)
    # repeated words count once per occurrence in both (bag of words): common = 1
    assert token_f1("the cat cat", "cat") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("", "Denver") == 0.0 and exact_match("Denver", "Dallas") == 0.0


def test_squad_scores_take_the_best_gold_answer_with_v1_1_rules():
    golds = [("Denver Broncos", "Broncos")] * 2
    scores = squad_scores(["Broncos", "the Broncos team"], golds)
    # "broncos team": against "Denver Broncos" P = R = 1/2 (F1 0.5); against "Broncos"
    # P = 1/2, R = 1 (F1 2/3): the best counts
    np.testing.assert_allclose(scores, [[1.0, 1.0], [0.0, 2 / 3]])
    # SQuAD v1.1: both empty after normalisation is an exact match but F1 0
    np.testing.assert_array_equal(squad_scores(["the"], [("a",)]), [[1.0, 0.0]])
    assert squad_scores([], []).shape == (0, 2)
    with pytest.raises(ValueError):
        squad_scores(["x"], [()])
