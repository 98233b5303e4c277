"""One training step in each process of `accelerate launch` (see tune.launch).

    python -m gradeloop.tune.worker ITERATION_FOLDER

Reads the request the loop wrote, rebuilds the graded training cases from the same config, trains
with the config's strategy, and on the main process writes the adapter and the result.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from gradeloop.tune.launch import REQUEST, RESULT


def main(argv: list[str] | None = None) -> int:
    work = Path((argv if argv is not None else sys.argv[1:])[0])
    from gradeloop.tune.config import TuneConfig
    from gradeloop.tune.loop import resolve_roles
    from gradeloop.tune.signals import Scored, graded_cases
    from gradeloop.tune.strategies import train

    request = json.loads((work / REQUEST).read_text(encoding="utf-8"))
    cfg = TuneConfig.model_validate(request["config"])
    roles = resolve_roles(cfg, Path(request["base_dir"]))
    samples = [Scored(**s) for s in request["samples"]] if request["samples"] is not None else None
    parent = Path(request["parent"]) if request["parent"] else None
    try:
        result = train(cfg.strategy, cfg.base, parent, graded_cases(roles.train), cfg.hyperparameters,
                       request["steps"], request["seed"], work, lambda k: samples or [], cfg.trainer)
        from accelerate import PartialState

        state = PartialState()  # the trainer's (it joined the processes with its own settings)
        if state.is_main_process:
            note = "; ".join(filter(None, [result.note, f"{state.num_processes} training processes"]))
            doc = {**asdict(result), "adapter_dir": str(result.adapter_dir), "note": note}
            (work / RESULT).write_text(json.dumps(doc), encoding="utf-8")
        state.wait_for_everyone()
    finally:
        # while the interpreter is whole: a gloo process group left to interpreter shutdown can abort
        # a process (SIGABRT) after its work is done, failing a finished step (pytorch#179291)
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
