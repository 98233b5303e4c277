"""The `gradeloop` command: thin; parses, calls the packages, prints.

Each command group lives in its own module with `register(app)`. `main()` turns an
InputError (bad input) or a ProcessFailed (a training launch that died) into one clear line and
exit code 2, never a traceback; anything else that escapes a
command (a full disk, a store that is a folder, input nesting too deep) is one line and exit 2 too
(`cli.failure`), with the traceback shown only under GRADELOOP_DEBUG=1.
"""
from __future__ import annotations

import os
import sys
import weakref

import typer
from typer.exceptions import TyperException

from gradeloop.errors import InputError, ProcessFailed

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Unit benchmarks for LLM features: evaluate, gate and tune with the same graders.")

_COMMAND_MODULES: tuple[str, ...] = ("eval", "graders", "gate", "report", "tune", "probes", "calibrate", "monitor", "data", "contam", "synth", "init", "project", "importers", "view", "store")


_REGISTERED: "weakref.WeakSet[typer.Typer]" = weakref.WeakSet()  # the apps that have their commands


def _register_all() -> None:
    """Register every command once per app (main() may be called many times: tests, the fuzzer;
    a test that swaps in its own app gets its commands registered on it)."""
    import importlib

    if app in _REGISTERED:
        return
    for name in _COMMAND_MODULES:
        importlib.import_module(f"gradeloop.cli.{name}").register(app)
    _REGISTERED.add(app)


_RESUMABLE = ("eval", "gate", "tune", "demo")  # commands whose stored samples a rerun picks up


def _interrupted(argv: list[str] | None) -> int:
    """Ctrl-C: one line, and for a command that stores as it goes, that nothing stored is lost."""
    args = sys.argv[1:] if argv is None else argv
    command = next((a for a in args if not a.startswith("-")), "")
    hint = ("; the samples stored so far are kept, and the same command resumes from them"
            if command in _RESUMABLE else "")
    print(f"interrupted{hint}", file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    _register_all()
    try:
        # In non-standalone mode click returns a command's `typer.Exit` code instead of raising.
        rc = app(args=argv, standalone_mode=False)
        if rc == 130:  # click turned a Ctrl-C into this code, silently
            return _interrupted(argv)
        if isinstance(rc, int):
            return rc
    except (InputError, ProcessFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted(argv)
    except TyperException as exc:  # usage errors (unknown option, missing argument) in non-standalone mode
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last resort: one line and exit 2, never a traceback with exit 1
        from gradeloop.cli.failure import describe_failure

        if os.environ.get("GRADELOOP_DEBUG", "") not in ("", "0"):
            raise
        print(f"error: {describe_failure(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
