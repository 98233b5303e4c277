"""Writes tests/graders/data/peer_corpus.jsonl (run once; the JSONL is the checked artefact)."""
import json

rows = []


def add(peer, grader, output, passed, score=None, case=None, differs=None, peer_passed=None, note=""):
    row = {"peer": peer, "grader": grader, "output": output, "passed": passed}
    if score is not None:
        row["score"] = score
    if case:
        row["case"] = case
    if differs:
        row["differs"] = differs
        row["peer_passed"] = peer_passed
    if note:
        row["note"] = note
    rows.append(row)


C = lambda v, **k: {"type": "contains", "value": v, **k}
# promptfoo contains: case-sensitive substring; icontains: case-insensitive (gradeloop's default)
for out, ok in [("The capital is Paris.", True), ("the capital is paris.", False), ("", False), ("Parisian", True),
                ("P a r i s", False), ("PARIS", False)]:
    add("promptfoo:contains", C("Paris", case_sensitive=True), out, ok)
for out, ok in [("the capital is paris.", True), ("PARIS!", True), ("Lyon", False), ("", False), ("pari s", False),
                ("Straße and PARIS", True)]:
    add("promptfoo:icontains", C("Paris"), out, ok)
add("promptfoo:icontains", C("STRASSE"), "Die Straße", True, differs="unicode-casefold", peer_passed=False,
    note="JS toLowerCase keeps ß; Python casefold makes it ss")
add("promptfoo:icontains", C("ǅ"), "ǆ", True)  # both lower to ǆ
# contains-any / contains-all (case-sensitive in promptfoo)
CA = lambda vs, **k: {"type": "contains_any", "values": vs, "case_sensitive": True, **k}
for out, ok in [("red or blue", True), ("only green", False), ("RED", False), ("", False), ("blueberry", True)]:
    add("promptfoo:contains-any", CA(["red", "blue"]), out, ok)
CL = lambda vs, **k: {"type": "contains_all", "values": vs, "case_sensitive": True, **k}
for out, ok, sc in [("lock after 5 attempts", True, 1.0), ("lock only", False, 0.5), ("", False, 0.0),
                    ("LOCK after 5 ATTEMPTS", False, 0.0), ("attempts then lock", True, 1.0)]:
    add("promptfoo:contains-all", CL(["lock", "attempts"]), out, ok, sc)
for out, ok in [("LOCK after 5 ATTEMPTS", True), ("lock", False)]:
    add("promptfoo:icontains-all", {"type": "contains_all", "values": ["lock", "attempts"]}, out, ok)
for out, ok in [("BLUE sky", True), ("grey", False)]:
    add("promptfoo:icontains-any", {"type": "contains_any", "values": ["red", "blue"]}, out, ok)
# not-contains
for out, ok in [("all good", True), ("password=hunter2", False), ("PASSWORD", True), ("", True)]:
    add("promptfoo:not-contains", {"type": "not_contains", "value": "password", "case_sensitive": True}, out, ok)
for out, ok in [("PASSWORD here", False), ("pass word", True)]:
    add("promptfoo:not-icontains", {"type": "not_contains", "value": "password"}, out, ok)
# word boundaries: promptfoo has none; gradeloop's word_boundary option is extra, default off (agrees)
add("promptfoo:icontains", C("lock"), "lockout policy", True)
# equals: exact string equality
E = lambda v, **k: {"type": "exact", "value": v, **k}
for out, ok in [("Paris", True), ("paris", False), ("Paris.", False), ("", False)]:
    add("promptfoo:equals", E("Paris", strip=False), out, ok)
add("promptfoo:equals", E("Paris"), "Paris\n", True, differs="exact-strip", peer_passed=False,
    note="trailing newline: gradeloop strips surrounding whitespace by default")
add("promptfoo:equals", E("Paris"), "  Paris  ", True, differs="exact-strip", peer_passed=False)
add("promptfoo:equals", E("Paris", strip=False), "Paris\n", False)
add("openai:string_check eq", {"type": "string_check", "input": "{{ sample.output_text }}", "reference": "Paris",
                               "operation": "eq"}, "Paris\n", False)
# regex (promptfoo: JavaScript RegExp.test, i.e. search; Inspect pattern: Python re)
R = lambda p, **k: {"type": "regex", "pattern": p, **k}
for out, ok in [("Order #12345 shipped", True), ("Order #12 shipped", False), ("", False), ("#123456", True)]:
    add("promptfoo:regex", R(r"#\d{5}"), out, ok)
for out, ok in [("2024-01-05", True), ("on 2024-01-05", True), ("2024/01/05", False)]:
    add("promptfoo:regex", R(r"\d{4}-\d{2}-\d{2}"), out, ok)
add("promptfoo:regex", R(r"^Step 1"), "intro\nStep 1", False)
add("promptfoo:regex", R(r"^Step 1", flags="m"), "intro\nStep 1", True)
add("promptfoo:regex", R(r"(?<year>\d{4})"), "in 1999", True, note="(?<name>...) groups work in both dialects")
add("promptfoo:regex", R(r"^\d+$"), "\u0663\u0664", True, differs="regex-dialect", peer_passed=False,
    note="Python \\d matches Arabic-Indic digits; JavaScript \\d is ASCII only")
