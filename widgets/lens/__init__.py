"""The Prediction dock: logit lens grid, target rank across layers, attribution table, patching heatmaps."""
