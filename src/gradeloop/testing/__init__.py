"""Test helpers for users and for gradeloop's own tests: an OpenAI-compatible fault-injecting stub."""
from gradeloop.testing.stub_server import Fault, Received, StubServer, echo

__all__ = ["Fault", "Received", "StubServer", "echo"]
