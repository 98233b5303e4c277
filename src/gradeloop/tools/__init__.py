"""Tool calls and agents: call data, parsing from wire forms and model text, tool implementations, the agent loop."""
from gradeloop.tools.calls import Reply, ToolCall, calls_json, parse_call, parse_calls
from gradeloop.tools.text import parse_text_calls

__all__ = ["Reply", "ToolCall", "calls_json", "parse_call", "parse_calls", "parse_text_calls"]
