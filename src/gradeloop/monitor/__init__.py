"""Production monitoring: the graders that gated a release keep scoring its logged traffic.

Logs are streamed (`ingest`), scored with the suite's default graders (`scoring`), cut into
windows by time or count (`windows`), and each window gets rates with Wilson intervals
(`rates`), size-aware drift tests against a baseline (`drift`, `baseline`), a pass-rate
change test and an anytime-valid drop monitor (`passrate`), and alert rules (`alerts`).
"""
from gradeloop.monitor.baseline import Baseline, load_baseline
from gradeloop.monitor.config import AlertRule, DriftSettings, MonitorConfig, WindowSpec, load_monitor_config, \
    parse_window
from gradeloop.monitor.drift import FeatureDrift, psi, psi_threshold
from gradeloop.monitor.ingest import BadLines, iter_logs
from gradeloop.monitor.passrate import PassRateMonitor, fisher_drop_p
from gradeloop.monitor.pipeline import MONITOR_SCHEMA, run_monitor
from gradeloop.monitor.rates import RateCounts, proportion
from gradeloop.monitor.records import LogRecord, parse_record, parse_timestamp
from gradeloop.monitor.scoring import Scored, Scorer, load_production_suite

__all__ = ["AlertRule", "BadLines", "Baseline", "DriftSettings", "FeatureDrift", "LogRecord", "MONITOR_SCHEMA",
           "MonitorConfig", "PassRateMonitor", "RateCounts", "Scored", "Scorer", "WindowSpec", "fisher_drop_p",
           "iter_logs", "load_baseline", "load_monitor_config", "load_production_suite", "parse_record",
           "parse_timestamp", "parse_window", "proportion", "psi", "psi_threshold", "run_monitor"]
