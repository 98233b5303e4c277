"""Human labels on recorded grades, and the validation of a grader (a judge) against them.

A label says whether a reviewer agrees with one grader's verdict on one sample ("right" or
"wrong"). Labels live in their own table of the results store and never change a recorded grade:
the run's numbers stay what the graders said, and the labels measure how far to trust them.
"""
from gradeloop.labels.records import Label, add_label, export_labels, latest_labels, read_labels_file, sample_labels
from gradeloop.labels.validate import JudgeValidation, validate_grader

__all__ = ["Label", "add_label", "export_labels", "latest_labels", "read_labels_file", "sample_labels",
           "JudgeValidation", "validate_grader"]
