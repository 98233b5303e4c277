"""Graders as rewards, filters and preference pairs; the iterate-evaluate-gate loop; adapters."""
from gradeloop.tune.config import TuneConfig, load_tune_config
from gradeloop.tune.registry import AdapterRegistry
from gradeloop.tune.signals import graded_cases, preference_pairs, rejection_filter, reward_function

__all__ = ["AdapterRegistry", "TuneConfig", "graded_cases", "load_tune_config", "preference_pairs",
           "rejection_filter", "reward_function"]
