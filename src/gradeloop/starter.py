"""The starter project `gradeloop init` writes: it runs green at once, and every file says what to change.

A suite, a `py:` app stub standing in for the user's app, the project file naming it, a pytest
file, and a CI workflow that gates pull requests. Existing files are never overwritten silently.
"""
from __future__ import annotations

from pathlib import Path

from gradeloop.errors import InputError
from gradeloop.files import atomic_write_text

PROJECT_YAML = """\
# gradeloop project file: targets, judge, store and policies, shared by every command.
# `gradeloop eval` runs `suites` on `default_target`; `-t NAME` picks another target below.
# Keys never go here: a target names the environment variable holding its key (`key_env`), and
# `env_file` (kept out of git) may set it: OPENAI_API_KEY=sk-...

default_target: app
targets:
  app:                       # your application: any Python function (see app.py)
    spec: "py:app:answer"
  # prod:                    # an OpenAI-compatible endpoint (OpenAI, vLLM, TGI, llama.cpp)
  #   provider: openai
  #   model: gpt-4o-mini
  #   base_url: https://api.openai.com/v1
  #   key_env: OPENAI_API_KEY
  #   options: {concurrency: 16, timeout: 60}
  # local:                   # a local transformers model, optionally with a LoRA adapter
  #   provider: hf
  #   model: Qwen/Qwen2.5-0.5B-Instruct

# judge: prod                # default judge for llm_judge graders whose model is `default`
suites: [suites/]
# store: .gradeloop/gradeloop.db    # results store (eval and the Python API; default shown)
env_file: .env
# policies:                  # gate policies by name: gradeloop compare BASE CAND --policy release
#   release: policies/release.yaml
"""

SUITE_YAML = """\
# A unit benchmark: cases (an input, what good looks like, tags to slice by) checked by graders.
# Run it: gradeloop eval            (or: gradeloop eval suites/ -t app)
name: starter
description: Replace these cases with the behaviour you want from your app.
split: dev
thresholds:
  min_pass_rate: 0.9         # `gradeloop eval` exits 1 below this (on the mean; `on: ci_low` for the bound)
defaults:
  graders:                   # applied to every case
    - type: not_contains
      values: ["as an AI language model"]
cases:
  - id: greeting
    input: Hello!
    tags: {intent: smalltalk}
    graders:
      - type: contains_any
        values: [hello, welcome]
  - id: password-reset
    input: How do I reset my password?
    tags: {intent: account}
    graders:
      - type: contains_all
        values: [reset link, email]
  - id: refund-window
    input: How many days do I have to ask for a refund?
    reference: "30"
    tags: {intent: billing}
    graders:
      - type: contains
        value: "{{ reference }}"
  - id: chat-history
    input:                   # a chat: quote any text that contains ": "
      - {role: system, content: You are a support assistant.}
      - {role: user, content: "Order 1234: where is it?"}
    tags: {intent: orders}
    graders:
      - type: regex
        pattern: "(?i)order 1234"
"""

APP_PY = '''\
"""A stand-in for your application; `py:app:answer` in gradeloop.yaml names this function.

Contract: `answer(input)` gets the case input (a string, or chat messages as a list of
{"role", "content"} dicts) and returns the output text (or {"output": ..., "confidence": ...}).
Add a `case` parameter to receive the Case (id, tags, reference, metadata), or `tags` for just
its tags. Sync functions run in a thread pool of --concurrency threads; async ones work too.
Replace the body with a call to your app, model or agent.
"""
from __future__ import annotations


def answer(prompt, tags=None):
    text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
    lowered = text.lower()
    if "password" in lowered:
        return "We will email you a reset link; it expires in 30 minutes."
    if "refund" in lowered:
        return "You can ask for a refund within 30 days of purchase."
    if "order" in lowered:
        return "Order 1234 shipped yesterday and arrives tomorrow."
    return "Hello! How can I help?"
'''

TEST_PY = '''\
"""pytest runs the suites too: `pytest` here, or `pytest suites/ --gradeloop-target app` for one test per case."""
from gradeloop.testing import assert_suite


def test_starter_suite():
    run = assert_suite("suites/", "app")  # fails with the failing cases, their reasons and outputs
    assert run.pass_rate.n_cases > 0
'''

WORKFLOW_YML = """\
# Runs the suites on every pull request, uploads the HTML report and comments the Markdown summary.
name: gradeloop
on:
  pull_request:
permissions:
  contents: read
  pull-requests: write
jobs:
  eval:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install gradeloop
      - name: Evaluate
        id: eval
        # env:
        #   OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
        run: |
          set +e
          gradeloop eval --json run.json
          echo "exit=$?" >> "$GITHUB_OUTPUT"
      - name: Report
        if: always()
        run: gradeloop report run.json --html report.html --markdown-out summary.md
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: gradeloop-report
          path: report.html
      - name: Comment
        if: always() && github.event.pull_request.head.repo.full_name == github.repository
        env:
          GH_TOKEN: ${{ github.token }}
        run: gh pr comment ${{ github.event.pull_request.number }} --body-file summary.md --edit-last || gh pr comment ${{ github.event.pull_request.number }} --body-file summary.md
      - name: Verdict
        run: exit ${{ steps.eval.outputs.exit }}
"""

GITIGNORE = ".gradeloop/\n.env\nreport.html\nrun.json\nsummary.md\n"

FILES: dict[str, str] = {
    "gradeloop.yaml": PROJECT_YAML,
    "suites/starter.yaml": SUITE_YAML,
    "app.py": APP_PY,
    "tests/test_gradeloop.py": TEST_PY,
    ".github/workflows/gradeloop.yml": WORKFLOW_YML,
}


def write_starter(root: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files under `root`; refuse (naming them) to overwrite existing ones unless `force`."""
    targets = {rel: root / rel for rel in FILES}
    existing = [rel for rel, path in targets.items() if path.exists()]
    if existing and not force:
        raise InputError(f"already exists: {', '.join(existing)} (use --force to overwrite)", file=str(root))
    written = []
    for rel, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, FILES[rel])
        written.append(path)
    ignore = root / ".gitignore"
    current = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    missing = [line for line in GITIGNORE.splitlines() if line not in current.splitlines()]
    if missing:
        atomic_write_text(ignore, current + ("" if not current or current.endswith("\n") else "\n")
                          + "\n".join(missing) + "\n")
        written.append(ignore)
    return written
