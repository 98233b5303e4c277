"""Device and precision resolution: `auto` without an accelerator, explicit names, bad names."""
from __future__ import annotations

import pytest

from gradeloop.devices import check_device, check_dtype, resolve, resolve_device, resolve_dtype
from gradeloop.errors import InputError

torch = pytest.importorskip("torch")


def test_auto_picks_what_this_machine_has() -> None:
    place = resolve()
    if torch.cuda.is_available():
        assert place.device == "cuda:0" and place.dtype in {"bfloat16", "float16"}
    elif torch.backends.mps.is_available():
        assert place.device == "mps" and place.dtype == "float16"
    else:
        assert place.device == "cpu" and place.dtype == "float32" and place.kind == "cpu"
        assert place.torch_dtype() is torch.float32


def test_explicit_choices_and_aliases() -> None:
    assert resolve("cpu", "bf16").dtype == "bfloat16" and resolve("cpu", "fp16").torch_dtype() is torch.float16
    assert resolve_dtype("auto", "cpu") == "float32"
    assert check_device("cuda:3") == "cuda:3" and check_dtype("float32") == "float32"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_an_absent_accelerator_is_bad_input() -> None:
    for name in ("cuda", "cuda:1"):
        with pytest.raises(InputError, match="no CUDA device"):
            resolve_device(name)


@pytest.mark.parametrize("bad", ["tpu", "cuda:x", "gpu0", ""])
def test_unknown_devices_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="unknown device"):
        check_device(bad)


def test_unknown_dtypes_are_refused() -> None:
    with pytest.raises(InputError, match="unknown dtype"):
        check_dtype("int4")
