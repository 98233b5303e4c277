"""Runs one user `grade` function in a child process (`python -I -X utf8 _python_runner.py`).

Reads {"source", "filename", "case", "output", "sample", "item"} as JSON on stdin and writes
{"ok": true, "result": ...} or {"ok": false, "error": ...} as JSON on stdout. The user's own
prints go to stderr so they cannot corrupt the reply. Standard library only: it runs isolated.
A `grade(sample, item)` (OpenAI's convention) is called with those; anything else with
(case, output).
"""
import inspect
import json
import sys
import traceback


def main() -> None:
    reply_to = sys.stdout
    sys.stdout = sys.stderr
    try:
        req = json.loads(sys.stdin.read())
        namespace = {"__name__": "__grader__", "__file__": req["filename"]}
        exec(compile(req["source"], req["filename"], "exec"), namespace)
        fn = namespace.get("grade")
        if not callable(fn):
            raise TypeError("the grader defines no callable `grade`")
        try:
            names = list(inspect.signature(fn).parameters)[:2]
        except (TypeError, ValueError):
            names = []
        if names == ["sample", "item"]:
            result = fn(req["sample"], req["item"])
        else:
            result = fn(req["case"], req["output"])
        # numpy scalars and the like become floats; anything else a string the parent rejects.
        text = json.dumps({"ok": True, "result": result},
                          default=lambda o: float(o) if hasattr(o, "__float__") else repr(o))
    except BaseException as exc:  # the child reports every failure, SystemExit included
        tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        text = json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500], "traceback": tail[-1500:]})
    reply_to.write(text)
    reply_to.flush()


if __name__ == "__main__":
    main()
