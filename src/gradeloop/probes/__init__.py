"""Probes: prompt mutations for robustness, refusal-boundary and red-team packs, fairness strata."""
from gradeloop.probes.boundary import BoundaryReport, BoundarySlice, refusal_boundary
from gradeloop.probes.catalog import PackInfo, export_pack, list_packs, load_pack, pack_names, pack_path
from gradeloop.probes.fairness import FairnessReport, check_max_gap, fairness
from gradeloop.probes.mutate import mutate, parse_ops
from gradeloop.probes.mutations import OPERATORS
from gradeloop.probes.robustness import Flip, RobustnessReport, RobustnessStats, robustness

__all__ = ["OPERATORS", "BoundaryReport", "BoundarySlice", "FairnessReport", "Flip", "PackInfo",
           "RobustnessReport", "RobustnessStats", "check_max_gap", "export_pack", "fairness", "list_packs",
           "load_pack", "mutate", "pack_names", "pack_path", "parse_ops", "refusal_boundary", "robustness"]