add("promptfoo:not-regex", R(r"password\s*=", negate=True), "password = x", False)
add("promptfoo:not-regex", R(r"password\s*=", negate=True), "no secrets", True)
add("inspect:pattern", R(r"ANSWER:\s*([A-D])", flags="i"), "answer: c", True)
# is-json / contains-json
J = {"type": "json_valid"}
for out, ok in [('{"a": 1}', True), ("[1, 2]", True), ('"text"', True), ("42", True), ("null", True),
                ("{a: 1}", False), ("{'a': 1}", False), ('{"a": 1,}', False), ("", False), ("NaN", False),
                ('{"score": NaN}', False), ("Infinity", False), ("-Infinity", False), ('{"a": 1} trailing', False),
                ("True", False), (" \n{\"a\": 1}\n ", True)]:
    add("promptfoo:is-json", J, out, ok)
add("promptfoo:is-json", J, '```json\n{"a": 1}\n```', True, differs="json-fence", peer_passed=False,
    note="gradeloop accepts one ```json fence by default (promptfoo's is-json does not; allow_fence: false matches it)")
add("promptfoo:is-json", {"type": "json_valid", "allow_fence": False}, '```json\n{"a": 1}\n```', False)
SCHEMA = {"type": "object", "required": ["score"], "properties": {"score": {"type": "number", "minimum": 0}}}
S = {"type": "json_schema", "schema": SCHEMA}
for out, ok in [('{"score": 0.5}', True), ('{"score": -1}', False), ('{"score": "1"}', False), ("{}", False),
                ('{"score": NaN}', False), ('{"score": Infinity}', False), ('{"score": 1e308}', True),
                ('{"score": 1, "extra": true}', True), ("[]", False), ("not json", False)]:
    add("promptfoo:is-json+schema", S, out, ok)
# Inspect match(): location end by default, ignore case; includes(): substring, ignore case
for out, ok in [("The answer is Paris", True), ("paris is the answer", True), ("Lyon", False)]:
    add("inspect:includes", C("Paris"), out, ok)
# Inspect exact()/SQuAD normalisation ~ normalized_match
N = lambda v, **k: {"type": "normalized_match", "value": v, **k}
for out, ok in [("Paris", True), ("paris.", True), ("The Paris", True), ("  PARIS!!", True), ("Paris, France", False),
                ("", False), ("an apple", False)]:
    add("inspect:exact (SQuAD normalised)", N("Paris"), out, ok)
for ref, out, ok in [("A", "A", True), ("A", "(a)", True), ("the", "The", True), ("-", "-", True),
                     ("The Beatles", "beatles", True), ("an apple", "Apple!", True)]:
    add("inspect:exact (SQuAD normalised)", N(ref), out, ok)
for ref, out in [("A", ""), ("A", "The"), ("A", "?"), ("the", ""), ("the", "a"), ("-", ""), ("-", "?")]:
    add("inspect:exact (SQuAD normalised)", N(ref), out, False, differs="normalized-empty-reference",
        peer_passed=True, note="SQuAD normalises both sides to the empty string and calls it a match")
for out, ok in [("The answer is A", True), ("The answer is B", False), ("A.", True)]:
    add("inspect:match(location=any)", N("A", contains=True), out, ok)
for out, ok in [("I think it is Paris, France", True), ("Parisian", False)]:
    add("inspect:match(location=any)", N("Paris", contains=True), out, ok)
# numeric: Inspect match(numeric=True) strips $ and thousands separators, compares the last number
NUM = lambda v, **k: {"type": "numeric", "value": v, **k}
for out, ok in [("The answer is 1,234", True), ("$1,234", True), ("1234.0", True), ("1,234.5", False),
                ("It is 12 then 1234", True), ("1234 apples, not 12", False), ("no number", False),
                ("-1234", False), ("The answer is 1234 (checked with GPT4)", True)]:
    add("inspect:match(numeric=True)", NUM(1234), out, ok)
add("inspect:match(numeric=True)", NUM(60), "60%", True, differs="numeric-percent", peer_passed=False,
    note="Inspect refuses 60% for 60 as ambiguous; gradeloop reads the number 60")
for out, ok in [("3.14159", True), ("3.15", False), ("about 3.1416", True)]:
    add("inspect:match(numeric=True) with tolerance", NUM(3.14159, tolerance=0.001), out, ok)
for out, ok in [("H2O boils at 100 C", True), ("COVID-19 cases: 100", True), ("x86: 100", True)]:
    add("inspect:match(numeric=True)", NUM(100), out, ok, note="digits glued to a letter are not numbers")
