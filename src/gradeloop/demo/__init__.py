"""The embedded tiny support model: built offline from generated dialogues, flawed on purpose.

`python -m gradeloop.demo` (what `make demo` runs) builds it, evaluates, tunes and reports.
"""
from gradeloop.demo.model import build_tiny_model, default_model_dir, ensure_tiny_model

__all__ = ["build_tiny_model", "default_model_dir", "ensure_tiny_model"]
