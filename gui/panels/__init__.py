"""One module per panel: it builds the widget, registers its dock, and binds it to the document.

Each module exposes ``install(window) -> Binding``; the binding is the only code that knows both the document
(gui/backend types) and the widget (plain arrays and strings). The checklist for a new panel, with the job queue,
the dock table and the panel-state convention, is in ``docs/architecture.md``.
"""
