"""JUnit XML for CI systems: one testcase per case, and one per gate check."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def _case(suite: ET.Element, classname: str, name: str, failure: str | None, error: str | None = None) -> None:
    tc = ET.SubElement(suite, "testcase", classname=classname, name=name)
    if error is not None:
        ET.SubElement(tc, "error", message=error[:500]).text = error
    elif failure is not None:
        ET.SubElement(tc, "failure", message=failure[:500]).text = failure


def render_junit(doc: dict[str, Any]) -> str:
    """ElementTree escapes every attribute and text node: outputs cannot break the XML."""
    root = ET.Element("testsuites", name="gradeloop")
    if doc.get("schema", "").startswith("gradeloop.compare"):
        ts = ET.SubElement(root, "testsuite", name="gate")
        for c in doc["checks"]:
            _case(ts, f"gate.{c['kind']}", c["scope"], None if c["passed"] else c["message"])
    else:
        by_suite: dict[str, ET.Element] = {}
        for c in doc["cases"]:
            ts = by_suite.get(c["suite"])
            if ts is None:
                ts = by_suite[c["suite"]] = ET.SubElement(root, "testsuite", name=c["suite"])
            errors = [s for s in c["samples"] if s.get("error_kind")]
            fails = [s for s in c["samples"] if s["passed"] is False]
            error = errors[0]["error"] if errors and not fails and len(errors) == len(c["samples"]) else None
            failure = None
            if fails:
                reasons = "; ".join(f"{g['grader']}: {g.get('reason', '')}" for g in fails[0]["grades"]
                                    if not g.get("passed"))
                failure = f"{len(fails)}/{len(c['samples'])} samples failed. {reasons}\noutput: {fails[0]['output']}"
            _case(ts, c["suite"], c["id"], failure, error)
    for ts in root:
        cases = list(ts)
        ts.set("tests", str(len(cases)))
        ts.set("failures", str(sum(1 for t in cases if t.find("failure") is not None)))
        ts.set("errors", str(sum(1 for t in cases if t.find("error") is not None)))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
