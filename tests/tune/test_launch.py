"""Training over two processes through `accelerate launch` (CPU, gloo), the loop staying in one."""
from __future__ import annotations

import pytest
from safetensors.numpy import load_file

from gradeloop.run import Store
from gradeloop.tune import AdapterRegistry, load_tune_config
from gradeloop.tune.launch import LaunchFailed, LaunchSettings, failure_excerpt, launch_command, run_launched
from gradeloop.tune.loop import TuneLoop

pytestmark = pytest.mark.slow


def test_launch_command_names_processes_config_and_worker(tmp_path) -> None:
    cmd = launch_command(LaunchSettings(num_processes=4, config_file="ds.yaml", accelerate_args=["--mixed_precision",
                                                                                                 "bf16"]),
                         tmp_path, cpu=False)
    assert cmd[1:3] == ["-m", "accelerate.commands.launch"] and cmd[cmd.index("--num_processes") + 1] == "4"
    assert "--config_file" in cmd and "--multi_gpu" not in cmd  # the config file says how
    assert cmd[-3:] == ["-m", "gradeloop.tune.worker", str(tmp_path)]
    assert "--multi_gpu" in launch_command(LaunchSettings(num_processes=2), tmp_path, cpu=True)


def test_two_process_grpo_step_trains_one_adapter(tmp_path, tune_config) -> None:
    path = tune_config(learning_rate=1e-2, steps=2)
    path.write_text(path.read_text() + "device: cpu\nlaunch: {num_processes: 2}\n")
    train = tmp_path / "train.yaml"  # a reward the micro model sometimes earns: groups with something to learn
    train.write_text(train.read_text().replace("{type: contains, value: password}",
                                               "{type: contains_any, values: [the, you, your, to, a]}"))
    cfg, base_dir = load_tune_config(path)
    assert cfg.launch.num_processes == 2 and cfg.base.endswith("+device=cpu")
    loop = TuneLoop(cfg, base_dir, Store(tmp_path / "store.db"), AdapterRegistry(tmp_path / "adapters"),
                    state_root=tmp_path / "tunes", log=lambda m: None)
    result = loop.train(None, 0, tmp_path / "iter", loop.sampler(cfg.base))
    weights = load_file(str(result.adapter_dir / "adapter_model.safetensors"))
    assert any(float(abs(v).sum()) > 0 for k, v in weights.items() if "lora_B" in k)
    assert len(result.train_reward) == 2  # both steps logged by the main process
    assert "2 training processes" in result.note
    log = (tmp_path / "iter" / "launch.log").read_text()
    assert "Traceback" not in log


def test_failure_excerpt_puts_the_dying_process_cause_before_torchruns_summary(tmp_path) -> None:
    log = "\n".join(["Loading weights: 100%"] * 50 + [
        "terminate called after throwing an instance of 'gloo::EnforceNotMet'",
        "  what():  [enforce fail at gloo/transport/tcp/pair.cc:446] op.preamble.length <= op.nbytes. 8 vs 4",
        "[rank1]: more output"] + ["filler line of the launcher"] * 200 + [
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ",
        "  traceback : Signal 6 (SIGABRT) received by PID 14074"])
    excerpt = failure_excerpt(log)
    assert excerpt.index("terminate called") < excerpt.index("what():") < excerpt.index("Signal 6 (SIGABRT)")
    assert "Loading weights" not in excerpt
    short = "Traceback (most recent call last):\nValueError: bad config\n"
    assert failure_excerpt(short) == short  # all of it already in the tail: said once
    message = str(LaunchFailed(1, tmp_path / "launch.log", log))
    assert message.startswith("the training step failed (accelerate launch exited 1): what():  [enforce fail at gloo")
    assert message.endswith(f"whole log: {tmp_path / 'launch.log'}") and "\n" not in message


def test_a_failed_launch_is_one_line_with_a_process_own_error_and_the_log(tmp_path) -> None:
    work = tmp_path / "iter"
    work.mkdir()  # no request written: each training process fails reading it
    with pytest.raises(LaunchFailed) as failed:
        run_launched(LaunchSettings(num_processes=2), work, cpu=True)
    message = str(failed.value)
    assert "FileNotFoundError" in message and "launch-request.json" in message, message
    assert failed.value.returncode != 0 and message.endswith(f"whole log: {work / 'launch.log'}")
    assert "ChildFailedError" not in message.split("whole log:")[0]  # the process's cause, not torchrun's summary


def test_a_tune_whose_launch_fails_ends_in_one_line_and_exit_2(tmp_path, tune_config, monkeypatch, capsys) -> None:
    # The whole command: baseline, then a training step that accelerate refuses to launch.
    from gradeloop.cli import main

    path = tune_config()
    path.write_text(path.read_text() + "device: cpu\nlaunch: {num_processes: 2, accelerate_args: [--bogus]}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["tune", str(path), "--store", str(tmp_path / "store.db")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1, err
    assert err[0].startswith("error: the training step failed (accelerate launch exited 2): ")
    assert "unrecognized arguments: --bogus" in err[0] and err[0].endswith("launch.log")
    assert "please report" not in err[0] and "RuntimeError" not in err[0]
