"""gradeloop: unit benchmarks for LLM features."""
