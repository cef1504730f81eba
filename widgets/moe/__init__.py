"""The MoE router view: token → expert map, router probabilities, load per expert and layer, statistics, and load
over training (gui/panels/moe.py feeds it plain arrays)."""
