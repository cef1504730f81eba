"""The embedding projector's views: a scatter that scales to a million points, and the panel around it.

``state`` is Qt-free (the command line builds a :class:`~lmscope.widgets.projector.state.ProjectorState` for a
session without a display); ``scatter`` and ``panel`` are the Qt views.
"""
