import json

import pytest

from gradeloop.data.contam import (ContaminationError, ContamParams, check_contamination, refuse_contaminated,
                                   scan_contamination)
from gradeloop.data.planted import planted_corpus, precision_recall
from gradeloop.errors import InputError
from gradeloop.suite.model import Case, Suite

LONG = ("The quarterly report shows that revenue from the northern region grew by twelve percent while "
        "costs in the southern warehouses fell after the new routing software was installed last spring")
SUITE = Suite(name="ev", split="dev", cases=(
    Case(id="long", input=LONG),
    Case(id="qa", input="What is the capital city of France?", reference="Paris is the capital of France."),
    Case(id="tiny", input="Hi"),
))


@pytest.mark.slow
def test_planted_exact_near_and_ngram_hits_are_found_with_high_precision_and_recall(tmp_path):
    corpus = planted_corpus(tmp_path / "train.txt", n_eval=1000, n_train=10_000, seed=11)
    report = scan_contamination([corpus.train_path], [corpus.suite], workers=2)
    scores = precision_recall(report.hits, corpus.truth)
    assert report.docs == 10_000 and scores["planted"] >= 900
    assert scores["precision"] >= 0.95 and scores["recall"] >= 0.95, scores
    for kind in ("exact", "near", "ngram"):
        assert scores[f"recall_{kind}"] >= 0.95, (kind, scores)


def test_a_clean_training_set_has_no_hits(tmp_path):
    corpus = planted_corpus(tmp_path / "clean.txt", n_eval=1000, n_train=10_000, planted_share=0.0, seed=5)
    assert not corpus.truth
    assert scan_contamination([corpus.train_path], [corpus.suite], workers=1).hits == []


def test_worker_processes_find_exactly_what_one_process_finds(tmp_path):
    corpus = planted_corpus(tmp_path / "t.txt", n_eval=200, n_train=3000, seed=3)
    one = scan_contamination([corpus.train_path], [corpus.suite], workers=1, chunk_size=400).hits
    two = scan_contamination([corpus.train_path], [corpus.suite], workers=2, chunk_size=400).hits
    assert one == two and len(one) > 100


def test_each_kind_on_hand_written_documents():
    words = LONG.split()
    docs = [
        LONG.upper() + " !!",                                           # exact after normalisation
        LONG.replace("twelve", "eleven"),                               # reworded: near
        "Unrelated preamble about gardening and tomatoes. " + " ".join(words[3:17]) + " and then more text.",  # 13-gram
        "what is the capital city of france paris is the capital of france",  # question + answer
        "hi",                                                            # a tiny case is only matched exactly
        "Hi there, this long document mentions hi but should not match the tiny case at all really",
    ]
    hits = check_contamination([docs], [SUITE], workers=1)
    got = {(h.train_line, h.case_id): (h.kind, h.measure) for h in hits}
    assert got[(1, "long")] == ("exact", "exact")
    assert got[(2, "long")][0] == "near"
    assert got[(3, "long")] == ("ngram", "ngram")
    assert got[(4, "qa")] == ("exact", "exact")
    assert got[(5, "tiny")] == ("exact", "exact")
    assert (6, "tiny") not in got and len(got) == 5
    h = next(h for h in hits if h.train_line == 3)
    assert h.train_text == docs[2] and h.eval_text == LONG and 0 < h.score < 1


def test_jsonl_rows_match_by_field_and_report_their_line(tmp_path):
    p = tmp_path / "train.jsonl"
    p.write_text(json.dumps({"id": "r1", "prompt": "unrelated"}) + "\n\n"
                 + json.dumps({"id": "r2", "prompt": "What is the capital city of France?", "answer": "x"}) + "\n")
    hits = check_contamination([p], [SUITE], workers=1)
    assert [(h.train_file, h.train_line, h.case_id, h.kind) for h in hits] == [(str(p), 3, "qa", "exact")]


def test_only_the_chosen_checks_run():
    doc = [LONG.replace("twelve", "eleven")]
    assert check_contamination([doc], [SUITE], kinds=("exact",), workers=1) == []
    assert [h.kind for h in check_contamination([doc], [SUITE], kinds=("near",), workers=1)] == ["near"]


def test_bad_parameters_are_input_errors():
    with pytest.raises(InputError) as err:
        check_contamination([["x"]], [SUITE], jaccard=0)
    assert err.value.field == "jaccard"
    with pytest.raises(InputError):
        scan_contamination([["x"]], [SUITE], params=ContamParams(kinds=("fuzzy",)))


def test_refusal_names_the_first_hit():
    hits = check_contamination([[LONG]], [SUITE], workers=1)
    with pytest.raises(ContaminationError) as err:
        refuse_contaminated(hits, "tuning")
    assert err.value.line == 1 and "ev/long" in err.value.message
    refuse_contaminated([], "tuning")  # clean data passes


def test_report_json_has_the_v1_schema(tmp_path):
    report = scan_contamination([[LONG]], [SUITE], workers=1)
    doc = report.as_dict()
    assert doc["schema"] == "gradeloop.contam/v1" and doc["docs"] == 1 and doc["cases"] == 3
    hit = doc["hits"][0]
    assert hit["kind"] == "exact" and hit["train"]["line"] == 1 and hit["eval"] == {
        "suite": "ev", "case_id": "long", "part": "input", "text": LONG}
