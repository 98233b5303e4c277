import json

import pytest

from gradeloop.data.readers import TrainDoc, iter_docs, read_docs
from gradeloop.errors import InputError


def test_text_lines_keep_their_line_numbers_and_skip_blank_lines(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("first\n\n  \nfourth\n", encoding="utf-8")
    assert [(d.line, d.text) for d in read_docs(p)] == [(1, "first"), (4, "fourth")]


def test_jsonl_reads_string_fields_and_chat_contents(tmp_path):
    p = tmp_path / "t.jsonl"
    rows = [{"prompt": "q one", "completion": "a one", "n": 3},
            {"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}]},
            {"n": 5}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    docs = list(read_docs(p))
    assert [(d.line, d.text) for d in docs] == [(1, "q one\na one"), (2, "hello")]
    assert docs[0].parts == ("q one", "a one")
    only = next(iter(read_docs(p, fields=["prompt"])))
    assert only.text == "q one"


def test_jsonl_missing_field_and_bad_json_name_file_line_field(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text('{"prompt": "x"}\n{"other": "y"}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_docs(p, fields=["prompt"]))
    assert (err.value.file, err.value.line, err.value.field) == (str(p), 2, "prompt")
    p.write_text('{"prompt": "x"}\n{not json\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_docs(p))
    assert err.value.line == 2 and "malformed JSON" in err.value.message


def test_csv_rows_report_the_line_they_start_on(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('id,text\n1,"spans\ntwo lines"\n2,plain\n', encoding="utf-8")
    docs = list(read_docs(p, fields=["text"]))
    assert [(d.line, d.text) for d in docs] == [(2, "spans\ntwo lines"), (4, "plain")]
    with pytest.raises(InputError) as err:
        list(read_docs(p, fields=["body"]))
    assert err.value.line == 1 and err.value.field == "body"


def test_invalid_utf8_names_the_line(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(b"ok\nbad \xff byte\n")
    with pytest.raises(InputError) as err:
        list(read_docs(p))
    assert err.value.line == 2


def test_iterables_of_texts_rows_and_docs():
    docs = list(iter_docs(["a", {"prompt": "b"}, TrainDoc("f", 9, "c")], label="<mem>"))
    assert [(d.file, d.line, d.text) for d in docs] == [("<mem>", 1, "a"), ("<mem>", 2, "b"), ("f", 9, "c")]
    with pytest.raises(InputError):
        list(iter_docs([42]))
