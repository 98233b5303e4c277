"""The runtime decision policy: signal values (and request tags) in, an action out.

Deliberately light (standard library, plus PyYAML only for .yaml files) so a serving
process can `Policy.load(path).decide(signals, tags)` without numpy or scikit-learn.
A rule maps actions to minimum signal values: the action with the highest threshold at or
below the value wins, else the fallback. A `verify` action can carry a second, heavier
signal: once that signal is present, `decide` resolves verify into answer or its fallback.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from gradeloop.files import atomic_write_text
from gradeloop.errors import InputError

SCHEMA = "gradeloop.policy/v1"
ACTIONS = ("answer", "verify", "abstain", "escalate")


@dataclass(frozen=True)
class Verify:
    """The heavy path of a tiered policy: answer when `signal` >= `min`, else `otherwise`."""

    signal: str
    min: float | None  # None: the heavy path never certifies an answer
    otherwise: str = "abstain"


@dataclass(frozen=True)
class Rule:
    """Minimum signal value per action (None disables the action) and the fallback below them all."""

    thresholds: Mapping[str, float | None]
    fallback: str = "abstain"
    verify: Verify | None = None


@dataclass(frozen=True)
class Policy:
    """Thresholds on one signal, optionally per slice (`tag=value`), with their provenance."""

    signal: str
    rule: Rule
    slices: Mapping[str, Rule] = field(default_factory=dict)
    alpha: float | None = None
    delta: float | None = None
    data_version: str | None = None
    derived: Mapping[str, Any] = field(default_factory=dict)  # the statistics the thresholds came from

    def rule_for(self, tags: Mapping[str, str] | None) -> Rule:
        """The first slice (in file order) whose `tag=value` matches the request, else the default."""
        for key, rule in self.slices.items():
            name, _, value = key.partition("=")
            if tags and str(tags.get(name)) == value:
                return rule
        return self.rule

    def decide(self, signals: Mapping[str, float], tags: Mapping[str, str] | None = None) -> str:
        """The action for one request: answer, verify, abstain or escalate."""
        rule = self.rule_for(tags)
        value = _value(signals, self.signal)
        best, best_min = rule.fallback, -math.inf
        for action, minimum in rule.thresholds.items():
            if minimum is not None and value >= minimum and minimum > best_min:
                best, best_min = action, minimum
        if best == "verify" and rule.verify is not None and rule.verify.signal in signals:
            heavy = _value(signals, rule.verify.signal)
            ok = rule.verify.min is not None and heavy >= rule.verify.min
            return "answer" if ok else rule.verify.otherwise
        return best

    def as_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "signal": self.signal, "alpha": self.alpha, "delta": self.delta,
                "data_version": self.data_version, **_rule_dict(self.rule),
                "slices": {k: _rule_dict(r) for k, r in self.slices.items()}, "derived": dict(self.derived)}

    def save(self, path: str | Path) -> None:
        """Write as YAML when the name ends in .yaml/.yml, else JSON; atomically."""
        path = Path(path)
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            text = yaml.safe_dump(self.as_dict(), sort_keys=False)
        else:
            text = json.dumps(self.as_dict(), indent=2)
        atomic_write_text(path, text)

    @classmethod
    def load(cls, path: str | Path) -> "Policy":
        """Read and validate a policy file (JSON or YAML)."""
        source = str(path)
        from gradeloop import safejson
        from gradeloop.files import read_input_text

        text = read_input_text(path, what="policy file")  # FIFOs and devices refused, bad UTF-8 with its line
        if Path(path).suffix.lower() in (".yaml", ".yml"):
            from gradeloop.suite.yaml_tree import compose, to_python

            node = compose(text, source)  # file:line errors; alias bombs refused
            data = None if node is None else to_python(node, source)
        else:
            data = safejson.loads(text, source)
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> "Policy":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InputError(f"not a policy (schema must be {SCHEMA})", file=source, field="schema")
        signal = data.get("signal")
        if not isinstance(signal, str) or not signal:
            raise InputError("signal must be a non-empty string", file=source, field="signal")
        slices = data.get("slices") or {}
        if not isinstance(slices, dict):
            raise InputError("slices must be an object of tag=value keys", file=source, field="slices")
        for key in slices:
            if not isinstance(key, str) or "=" not in key:
                raise InputError(f"slice key must be tag=value, got {key!r}", file=source, field=f"slices.{key}")
        derived = data.get("derived") or {}
        return cls(signal=signal, rule=_parse_rule(data, "", source),
                   slices={k: _parse_rule(v, f"slices.{k}.", source) for k, v in slices.items()},
                   alpha=_optional_level(data, "alpha", source), delta=_optional_level(data, "delta", source),
                   data_version=None if data.get("data_version") is None else str(data["data_version"]),
                   derived=derived if isinstance(derived, dict) else {})


def _value(signals: Mapping[str, float], name: str) -> float:
    value = signals.get(name) if isinstance(signals, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"policy needs a finite numeric signal {name!r}, got {value!r}", field=name)
    return float(value)


def _rule_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"thresholds": dict(rule.thresholds), "fallback": rule.fallback}
    if rule.verify is not None:
        out["verify"] = {"signal": rule.verify.signal, "min": rule.verify.min, "otherwise": rule.verify.otherwise}
    return out


def _action(value: Any, field_name: str, source: str | None) -> str:
    if value not in ACTIONS:
        raise InputError(f"action must be one of {', '.join(ACTIONS)}, got {value!r}", file=source, field=field_name)
    return value


def _threshold(value: Any, field_name: str, source: str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"threshold must be a finite number or null, got {value!r}", file=source, field=field_name)
    return float(value)


def _parse_rule(data: Any, prefix: str, source: str | None) -> Rule:
    if not isinstance(data, dict):
        raise InputError("a rule must be an object", file=source, field=prefix.rstrip(".") or "rule")
    thresholds = data.get("thresholds")
    if not isinstance(thresholds, dict):
        raise InputError("thresholds must be an object of action: minimum", file=source, field=f"{prefix}thresholds")
    parsed = {_action(a, f"{prefix}thresholds", source): _threshold(v, f"{prefix}thresholds.{a}", source)
              for a, v in thresholds.items()}
    verify = data.get("verify")
    heavy = None
    if verify is not None:
        if not isinstance(verify, dict) or not isinstance(verify.get("signal"), str):
            raise InputError("verify must be an object with a signal", file=source, field=f"{prefix}verify")
        heavy = Verify(verify["signal"], _threshold(verify.get("min"), f"{prefix}verify.min", source),
                       _action(verify.get("otherwise", "abstain"), f"{prefix}verify.otherwise", source))
    return Rule(parsed, _action(data.get("fallback", "abstain"), f"{prefix}fallback", source), heavy)


def _optional_level(data: dict, key: str, source: str | None) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise InputError(f"{key} must be in (0, 1), got {value!r}", file=source, field=key)
    return float(value)
