"""Mixture-of-experts analysis: router statistics (exact definitions in docs/moe.md), the router tensors of a
trace, the jobs that compute them for the router view, and the built-in MoE demo."""
