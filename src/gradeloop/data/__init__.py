"""Data discipline: dataset registry and lineage, sealed holdouts, contamination checks, synthetic data."""
from gradeloop.data.contam import (ContamParams, ContamReport, ContaminationError, Hit, check_contamination,
                                   refuse_contaminated, scan_contamination)
from gradeloop.data.holdout import HoldoutError, SealCheck, assert_trainable, seal, verify
from gradeloop.data.privacy import Identifier, find_identifiers
from gradeloop.data.readers import TrainDoc, iter_docs, read_docs
from gradeloop.data.registry import DatasetRecord, LineageStep, Registry, default_registry_path
from gradeloop.data.text import normalize

__all__ = ["ContamParams", "ContamReport", "ContaminationError", "DatasetRecord", "Hit", "HoldoutError",
           "Identifier", "LineageStep", "Registry", "SealCheck", "TrainDoc", "assert_trainable",
           "check_contamination", "default_registry_path", "find_identifiers", "iter_docs", "normalize",
           "read_docs", "refuse_contaminated", "scan_contamination", "seal", "verify"]
