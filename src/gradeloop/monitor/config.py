"""The monitor config (YAML): which graders score traffic, the window, slices, baseline, drift and alerts.

```yaml
suite: suites/support.yaml        # its defaults.graders score every logged request
window: 1h                        # 30m, 1h, 1d, 1w ... or a request count such as 500
slices: [locale]                  # tag keys: rates per tag value
baseline: runs/release.json       # run id, `latest`, run JSON, or a production log (.jsonl)
drift: {alpha: 0.01, features: [output_words, latency_s, "tag:locale"]}
alerts:
  - {pass_rate_below: 0.85, on: ci_high}
  - {refusal_rate_above: 0.1, slice: locale}     # every value of locale
  - {drift: {feature: output_words}}
  - {pass_rate_drop: {alpha: 0.05, margin: 0.02}}
```
Relative paths are read from the config file's folder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gradeloop.configfile import load_yaml_config
from gradeloop.errors import InputError

NUMERIC_FEATURES: tuple[str, ...] = ("output_words", "confidence", "latency_s")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
RATE_KINDS = ("pass_rate_below", "refusal_rate_above", "error_rate_above", "latency_above", "drift",
              "pass_rate_drop", "tool_call_failure_rate_above")


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """Windows of a fixed duration (aligned to the epoch, UTC) or of a fixed number of requests."""

    seconds: float | None = None
    count: int | None = None

    @property
    def label(self) -> str:
        return f"{self.count} requests" if self.count else f"{self.seconds:g}s"


def parse_duration(text: str, field: str = "window") -> float:
    """Seconds in `30s`, `15m`, `1h`, `1d`, `1w`."""
    m = _DURATION.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise InputError(f"expected a duration such as 30m, 1h, 1d, got {text!r}", field=field)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_window(value: str | int) -> WindowSpec:
    """`1h` -> a time window; `500` -> a window of 500 requests."""
    if isinstance(value, bool):
        raise InputError(f"expected a duration (1h) or a request count (500), got {value!r}", field="window")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        count = int(value)
        if count < 1:
            raise InputError(f"a request count must be >= 1, got {count}", field="window")
        return WindowSpec(count=count)
    return WindowSpec(seconds=parse_duration(value))


def _check_feature(name: str) -> str:
    if name in NUMERIC_FEATURES or (name.startswith("tag:") and len(name) > 4):
        return name
    raise ValueError(f"unknown drift feature {name!r} (known: {', '.join(NUMERIC_FEATURES)}, tag:<key>)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftSettings(_Strict):
    """How distribution drift against the baseline is tested in each window."""

    features: list[str] | None = Field(
        None, description="output_words, confidence, latency_s, tag:<key>; default: the three numeric ones "
                          "and tag:<key> for each slice key")
    alpha: float = Field(0.01, gt=0, lt=0.5, description="Family-wise level per window (Holm across features)")
    bins: int = Field(10, ge=2, le=100, description="PSI bins (baseline quantiles) for numeric features")
    min_psi: float = Field(0.1, ge=0, description="A drift must also be this large (PSI) to count")
    min_n: int = Field(20, ge=2, description="Features with fewer values in the window are not tested")

    @field_validator("features")
    @classmethod
    def _features(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [_check_feature(f) for f in v]


class DriftRule(_Strict):
    feature: str = Field("any", description="A drift feature, or `any`")
    alpha: float | None = Field(None, gt=0, lt=0.5, description="Default: drift.alpha")

    @field_validator("feature")
    @classmethod
    def _feature(cls, v: str) -> str:
        return v if v == "any" else _check_feature(v)


class DropRule(_Strict):
    """A drop of the pass rate below the baseline's, by an anytime-valid monitor or a per-window test."""

    alpha: float = Field(0.05, gt=0, lt=0.5)
    margin: float = Field(0.0, ge=0, lt=1, description="Drops smaller than this never alert")
    method: Literal["sequential", "window"] = Field(
        "sequential", description="sequential: valid however many windows are checked; window: Fisher test per "
                                  "window (false alarms add up across windows)")
    halflife: int = Field(200, ge=1, description="Requests: how fast the sequential monitor forgets")


