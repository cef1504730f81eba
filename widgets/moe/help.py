"""The router view's help tab: the exact definitions of every figure (the same text as docs/moe.md)."""

HELP_HTML = """
<h3>MoE router view</h3>
<p><b>Token → expert map</b>: tokens along x, one row per MoE layer; a cell's colour is the token's top-1 expert
(hover for every top-k choice and its weight). Striped cells had an assignment <i>dropped</i>: the expert was over
capacity, so that share of the token passed through the residual only.</p>
<p><b>Router probabilities</b>: p = softmax of the selected layer's router logits over the E routed experts; circles
mark the top-k choices, red crosses the dropped ones. Shared experts (DeepSeekMoE, Qwen2-MoE) see every token: they are
the always-on rows below the dashed line, coloured by their per-token gate (Qwen2-MoE's sigmoid gate) or 1.</p>
<p>Statistics, for N tokens, E routed experts and top-k routing:</p>
<ul>
<li><b>load</b><sub>e</sub> = (number of (token, slot) assignments chosen for expert e) / (N·k) — sums to 1; dropped
assignments count as chosen (they were routed, then dropped). The dashed line of the bar chart is the ideal 1/E.</li>
<li><b>importance</b><sub>e</sub> = mean over tokens of p<sub>e</sub> — sums to 1.</li>
<li><b>Switch aux</b> = E · Σ<sub>e</sub> load<sub>e</sub> · importance<sub>e</sub>: 1.0 at perfect balance for any k
(Megatron-Core's per-layer convention, which divides the slot count by k); E when every token goes to one expert
with all the probability.</li>
<li><b>z-loss</b> = mean over tokens of (logsumexp of the router logits)² (ST-MoE).</li>
<li><b>entropy</b> = mean over tokens of −Σ<sub>e</sub> p<sub>e</sub> ln p<sub>e</sub>, in nats (ln E when the router
is uniform, 0 when it is certain).</li>
<li><b>dropped</b> = dropped assignments / (N·k) (0 for models without a capacity limit).</li>
<li><b>MaxVio</b> = (max<sub>e</sub> count<sub>e</sub> − mean count) / mean count = E · max<sub>e</sub>
load<sub>e</sub> − 1 (from the auxiliary-loss-free balancing paper): 0 when balanced, E − 1 when collapsed.</li>
</ul>
<p><b>hf_aux</b> is what transformers' <code>load_balancing_loss_func</code> returns for the same logits: every
layer's tokens are <i>pooled</i>, top-k is taken again from the softmax, and every top-k slot is counted without
dividing by k — so perfectly balanced top-2 routing gives 2.0, not 1.0. Because it pools, it can look perfect while
every layer has collapsed: if layer 0 sends every token to experts {0, 1} and layer 1 to {2, 3}, the pooled counts
are even and hf_aux is 2.0, while each layer's MaxVio is 1 and its Switch aux about 2. Read the per-layer rows.</p>
<p><b>Over training</b>: load per expert of the selected layer at every training snapshot (a fixed probe batch), so a
collapse shows as one bright row taking over; with DeepSeek-V3's auxiliary-loss-free balancing the per-expert bias
(added to the scores for selection only, moved by ±γ after each step: down when the expert is over-loaded, up when
under-loaded) is drawn below, and MaxVio per layer at the bottom. Pick an earlier run to compare side by side.</p>
"""
