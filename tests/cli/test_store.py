"""`gradeloop store migrate`: refusals that need no server."""
from __future__ import annotations

import pytest

from gradeloop.cli import main


@pytest.mark.parametrize("dest", ["postgresql://gl:s3cret@db.example:5432/evals",
                                  "postgresql://other:pw2@db.example/evals/"])
def test_migrating_a_store_into_itself_is_refused(capsys, dest):
    code = main(["store", "migrate", "postgresql://gl:s3cret@db.example:5432/evals", dest])
    err = capsys.readouterr().err
    assert code == 2 and "same store" in err and "s3cret" not in err and "pw2" not in err


def test_the_same_file_under_two_names_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.db").write_bytes(b"")
    assert main(["store", "migrate", "a.db", "./sub/../a.db"]) == 2
    assert "same store" in capsys.readouterr().err
