"""Synthetic training data: spec → generate → filter → dedupe → mix, registered with provenance."""
from gradeloop.data.synth.generate import SynthRow, combinations, render
from gradeloop.data.synth.pipeline import SynthResult, run_synth
from gradeloop.data.synth.spec import SynthSpec, load_spec

__all__ = ["SynthResult", "SynthRow", "SynthSpec", "combinations", "load_spec", "render", "run_synth"]
