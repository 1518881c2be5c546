"""Formatting retrieved contexts for injection into a prompt.

Upstream's config names injection modes ``automatic | explicit | hybrid`` while its formatter
only knew ``hidden | visible``. We keep both words with separate jobs:

- the *mode* says how the context reaches the conversation —
  ``automatic``: silently prepended for the model (default visibility ``hidden``);
  ``explicit``: shown to the user as quoted sources (default visibility ``visible``);
  ``hybrid``: hidden blocks for the model plus a visible "Sources" list of citations;
- the *visibility* picks the block format — ``hidden``: ``[Context i]: ...``;
  ``visible``: ``**Relevant Information i** (Source: title):`` then the text.

``hidden`` and ``visible`` are still accepted as modes (upstream callers): they mean
``automatic`` and ``explicit``. An explicit ``visibility`` argument overrides the mode's default.
Citations (``include_citations``) use the ``academic`` format:
``[i] {document_title}, chunk {k}/{n}, chars {start}-{end} ({kb_id})``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flatfile_chat.errors import ValidationError
from flatfile_chat.knowledge.models import FFRAGContextDTO
from flatfile_chat.validation import parse_input

MODES = ("automatic", "explicit", "hybrid")
_ALIASES = {"hidden": "automatic", "visible": "explicit"}
_DEFAULT_VISIBILITY = {"automatic": "hidden", "explicit": "visible", "hybrid": "hidden"}
VISIBILITIES = ("hidden", "visible")


def _field(context: FFRAGContextDTO | Mapping[str, Any], name: str) -> Any:
    return getattr(context, name) if isinstance(context, FFRAGContextDTO) else context.get(name)


def citation(context: FFRAGContextDTO | Mapping[str, Any], number: int) -> str:
    return (
        f"[{number}] {_field(context, 'document_title')}, chunk "
        f"{_field(context, 'chunk_index') + 1}/{_field(context, 'total_chunks')}, chars "
        f"{_field(context, 'char_start')}-{_field(context, 'char_end')} "
        f"({_field(context, 'kb_id')})"
    )


def resolve_mode(mode: str, visibility: str | None) -> tuple[str, str]:
    canonical = _ALIASES.get(mode, mode)
    if canonical not in MODES:
        raise ValidationError(
            f"unknown injection_mode {mode!r} (allowed: {', '.join(MODES + tuple(_ALIASES))})",
            key="injection_mode",
            value=mode,
        )
    shown = visibility or _DEFAULT_VISIBILITY[canonical]
    if shown not in VISIBILITIES:
        raise ValidationError(
            f"unknown context_visibility {visibility!r} (allowed: {', '.join(VISIBILITIES)})",
            key="context_visibility",
            value=visibility,
        )
    return canonical, shown


def format_contexts(
    contexts: Sequence[FFRAGContextDTO | Mapping[str, Any]],
    mode: str,
    include_citations: bool,
    visibility: str | None = None,
) -> str:
    canonical, shown = resolve_mode(mode, visibility)
    if isinstance(contexts, str | bytes | Mapping) or not isinstance(contexts, Sequence):
        raise ValidationError(
            f"contexts must be a list of contexts, got {type(contexts).__name__}", key="contexts"
        )
    if not contexts:
        return ""
    # mappings (e.g. contexts saved as JSON) must be whole contexts: a missing field would
    # otherwise surface as a TypeError while formatting a citation
    contexts = [parse_input(FFRAGContextDTO, c, f"contexts[{n}]") for n, c in enumerate(contexts)]
    blocks = []
    for number, context in enumerate(contexts, start=1):
        content = str(_field(context, "content")).strip()
        inline = include_citations and canonical != "hybrid"
        cite = f"\n{citation(context, number)}" if inline else ""
        if shown == "hidden":
            blocks.append(f"[Context {number}]: {content}{cite}")
        else:
            blocks.append(
                f"**Relevant Information {number}** (Source: "
                f"{_field(context, 'document_title')}):\n{content}{cite}"
            )
    text = "\n\n".join(blocks)
    if canonical == "hybrid" and include_citations:
        sources = "\n".join(citation(c, n) for n, c in enumerate(contexts, start=1))
        text += f"\n\nSources:\n{sources}"
    return text
