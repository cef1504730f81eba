"""One module per panel: it builds the widget, registers its dock, and binds it to the document.

Each module exposes ``install(window) -> Binding``. The binding is the only code that knows both the document
(gui/backend types) and the widget (plain arrays and strings); it converts one to the other.

To copy for a new panel ``x``:
- ``widgets/x.py``: ``XPanel(QWidget)`` built from plain data, with ``set_…`` methods and Qt signals for intent;
  imports Qt, pyqtgraph and numpy only (and ``lmscope.widgets.style`` for the shared look).
- ``gui/panels/x.py``: ``install(window)`` creates the panel, calls ``window.add_panel(panel, title,
  "dock.x", area)``, connects document signals to refresh methods and panel signals to document changes, runs
  anything slower than ~50 ms through ``window.start_job(title, generator_factory)`` (a backend generator), and
  registers ``window.register_session_part("x", binding)`` if it has state worth saving (see ``SessionPart``).
- add ``"lmscope.gui.panels.x"`` to ``PANEL_MODULES`` in ``gui/app.py``; tests in ``tests/widgets/`` (panel on plain
  data) and ``tests/gui/`` (binding in the real window).
"""
