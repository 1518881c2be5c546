"""Human-readable forms of the system integration report (HTML, PDF) next to the JSON.

Everything taken from a report (use case names, finding messages, notes) is untrusted: the
security suite stores script payloads in test names. HTML escapes it (jinja2 autoescape plus a
no-script Content-Security-Policy); the PDF draws it as plain text.
"""

from __future__ import annotations

from prism_scenarios.formats.changes import changes
from prism_scenarios.formats.html import render_html
from prism_scenarios.formats.pdf import render_pdf
from prism_scenarios.formats.write import FORMATS, write_formats

__all__ = ["FORMATS", "changes", "render_html", "render_pdf", "write_formats"]