class AlertRule(_Strict):
    """Exactly one condition; `on` picks the mean or an interval bound (default: the confident bound)."""

    name: str | None = None
    pass_rate_below: float | None = Field(None, ge=0, le=1)
    refusal_rate_above: float | None = Field(None, ge=0, le=1)
    error_rate_above: float | None = Field(None, ge=0, le=1)
    latency_above: float | None = Field(None, ge=0, description="Mean latency, seconds")
    tool_call_failure_rate_above: float | None = Field(
        None, ge=0, le=1, description="Share of requests with tool calls where a call failed (logs with tool_calls)")
    drift: DriftRule | None = None
    pass_rate_drop: DropRule | None = None
    on: Literal["mean", "ci_low", "ci_high"] | None = Field(
        None, description="Default: ci_high for *_below, ci_low for *_above (alert only when confident)")
    slice: str | None = Field(None, description="`key=value`, or `key` for every value of the tag; default: all")

    @model_validator(mode="after")
    def _one_kind(self) -> "AlertRule":
        kinds = [k for k in RATE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"an alert rule needs exactly one of {', '.join(RATE_KINDS)}"
                             + (f" (got {', '.join(kinds)})" if kinds else ""))
        if kinds[0] in ("drift", "pass_rate_drop") and (self.slice is not None or self.on is not None):
            raise ValueError(f"`slice` and `on` do not apply to {kinds[0]}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in RATE_KINDS if getattr(self, k) is not None)

    @property
    def bound(self) -> str:
        return self.on or ("ci_high" if self.kind == "pass_rate_below" else "ci_low")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        kind = self.kind
        if kind == "drift":
            return f"drift {self.drift.feature}"  # type: ignore[union-attr]
        if kind == "pass_rate_drop":
            return f"pass_rate_drop ({self.pass_rate_drop.method})"  # type: ignore[union-attr]
        where = f" [{self.slice}]" if self.slice else ""
        return f"{kind} {getattr(self, kind):g} on {self.bound}{where}"


class MonitorConfig(_Strict):
    """Everything `gradeloop monitor` needs besides the logs."""

    suite: str = Field(description="Suite file whose defaults.graders score every request")
    window: str | int = Field("1h", description="Duration (30m, 1h, 1d) or request count (500)")
    max_lateness: str = Field("5m", description="Time windows: how far out of time order a line may be")
    slices: list[str] = Field(default_factory=list, description="Tag keys to report rates by")
    max_slice_values: int = Field(50, ge=1, description="Per tag key and window; further values go to (other)")
    baseline: str | None = Field(None, description="Run id, `latest`, run JSON file, or a production log .jsonl")
    drift: DriftSettings = DriftSettings()
    alerts: list[AlertRule] = Field(default_factory=list)
    level: float = Field(0.95, gt=0, lt=1, description="Confidence level of the rate intervals")

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | int) -> str | int:
        try:
            parse_window(v)
        except InputError as exc:
            raise ValueError(exc.message) from None
        return v

    @field_validator("max_lateness")
    @classmethod
    def _lateness(cls, v: str) -> str:
        if str(v).strip() not in ("0", "0s"):
            try:
                parse_duration(v, "max_lateness")
            except InputError as exc:
                raise ValueError(exc.message) from None
        return v

    @field_validator("slices")
    @classmethod
    def _slices(cls, v: list[str]) -> list[str]:
        for key in v:
            if not key or "=" in key:
                raise ValueError(f"a slice is a tag key such as `locale`, got {key!r}")
        return v

    @model_validator(mode="after")
    def _drift_rules(self) -> "MonitorConfig":
        features = self.drift_features
        for rule in self.alerts:
            if rule.drift is not None and rule.drift.feature != "any" and rule.drift.feature not in features:
                raise ValueError(f"drift feature {rule.drift.feature!r} is not among drift.features "
                                 f"({', '.join(features)})")
        return self

    @property
    def window_spec(self) -> WindowSpec:
        return parse_window(self.window)

    @property
    def lateness_s(self) -> float:
        return 0.0 if str(self.max_lateness).strip() in ("0", "0s") else parse_duration(self.max_lateness)

    @property
    def slice_keys(self) -> list[str]:
        """The configured slice keys plus any key an alert rule slices by."""
        keys = list(self.slices)
        for rule in self.alerts:
            if rule.slice:
                key = rule.slice.partition("=")[0]
                if key not in keys:
                    keys.append(key)
        return keys

    @property
    def drift_features(self) -> list[str]:
        if self.drift.features is not None:
            return list(self.drift.features)
        return list(NUMERIC_FEATURES) + [f"tag:{k}" for k in self.slices]


def load_monitor_config(path: str | Path) -> MonitorConfig:
    """Read and validate the config; `suite` and a file `baseline` become paths from the config's folder."""
    cfg = load_yaml_config(path, MonitorConfig)
    base = Path(path).parent
    updates: dict[str, str] = {"suite": str(base / cfg.suite) if not Path(cfg.suite).is_absolute() else cfg.suite}
    if cfg.baseline and (cfg.baseline.endswith((".json", ".jsonl", ".gz")) or (base / cfg.baseline).is_file()):
        if not Path(cfg.baseline).is_absolute():
            updates["baseline"] = str(base / cfg.baseline)
    return cfg.model_copy(update=updates)
