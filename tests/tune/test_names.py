"""Tune names and adapter ids become folder names: one safe path component, or an InputError."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.names import check_path_name, is_path_name
from gradeloop.tune.config import load_tune_config
from gradeloop.tune.registry import AdapterRegistry


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", "-rf", "a\\b", "", "x" * 101, "a..b", "é"])
def test_unsafe_names_are_refused(name):
    assert not is_path_name(name)
    with pytest.raises(InputError, match="cannot name a folder"):
        check_path_name(name)


@pytest.mark.parametrize("name", ["micro", "pw-reset_v2.1", "A", "0day"])
def test_ordinary_names_pass(name):
    assert check_path_name(name) == name


def test_tune_config_with_a_traversing_name_is_a_file_line_field_error(tmp_path):
    cfg = tmp_path / "tune.yaml"
    cfg.write_text("name: ../../x\nbase: hf:whatever\nfocus: [f.yaml]\n")
    with pytest.raises(InputError) as err:
        load_tune_config(cfg)
    assert err.value.file == str(cfg) and err.value.line == 1 and err.value.field == "name"
    assert "cannot name a folder" in str(err.value)


def test_registry_refuses_ids_and_lines_outside_its_folder(tmp_path):
    reg = AdapterRegistry(tmp_path / "adapters")
    (tmp_path / "secret").mkdir()
    with pytest.raises(InputError):
        reg.path("../secret")
    with pytest.raises(InputError):
        reg.set_head("../../evil", "x")
    assert not (tmp_path / "evil").exists() and not list(tmp_path.glob("HEAD-*"))
