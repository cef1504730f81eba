"""Session work as generators for the GUI worker and the command line (no Qt)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lmscope.backend.jobs import JobProgress
from lmscope.sessions.models import loaded_from_part, part_from_loaded
from lmscope.sessions.reader import open_session
from lmscope.sessions.session import Session
from lmscope.sessions.writer import save_session

if TYPE_CHECKING:
    import torch

    from lmscope.backend.models.checkpoint import LoadedModel


@dataclass(frozen=True)
class SessionOpened:
    path: Path
    session: Session = field(repr=False)
    loaded: "LoadedModel | None" = field(repr=False)  # rebuilt from the session's weights, if it has them


@dataclass(frozen=True)
class SessionSaved:
    path: Path


def open_session_job(path: str | Path, device: "torch.device | str" = "cpu", force: bool = False
                     ) -> Iterator[object]:
    """Open and, when the session carries weights, rebuild its model; ``force`` is "open anyway" (size limits
    lifted for a file the user trusts)."""
    yield JobProgress(-1.0, f"Opening {Path(path).name}…")
    session = open_session(path, force=force)
    loaded = None
    if session.model is not None and session.model.weights is not None:
        yield JobProgress(0.5, "Rebuilding the model from the session's weights…")
        try:
            loaded = loaded_from_part(session.model, device, force=force)
        except BaseException:
            session.close()
            raise
    yield SessionOpened(Path(path), session, loaded)


def save_session_job(session: Session, path: str | Path, include_weights: bool = True, float16: bool = False,
                     loaded: "LoadedModel | None" = None, store_logits: bool | None = None) -> Iterator[object]:
    """Write ``session``; with ``loaded``, its model part (and the weight copies) is made here, in the worker."""
    yield JobProgress(-1.0, f"Saving {Path(path).name}…")
    if loaded is not None:
        session.model = part_from_loaded(loaded, include_weights)
    save_session(session, path, include_weights=include_weights, float16=float16, store_logits=store_logits)
    yield SessionSaved(Path(path))
