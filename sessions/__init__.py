"""Session files: everything a teammate needs to see what you saw, in one HDF5 file (docs/session-format.md)."""
from lmscope.sessions.errors import SessionFormatError, SessionTooLargeError
from lmscope.sessions.models import loaded_from_part, part_from_loaded
from lmscope.sessions.limits import Limits
from lmscope.sessions.reader import MIGRATIONS, describe, open_session
from lmscope.sessions.session import Bookmark, LazyTensors, ModelPart, SavedTrace, Session
from lmscope.sessions.writer import FORMAT, FORMAT_VERSION, logits_kept, save_session

__all__ = [
    "FORMAT", "FORMAT_VERSION", "MIGRATIONS", "Bookmark", "LazyTensors", "Limits", "ModelPart", "SavedTrace", "Session",
    "SessionFormatError", "SessionTooLargeError", "describe", "loaded_from_part", "logits_kept", "open_session", "part_from_loaded", "save_session",
]
