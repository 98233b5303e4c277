"""Loading stays fast: a 10,000-case YAML suite in well under a second on an idle machine."""
from __future__ import annotations

import time

from gradeloop.suite import load_suite


def test_ten_thousand_case_yaml_suite_loads_fast(tmp_path):
    lines = ["name: big", "defaults:", "  graders:", "    - type: numeric", "      value: '{{ reference }}'", "cases:"]
    for i in range(10_000):
        lines += [f"  - id: add-{i}", f"    input: What is {i}+7?", f"    reference: '{i + 7}'",
                  "    tags: {intent: arithmetic, locale: en}"]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.process_time()
    suite = load_suite(path)
    cpu = time.process_time() - start
    assert len(suite.cases) == 10_000 and suite.cases[-1].line == 7 + 4 * 9_999
    # ~0.2 s idle and ~0.35 s with both cores busy; the bound leaves room for a loaded CI box
    assert cpu < 2.0, f"loading 10,000 cases took {cpu:.2f} s of CPU"
