"""A micro model (seconds to build) and micro suites for the tuning tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from gradeloop.demo.model import MICRO_CONFIG, build_tiny_model


@pytest.fixture(scope="session")
def micro_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "micro", seed=0, train_seconds=2,
                            config=MICRO_CONFIG)


def write(path: Path, name: str, split: str, inputs: list[str], graders: str) -> str:
    lines = [f"name: {name}", f"split: {split}", "defaults:", "  graders:", f"    - {graders}", "cases:"]
    for i, text in enumerate(inputs):
        lines += [f"  - id: {name}-{i}", f"    input: {text!r}"]
    path.write_text("\n".join(lines) + "\n")
    return path.name


@pytest.fixture
def tune_config(tmp_path, micro_model):
    """A tune config over micro suites; `make(**overrides)` writes it and returns its path."""
    focus = "{type: contains, value: password}"
    guard = "{type: contains_any, values: [the, password, check, test, your]}"
    names = {
        "train": write(tmp_path / "train.yaml", "pw-train", "train",
                       ["How do I reset my password?", "I forgot my password", "Password reset help please",
                        "Change my password"], focus),
        "dev": write(tmp_path / "dev.yaml", "pw-dev", "dev",
                     ["Reset password for my account", "How can I change the password?", "password help",
                      "I need a new password"], focus),
        "hold": write(tmp_path / "hold.yaml", "pw-hold", "holdout",
                      ["What do I do when my password expired?", "Set a fresh password", "password is wrong"], focus),
        "guard": write(tmp_path / "guard.yaml", "guard", "dev",
                       [f"Question {i}: how do I test the upload of file {i}?" for i in range(12)], guard),
    }

    def make(learning_rate: float = 1e-3, iterations: int = 1, steps: int = 2, temperature: float = 1.0,
             samples: int = 2, guard_file: str | None = None, train_grader: str | None = None) -> Path:
        """`train_grader` replaces the reward of the train suite (e.g. one that surely varies between
        samples: with every reward equal GRPO has no advantage and the weights do not move)."""
        if train_grader is not None:
            train = tmp_path / names["train"]
            train.write_text(train.read_text().replace(focus, train_grader))
        cfg = tmp_path / "tune.yaml"
        cfg.write_text(f"""\
name: micro
base: hf:{micro_model}
focus: [{names['train']}, {names['dev']}]
holdout: [{names['hold']}]
guard: [{guard_file or names['guard']}]
strategy: grpo
hyperparameters: {{learning_rate: {learning_rate}, num_generations: 4, batch_size: 8, max_completion_length: 12}}
budget: {{iterations: {iterations}, steps_per_iteration: {steps}}}
eval: {{samples: {samples}, max_tokens: 12, temperature: {temperature}}}
gate: {{alpha: 0.05, margin: 0.02}}
""")
        return cfg

    return make


@pytest.fixture
def fingerprint_guard(tmp_path, micro_model):
    """A behaviour-fingerprint guard: each case checks a word the base model says greedily."""
    import asyncio
    import re

    from gradeloop.targets import SamplingParams, load_target
    from gradeloop.targets.base import Request

    prompts = [f"How do I {verb} the {thing}?" for verb in ("reset", "check", "test", "unlock")
               for thing in ("password", "upload", "account", "login")]
    params = SamplingParams(temperature=0.0, max_tokens=12)
    target = load_target(f"hf:{micro_model}", params=params)
    gens = asyncio.run(target.generate([Request(str(i), p, 0, 0, params) for i, p in enumerate(prompts)]))
    lines = ["name: fingerprint", "split: dev", "cases:"]
    for i, (p, g) in enumerate(zip(prompts, gens)):
        words = [w for w in re.findall(r"[A-Za-z]{4,}", g.output or "")] or ["the"]
        lines += [f"  - id: fp-{i}", f"    input: {p!r}", f"    graders: [{{type: contains, value: {words[0]!r}}}]"]
    (tmp_path / "fingerprint.yaml").write_text("\n".join(lines) + "\n")
    return "fingerprint.yaml"
