"""Training on several processes (GPUs) through `accelerate launch`, the tune loop staying in one.

Evaluation, gating and the adapter registry belong to the loop's own process; only the training
step of an iteration spreads over `launch.num_processes` processes. The loop writes what the step
needs (the config, the graded samples for rs-sft/dpo) to the iteration's folder, runs
`accelerate launch ... -m gradeloop.tune.worker FOLDER`, and reads the result the main process
wrote. DeepSpeed, FSDP and mixed-precision settings come from accelerate's own config file
(`launch.config_file`) or its arguments (`launch.accelerate_args`).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field

from gradeloop.errors import ProcessFailed
from gradeloop.tune.signals import Scored

REQUEST, RESULT, LOG = "launch-request.json", "launch-result.json", "launch.log"
# The line that says best why a training process died: a Python error's own line, a C++ abort's
# what() (gloo, NCCL: torchrun's summary only says "Signal 6"), an argparse refusal (": error: ").
_REASON_TEXT = r"what\(\):|enforce fail|^\S*(Error|Exception)\b.*:|: error: "
_REASON = re.compile(_REASON_TEXT)
# and, for the excerpt, the lines that announce one
_CAUSE = re.compile(_REASON_TEXT + r"|terminate called|Traceback \(most recent")
_RANK = re.compile(r"^\[(default)?rank\d+\]:\s?")  # torchrun's prefix on a process's lines
_LAUNCHER = "ChildFailedError"  # torchrun's own summary: says that a process died, never why


class LaunchFailed(ProcessFailed):
    """The training step over several processes failed: the cause a process gave, and the log."""

    def __init__(self, returncode: int, log: Path, text: str) -> None:
        self.returncode, self.log, self.excerpt = returncode, log, failure_excerpt(text)
        reasons = [line for line in _lines(text) if _REASON.search(line) and _LAUNCHER not in line]
        reason = reasons[0] if reasons else ("no result was written" if returncode == 0 else "no cause in the log")
        super().__init__(f"the training step failed (accelerate launch exited {returncode}): {reason[:300]}; "
                         f"whole log: {log}")


def _lines(text: str) -> list[str]:
    return [_RANK.sub("", line).strip() for line in text.splitlines()]


class LaunchSettings(BaseModel):
    """`launch:` in a tune config; one process (no launcher) by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_processes: int = Field(1, ge=1, description="Training processes (one per GPU); >1 uses accelerate launch")
    config_file: str | None = Field(None, description="accelerate config file (DeepSpeed, FSDP, mixed precision)")
    accelerate_args: list[str] = Field(default_factory=list, description="More `accelerate launch` arguments")


def launch_command(settings: LaunchSettings, work: Path, *, cpu: bool) -> list[str]:
    """The `accelerate launch` command line for one training step."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(settings.num_processes),
           "--num_machines", "1", "--main_process_port", "0"]
    if settings.config_file:
        cmd += ["--config_file", settings.config_file]
    elif settings.num_processes > 1:
        # torchrun's launcher; on CPU (use_cpu in the training arguments) the processes join over gloo,
        # where accelerate's own --cpu launcher would need MPI
        cmd += ["--multi_gpu"]
    if cpu:
        cmd += ["--num_cpu_threads_per_process", "1"]
    return cmd + list(settings.accelerate_args) + ["-m", "gradeloop.tune.worker", str(work)]


def write_request(work: Path, *, config: dict[str, Any], base_dir: Path, parent: Path | None, steps: int,
                  seed: int, samples: Sequence[Scored] | None) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / REQUEST).write_text(json.dumps({
        "config": config, "base_dir": str(base_dir), "parent": str(parent) if parent else None, "steps": steps,
        "seed": seed, "samples": [asdict(s) for s in samples] if samples is not None else None}), encoding="utf-8")


def run_launched(settings: LaunchSettings, work: Path, *, cpu: bool) -> dict[str, Any]:
    """Run the step; the result the main training process wrote, or LaunchFailed with the cause."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(work / LOG, "w", encoding="utf-8") as log:
        proc = subprocess.run(launch_command(settings, work, cpu=cpu), stdout=log, stderr=subprocess.STDOUT,
                              env=env, stdin=subprocess.DEVNULL)
    result = work / RESULT
    if proc.returncode != 0 or not result.is_file():
        raise LaunchFailed(proc.returncode, work / LOG, (work / LOG).read_text(encoding="utf-8", errors="replace"))
    return json.loads(result.read_text(encoding="utf-8"))


def failure_excerpt(log: str, limit: int = 1500) -> str:
    """The log's first lines that name a cause, then its tail: torchrun's summary alone hides which
    process failed first and why."""
    causes = [line for line in _lines(log) if _CAUSE.search(line)]
    first = "\n".join(dict.fromkeys(causes))[:limit]  # a cause each rank repeats, once
    tail = log[-limit:]
    return tail if not first or first in tail else f"{first}\n...\n{tail}"
