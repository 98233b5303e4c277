"""Suites of unit-benchmark cases: the data model, file formats, validation and content versions."""
from gradeloop.suite.dump import dump_suite
from gradeloop.suite.loader import load_suite, load_suites, suite_files
from gradeloop.suite.model import Case, GraderSpec, Suite, Thresholds
from gradeloop.suite.splits import filter_split
from gradeloop.suite.version import suite_version

__all__ = ["Case", "GraderSpec", "Suite", "Thresholds", "dump_suite", "filter_split", "load_suite",
           "load_suites", "suite_files", "suite_version"]
