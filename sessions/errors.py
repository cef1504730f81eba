"""The one error a session reader or writer raises: a sentence a person can act on."""
from __future__ import annotations

from lmscope.backend.errors import BadInputError


class SessionFormatError(BadInputError):
    """A session file that cannot be read or written, with one sentence saying why."""


# The sentence for every way a file can point outside itself (external links, external raw storage, virtual
# datasets): the issue that found them asked for exactly this wording.
OUTSIDE = "This session links to a file outside itself; lmscope does not follow such links"


class SessionTooLargeError(SessionFormatError):
    """Refused for its size alone (a declared size over the limits, or a compression bomb): a human who trusts the
    file and has the memory may open it anyway (``force=True``, ``--force``)."""
