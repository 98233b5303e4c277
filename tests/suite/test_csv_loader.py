"""Loading CSV suites: one case per row, `tags.*`/`metadata.*` columns, a JSON `graders` column."""
from __future__ import annotations

from gradeloop.suite import load_suite

from .conftest import load_error

HEADER = "id,input,reference,expect,tags.locale,tags.intent,graders,metadata.source\n"


def test_columns_become_case_fields(write):
    path = write("tickets.csv", HEADER
                 + 'a,"Say ""hi""",hi,answer,en,greet,"[{""type"": ""contains"", ""value"": ""hi""}]",inbox\n'
                 + "\n"
                 + 'b,"two\nlines",,,de,,,\n'
                 + "c,third,,refuse,,,,\n")
    suite = load_suite(path)
    assert (suite.name, suite.split) == ("tickets", "dev")
    a, b, c = suite.cases
    assert (a.input, a.reference, a.expect, a.line) == ('Say "hi"', "hi", "answer", 2)
    assert a.tags == {"locale": "en", "intent": "greet"} and a.metadata == {"source": "inbox"}
    assert (a.graders[0].type, a.graders[0].params, a.graders[0].line) == ("contains", {"value": "hi"}, 2)
    # empty cells are "not set"; a quoted newline makes the next row start two lines later
    assert (b.input, b.reference, b.expect, b.tags, b.graders, b.line) == ("two\nlines", None, None, {"locale": "de"}, (), 4)
    assert (c.expect, c.line) == ("refuse", 6)


def test_unknown_column_suggests_the_closest(write):
    err = load_error(write("s.csv", "id,inptu\na,x\n"))
    assert (err.line, err.field) == (1, "inptu") and "did you mean `input`" in err.message


def test_missing_required_column(write):
    err = load_error(write("s.csv", "id,reference\na,x\n"))
    assert (err.line, err.field) == (1, "input") and "missing column" in err.message


def test_duplicate_column(write):
    err = load_error(write("s.csv", "id,input,input\na,x,y\n"))
    assert (err.line, err.field) == (1, "input")


def test_row_with_wrong_cell_count(write):
    err = load_error(write("s.csv", "id,input,reference\na,x,y\nb,only\n"))
    assert err.line == 3 and "2 cells" in err.message


def test_bad_graders_json_names_the_row(write):
    err = load_error(write("s.csv", 'id,input,graders\na,x,\nb,y,"[{""type"": contains}]"\n'))
    assert (err.line, err.field) == (3, "graders") and "JSON" in err.message
    err = load_error(write("t.csv", 'id,input,graders\na,x,"[""contains""]"\n'))
    assert (err.line, err.field) == (2, "graders[0]")


def test_empty_input_cell(write):
    err = load_error(write("s.csv", "id,input\na,x\nb,\n"))
    assert (err.line, err.field) == (3, "input") and "empty" in err.message


def test_malformed_csv(write):
    err = load_error(write("s.csv", 'id,input\na,x\nb,"unterminated\nc,z\n'))
    assert "malformed CSV" in err.message and err.line == 3
    err = load_error(write("t.csv", 'id,input\na,"x"y\n'))
    assert "malformed CSV" in err.message and err.line == 2


def test_non_utf8_csv(write):
    err = load_error(write("s.csv", b"id,input\na,ok\nb,na\xefve\n"))
    assert err.line == 3 and "UTF-8" in err.message


def test_header_only_is_an_empty_suite(write):
    err = load_error(write("s.csv", "id,input\n"))
    assert err.field == "cases" and "no cases" in err.message


def test_empty_csv(write):
    err = load_error(write("s.csv", "\n"))
    assert err.line == 1 and "empty file" in err.message
