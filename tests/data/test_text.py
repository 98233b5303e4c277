from gradeloop.data.text import case_text, ngram_hashes, normalize, shingles, words
from gradeloop.suite.model import Case


def test_normalize_casefolds_strips_punctuation_and_collapses_whitespace():
    assert normalize("  Hello,   WORLD!\n\tWhat's up? ") == "hello world what s up"
    assert normalize("STRASSE") == normalize("straße")  # casefold, not lower
    assert normalize("12+7") == "12 7"  # punctuation splits words rather than gluing digits


def test_shingles_and_ngrams():
    toks = words("a b c d")
    assert shingles(toks, 2) == {"a b", "b c", "c d"}
    assert shingles(["solo"], 2) == {"solo"}
    assert shingles([], 2) == set()
    assert len(ngram_hashes(toks, 3)) == 2 and ngram_hashes(toks, 5) == set()


def test_case_text_skips_system_messages():
    case = Case(id="x", input=({"role": "system", "content": "be nice"}, {"role": "user", "content": "hi"},
                               {"role": "assistant", "content": "hello"}, {"role": "user", "content": "bye"}))
    assert case_text(case) == "hi\nhello\nbye"
    assert case_text(Case(id="y", input="plain")) == "plain"
