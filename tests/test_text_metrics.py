"""SQuAD answer normalisation, exact match and token F1 (common/text_metrics.py)."""

import pytest

from common.text_metrics import answer_tokens, exact_match, normalize_answer, token_f1


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
