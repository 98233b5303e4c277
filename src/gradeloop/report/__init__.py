"""Reports: terminal tables, self-contained HTML, Markdown for pull requests, JUnit XML for CI."""
from gradeloop.report.html import render_html
from gradeloop.report.junit import render_junit
from gradeloop.report.markdown import render_markdown

__all__ = ["render_html", "render_junit", "render_markdown"]
