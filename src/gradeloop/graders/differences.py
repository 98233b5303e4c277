"""Where gradeloop's graders deliberately differ from promptfoo, Inspect and OpenAI's graders.

One line each, shown by `gradeloop graders`. The peer corpus (tests/graders/data/peer_corpus.jsonl)
marks the pairs where a verdict differs from the peer's with one of these keys; every other pair
must give the peer's documented verdict.
"""
from __future__ import annotations

from typing import Mapping

DIFFERENCES: Mapping[str, str] = {
    "contains-case": "contains / contains_all / contains_any / not_contains ignore case by default, as promptfoo's "
                     "icontains*; `case_sensitive: true` is promptfoo's contains*.",
    "unicode-casefold": "Ignoring case uses Unicode case folding (\"Straße\" contains \"STRASSE\"), not JavaScript's "
                        "toLowerCase (promptfoo) or Python's lower() (Inspect).",
    "exact-strip": "exact ignores whitespace around the output and the value by default; `strip: false` is "
                   "promptfoo's equals and OpenAI's string_check eq.",
    "regex-dialect": "regex patterns are Python's dialect (the regex module, V0: \\d matches any Unicode digit), not "
                     "JavaScript's (promptfoo); each match has a time limit and a timeout is a grader error.",
    "json-fence": "json_valid and json_schema accept JSON inside one ```json fence by default (promptfoo's is-json "
                  "does not; `allow_fence: false` matches it); NaN and Infinity are never JSON.",
    "numeric-percent": "numeric reads \"60%\" as 60 (Inspect's match(numeric) refuses percentages) and takes the last "
                       "number by default, as Inspect's location=end; digits glued to a letter (GPT4) are not numbers.",
    "normalized-empty-reference": "normalized_match compares an answer that SQuAD normalisation erases (\"A\", \"the\", "
                                  "\"-\") under a gentler normalisation, so an empty output never matches it (SQuAD / "
                                  "Inspect's exact would).",
    "similarity-tokens": "ROUGE, BLEU and GLEU tokens are lower-cased Unicode \\w+ words (rouge-score keeps only "
                         "[a-z0-9]); no stemming; a side with no word scores 0.",
    "bleu-smoothing": "bleu smooths the 2- to 4-gram precisions by add-one (Lin & Och 2004), so short outputs score "
                      "above 0 where unsmoothed sacrebleu / nltk sentence BLEU gives 0.",
    "fuzzy-match-scorer": "text_similarity fuzzy_match is rapidfuzz's fuzz.ratio, case-sensitive (OpenAI names "
                          "rapidfuzz but not the scorer).",
    "offline-metrics": "text_similarity cosine and meteor are refused when the suite loads: they need an embedding "
                       "model or WordNet data, which gradeloop does not fetch.",
    "score-model-judge": "score_model's `model`, when it is a model name (o4-mini-2025-04-16), is answered by the "
                         "project's judge (`judge:` or a gradeloop.yaml target of that name), not by OpenAI.",
    "score-model-unparseable": "A judge answer with no readable number is a grader error (neither pass nor fail), "
                               "where OpenAI's score_model scores it 0; numbers outside `range` are clipped, as OpenAI does.",
    "judge-verdict": "llm_judge and score_model read only the judge's own verdict (the object carrying the call's "
                     "nonce, else the one opening the reply); differing untagged verdicts are a grader error.",
    "sample-missing": "A {{ sample.output_json.* }} or {{ sample.output_tools[i].* }} field the generation lacks "
                      "fills as \"\" (the check fails), not a grader error.",
    "multi-bounds": "multi clips its formula's result to [0, 1]; a formula that fails (log(0), sqrt(-1)) is a grader "
                    "error; a score_model enters the formula on its own range, as in OpenAI's multi.",
    "refusal-detector": "refusal / not_refusal use a phrase detector on the first two sentences (not promptfoo's "
                        "phrase list); \"I can't tell which..., but\" is an answer; `judge:` asks a model instead.",
    "tool-call-matching": "tool_call pairs parallel calls one to one, best assignment first (BFCL takes the first "
                          "match per expected call, which can miss a valid pairing), and scores near misses with "
                          "partial credit (BFCL is pass/fail; pass still needs a full match).",
    "tools-valid": "tool_call_valid checks calls against the case's declared `tools` (promptfoo's "
                   "is-valid-openai-tools-call against the provider's tools); a case without tools is a grader error.",
}
