"""The glue the python grader appends to the user's source before it runs in the sandbox.

The sandbox (`gradeloop.sandbox`) executes the user's file once per warm worker; this adds
one function, `__gradeloop_grade__`, that calls the user's `grade` with the arguments its
signature asks for: `grade(sample, item)` (OpenAI's convention) gets those, anything else
`(case, output)`. Appended at the end, so line numbers in the user's tracebacks stay right.
"""

ENTRY = "__gradeloop_grade__"

ADAPTER = '''

def __gradeloop_grade__(case, output, sample, item):
    import inspect as _inspect
    fn = globals().get("grade")
    if not callable(fn):
        raise TypeError("the grader defines no callable `grade`")
    try:
        names = list(_inspect.signature(fn).parameters)[:2]
    except (TypeError, ValueError):
        names = []
    return fn(sample, item) if names == ["sample", "item"] else fn(case, output)
'''


def with_adapter(source: str) -> str:
    """The user's source with the entry point appended."""
    return source + ("" if source.endswith("\n") else "\n") + ADAPTER