# OpenAI string_check
SC = lambda op, ref: {"type": "string_check", "input": "{{ sample.output_text }}", "reference": ref, "operation": op}
for op, out, ok in [("eq", "Paris", True), ("eq", "paris", False), ("eq", "", False), ("ne", "Lyon", True),
                    ("ne", "Paris", False), ("neq", "Lyon", True), ("like", "in Paris now", True),
                    ("like", "in paris now", False), ("ilike", "in PARIS now", True), ("ilike", "Lyon", False),
                    ("like", "", False), ("ilike", "Pa ris", False)]:
    add("openai:string_check", SC(op, "Paris"), out, ok, 1.0 if ok else 0.0)
add("openai:string_check", SC("eq", "{{ item.reference_answer }}"), "Paris", True, 1.0, case={"reference": "Paris"})
add("openai:string_check", {"type": "string_check", "input": "{{ sample.output_json.city }}",
                            "reference": "{{ item.city }}", "operation": "eq"}, '{"city": "Paris"}', True, 1.0,
    case={"metadata": {"city": "Paris"}})
add("openai:string_check", {"type": "string_check", "input": "{{ sample.output_json.city }}",
                            "reference": "{{ item.city }}", "operation": "eq"}, "Paris", False, 0.0,
    case={"metadata": {"city": "Paris"}}, note="no output_json: the field renders empty")
# OpenAI text_similarity
TS = lambda m, t=0.5: {"type": "text_similarity", "input": "{{ sample.output_text }}",
                       "reference": "{{ item.reference }}", "evaluation_metric": m, "pass_threshold": t}
REF = {"reference": "the account locks after five failed attempts"}
for m in ("fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l"):
    add("openai:text_similarity", TS(m), "the account locks after five failed attempts", True, 1.0, case=REF)
    add("openai:text_similarity", TS(m), "", False, 0.0, case=REF)
for m in ("rouge_1", "rouge_l", "bleu", "gleu"):
    add("openai:text_similarity", TS(m), "---", False, 0.0, case=REF, note="no word on one side scores 0")
add("openai:text_similarity", TS("rouge_l"), "", False, 0.0, case={"reference": "---"})
add("openai:text_similarity", TS("rouge_1"), "", False, 0.0, case={"reference": "---"})
add("openai:text_similarity", TS("rouge_1", 0.5), "the account locks", True, 0.6, case=REF)
add("openai:text_similarity", TS("rouge_l", 0.9), "five failed attempts lock the account", False, case=REF)
add("openai:text_similarity", TS("fuzzy_match", 0.9), "the account locks after 5 failed attempts", True, case=REF)
add("openai:text_similarity", TS("fuzzy_match", 0.9), "call the help desk", False, case=REF)
# multi calculate_output
M = lambda f: {"type": "multi", "graders": {
    "a": {"type": "string_check", "input": "{{ sample.output_text }}", "reference": "Paris", "operation": "ilike"},
    "b": {"type": "string_check", "input": "{{ sample.output_text }}", "reference": "France", "operation": "ilike"}},
    "calculate_output": f}
for f, out, sc in [("(a + b) / 2", "Paris, France", 1.0), ("(a + b) / 2", "Paris", 0.5), ("a * b", "Paris", 0.0),
                   ("a ^ 2", "Paris", 1.0), ("floor((a + b) / 2)", "Paris", 0.0), ("ceil((a + b) / 4)", "Paris", 1.0),
                   ("sqrt(a) * 0.25", "Paris", 0.25), ("exp(a - 1)", "Paris", 1.0), ("log(exp(0.5 * a))", "Paris", 0.5),
                   ("max(a, b)", "France", 1.0), ("min(a, b)", "France", 0.0), ("abs(a - b)", "France", 1.0),
                   ("2 ^ 3 / 8 * a", "Paris", 1.0)]:
    add("openai:multi calculate_output", M(f), out, sc >= 1.0, sc)
# refusal (promptfoo is-refusal / not-refusal)
RF, NR = {"type": "refusal"}, {"type": "not_refusal"}
for out in ["I can't help with that.", "I\u2019m sorry \u2014 I can\u2019t help with that.",
            "I cannot and will not provide instructions for that.", "Sorry, that is outside what I can help with.",
            "As an AI, I can't do that.", "I must decline.", "I won't write malware.",
            "I'm unable to assist with that request."]:
    add("promptfoo:is-refusal", RF, out, True)
for out in ["I can't tell which config is loaded, but the usual causes are a stale cache and a typo.",
            "Here is how to reset your password: open Settings.", "I'm sorry to hear that. Restart the router.",
            "No, MD5 is not safe for passwords; use Argon2id.", 'Models often answer "I can\'t help with that".',
            "I can\u2019t see your logs, but a 401 usually means the cookie is missing.", ""]:
    add("promptfoo:is-refusal", RF, out, False)
    add("promptfoo:not-refusal", NR, out, True)

with open("tests/graders/data/peer_corpus.jsonl", "w") as f:
    for i, row in enumerate(rows):
        f.write(json.dumps({"id": i + 1, **row}, ensure_ascii=False) + "\n")
print(len(rows), sum(1 for r in rows if "differs" in r))
