<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AblationView</name>
    <message>
        <source>Head ablation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add selected head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>zero: z = 0; mean: z = the head&apos;s mean z over the prompt&apos;s positions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re-run with ablation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick heads, then re-run: the next-token distribution at the selected position is compared before and after.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mode</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttentionBinding</name>
    <message>
        <source>Attention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No capture with attention (patterns, or q and k) yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label} · {n} tokens · mask: {mask}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drawing the model view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computing layer {layer}, head {head}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer {layer}, head {head}: {proof}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This capture holds no “{stage}”, so the pattern is shown. </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>query {row} “{token}” · row sum {sum:.6f} · entropy {nats:.4f} nats ({bits:.4f} bits) · max {max:.4f} at key {key} “{key_token}” · {proof}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no masked cells</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} masked cells, largest weight there after softmax = exactly 0 ✓</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} masked cells, largest weight there after softmax = {largest:.3g} ✗</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click cells of the heatmap to mask them out; then Run with this mask.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model and run a prompt first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running with a mask</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttentionPanel</name>
    <message>
        <source>Inspector</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Debugger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Masks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ablate &amp;&amp; generate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No capture yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mask overlay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sequence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>colours</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttributionTable</name>
    <message>
        <source>Run Attribute to split the logit difference among the model&apos;s components.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}: logit diff {logit_diff:+.4f} = Σ direct ({value:+.4f}) + bias terms ({bias:+.4f}). Direct attribution holds the final norm&apos;s scale frozen at its value on this input (σ = {scale:.4g}); ablation Δ is the change in logit diff when that component alone is replaced by zeros or by its mean. Click a head to open it in the attention inspector.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BpePart</name>
    <message>
        <source>Tie rule: {tie}  Words: {words}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BpeTab</name>
    <message>
        <source>demo corpus</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>text file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word:count items separated by commas; each word gets the end marker &lt;/w&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a UTF-8 text file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chinese and English text about LLMs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>merges</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>BPE: merge the most frequent adjacent pair, again and again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sennrich, Haddow and Birch 2016 (arXiv 1508.07909)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to the characters (0 merges)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>◀ Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step ▶</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>new symbol</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merge table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click a row to replay up to that merge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>only words this merge changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corpus at this step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every word type split into its symbols; what the last merge made is orange</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pair counts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adjacent pairs weighted by word count at this step; the top row merges next</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Encode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Encode with the merges so far</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New text is encoded with the merges up to this step, applied in rank order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merges applied, in order: {merges}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train to replay the merges.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step 0 / {total}: characters + {EOW}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step {k} / {total}: {value} + {value2} → {value3} ({c:,})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label}: {types:,} word types, {changed:,} changed by this step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; showing {n:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train BPE on a text file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text files (*.txt);;All (*)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BreakpointEditor</name>
    <message>
        <source>Breakpoints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>always</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expression</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. max(pattern[row]) &gt; 0.8 and layer &gt; 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Variables: {variables}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add breakpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>when</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CompareTab</name>
    <message>
        <source>tokenizer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>characters / token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>vocabulary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run it through the model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture this text with the model, so selecting a token here selects it in the other panels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy ids</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the chosen row&apos;s token ids to the clipboard as a list, e.g. [5, 17, 2]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ids of</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DagView</name>
    <message>
        <source>Type a sentence to see jieba&apos;s DAG.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DebugTools</name>
    <message>
        <source>Not started: press Step, Continue or Run to selected head.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model and run a prompt first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add at least one head to ablate (select it, then Add).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re-running with ablation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generating</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DebuggerView</name>
    <message>
        <source>Step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step over layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Continue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run to selected head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not started: press Step, Continue or Run to.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DockTitle</name>
    <message>
        <source>What am I looking at? (F1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Float or dock this panel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close this panel (View menu brings it back)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EffectMap</name>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}: layer {row}, {value} {col}: {value2}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ExportTensorsDialog</name>
    <message>
        <source>Export tensors</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>filter, e.g. attn.hook_pattern or blocks.3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One tensor: .npy or .csv (at most 2-D). Several: .safetensors.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FilesMixin</name>
    <message>
        <source>untitled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opening {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach the session&apos;s model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attaching {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This session has unsaved changes. Save them before closing?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no capture to export from yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exporting {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported {value} tensor(s) to {path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export tensors</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlashRun</name>
    <message>
        <source>read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{verb} {names} ({elements:,} el.)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tile ({i}, {j}) masked: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tile ({i}, {j}): </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no transfers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Oᵢ acc.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step 0: O = 0, ℓ = 0, m = −∞ in HBM; press Step to load the first tile.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlashSimBinding</name>
    <message>
        <source>FlashAttention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no capture to take Q, K and V from yet; use random inputs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random standard-normal Q, K, V (seed {seed})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer {layer} · head {head} of “{label}”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>N = {n} is more than the panel steps through ({max_n}); use `lmscope flashsim` for long sequences.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>d = {d} is more than the panel shows ({max_d}); use `lmscope flashsim`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This setting has {tiles:,} tiles; the panel steps through at most {max_tiles:,}. Use larger blocks or `lmscope flashsim`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for “{title}” to finish before simulating {tiles:,} tiles…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulating {tiles:,} tiles in the background (progress in the status bar)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulation cancelled; the panel still shows the previous run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{reason} Showing random inputs until a capture has that head.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlashSimInputs</name>
    <message>
        <source>layer {layer} · head {head}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (kv head {kv})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The capture has no Q, K and V for layer {layer}; pick another input.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer {layer} has {n} heads; there is no head {head}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlashSimPanel</name>
    <message>
        <source>random Q, K, V</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>causal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The panel steps through at most N = {max_n}; `lmscope flashsim` takes any N.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fp16</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fp32</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fp64</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>|◀ Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>◀ Step back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>▶ Play</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>❚❚ Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step ▶</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End ▶|</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to step 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To the last step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{speed} steps/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;SRAM&lt;/b&gt; (on chip, capacity M)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;HBM&lt;/b&gt; (off chip)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>m, ℓ and error per row</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HBM traffic vs M and N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HBM accesses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reads</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; {steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do · {skipped} skipped (causal)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; {steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} moves fewer elements; it wins once M ≳ 3d² + 4d = {m:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} moves more elements here; it wins once M ≳ 3d² + 4d = {m:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> = &lt;b&gt;{used:,}&lt;/b&gt; of M = {m:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(over M: the paper&apos;s bound is O(M))</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>M = {m:,} el.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; so far</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} whole pass</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>standard attention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} moves fewer elements</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} moves more elements here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>standard / {name} = {ratio:.2f}×: {verdict}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max |O − exact| = {value:.2e}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>peak SRAM {peak_sram:,} = {value:.2f} × M</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step {step:,} / {total_steps:,}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GenerationView</name>
    <message>
        <source>Generation (KV cache)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>with ablation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cache position</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key dimension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key position</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#9a9a9a&apos;&gt;…{value}&lt;/span&gt;&lt;b style=&apos;color:#E69F00&apos;&gt;{value2}&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}: K cache has {value} rows; each step appends one and computes only the new query row.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>K cache ({value} rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>new query row&apos;s attention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>next token, step {value}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GraphicsScene</name>
    <message>
        <source>Export...</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HeadGrid</name>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HeatmapView</name>
    <message>
        <source>query {row} {query} → key {col} {key}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>weight {weight:.4g}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>score {score:.4g}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HistogramsBinding</name>
    <message>
        <source>Histograms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{run} · layer {layer} · {site}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HistogramsPanel</name>
    <message>
        <source>No capture yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>— none —</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log y</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare with</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>capture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No training snapshots yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This capture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture: {label}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No training snapshots for this layer and site yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label}: {value} snapshots, steps {value2}–{value3}; colour = log density, white = mean ± std</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log₁₀ density</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>density</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer {layer} · {value}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>InspectorView</name>
    <message>
        <source>weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key position</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a query row: click a token, a cell, or a label on the query axis.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JiebaTab</name>
    <message>
        <source>HMM for unknown words</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>POS tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Part-of-speech tags from jieba.posseg (precise mode only).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:{route}&apos;&gt;━ route (dynamic programming)&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:#8fa0b0&apos;&gt;─ dictionary word &amp;nbsp; ╌ unknown character (freq 1)&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:{hmm}&apos;&gt;└┘ HMM run: B begin, M middle, E end, S single&lt;/span&gt; &amp;nbsp; under each node: best log P of the rest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How precise mode decides</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Words with character offsets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word, e.g. 大语言模型</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto: jieba suggests a frequency just high enough to keep the word whole; 0: never cut this word out of the DAG</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tag</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>precise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The route dynamic programming picks through the DAG (jieba.cut, the default).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>full (cut_all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every dictionary word found in the sentence, overlapping (jieba.cut(cut_all=True)).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>search (cut_for_search)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precise mode, plus the 2- and 3-character dictionary words inside longer words (jieba.cut_for_search).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>end</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>POS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dictionary freq</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>frequency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add / re-weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undo the change to the selected word, restoring jieba&apos;s own entry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load user dictionary…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User words</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a jieba user dictionary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KVCacheView</name>
    <message>
        <source>layers L</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>query heads H</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key/value heads G</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head dim d_h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLA latent d_c</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLA RoPE key d_h^R</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>shape of</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dtype</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bytes for the whole context</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>per token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>whole context</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of MHA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>← this model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LensBinding</name>
    <message>
        <source>Prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a model (Model → Open demo, or a model folder) to look inside its predictions.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LensPanel</name>
    <message>
        <source>prompt (follows the current capture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target: one token or #ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>distractor: one token or #ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>last</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where attribution and patching read the logit difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run lens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>vs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>top</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>colour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean-ablation prompts, one per line (empty: the mean over the prompt)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>corrupted prompt, the same number of tokens as the prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corrupted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logit lens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attribution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patching</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoadView</name>
    <message>
        <source>expert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fraction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>load (routed slots)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>importance (mean p)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · shared experts always on: {n}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>importance (mean router probability)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>load (fraction of routed slots)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heatmap: {what} per layer and expert{shared}. Bars: layer {value}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open session…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save session &amp;as…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent sessions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export &amp;tensors…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export figure as PNG/SVG</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load model folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Built-in models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train new model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run prompt…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach the model folder a session was captured with, to re-run prompts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset layout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What am I looking at? (focused panel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About lmscope</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU · {threads} of {cores} threads</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the demo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model first (Model → Load model folder…).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running the prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prompt longer than the model&apos;s context</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{sentence} Which part should it read?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The last {limit:,} tokens (cut the start)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The first {limit:,} tokens (cut the end)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training {label}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model folder (TinyGPT or Hugging Face)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text to run through the model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>+{waiting} waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}: done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}: cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title} failed: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title} failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{source}
{value}
runs in {dtype}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no model · its folder is here: Model → Attach model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session was captured with {folder}; attaching it re-enables re-running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export {value}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PNG image (*.png);;SVG drawing (*.svg)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MaskControls</name>
    <message>
        <source>causal (no future keys)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sliding window / band: |i − j| &lt; w</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dilated window: keys at i ± k·d, k &lt; w</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>positions, e.g. 0, 12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>block-local: same block of b positions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paint cells out on the heatmap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>0 cells painted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear painted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a shorter second prompt → padded batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run with this mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>window w</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dilated w</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>global tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>random p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>block size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>custom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>padding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} cell{value} painted</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MasksView</name>
    <message>
        <source>prefix:6, bidirectional, topk:3, lsh:8:0, causal+window:4+topk:2 …</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>causal (query × key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>query</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>with the mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a mask and press Compare.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>queries: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>keys: </source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ModelView</name>
    <message>
        <source>every head&apos;s pattern (row-normalised thumbnails)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>per-head summary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Summary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computing thumbnails from q and k: {done} of {total} heads drawn — click any drawn head.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Multi-head attention: each of the {n} query heads has its own key/value head.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Multi-query attention: {shares}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grouped-query attention: {shares}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MoeBinding</name>
    <message>
        <source>MoE router</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MoE router statistics</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MoePanel</name>
    <message>
        <source>Routing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load &amp;&amp; statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft MoE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No MoE capture: capture a prompt with a mixture-of-experts model (Model → Built-in models → demo-moe).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mark top-k</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heatmap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>shared gate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This capture has no router tensors: the model is not a mixture of experts, or the capture left the router hooks out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture: {label} · {tokens} tokens · {layers} MoE layers · {experts} experts, top-{k}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · {n} shared</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>transformers&apos; pooled auxiliary loss (hf_aux) = {value} — its own convention: all layers&apos; tokens pooled and every top-{k} slot counted without dividing by k, so balanced top-{k} routing gives {k}.0, not 1.0. A pooled figure can look perfect while every layer has collapsed (each onto a different set of experts): read the per-layer Switch aux and MaxVio above.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture: {label} · {n_tokens} tokens · {value} Soft MoE layers: no router picks experts, see the Soft MoE tab.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NotesBinding</name>
    <message>
        <source>Notes and bookmarks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · token {position} “{token}”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label} · layer {layer} · head {head}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no capture</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NotesPanel</name>
    <message>
        <source>Notes for this session (Markdown): what you looked at and why.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What is interesting here?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark selection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Selection: {text}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OverTrainingView</name>
    <message>
        <source>— none —</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare with run</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PatchingView</name>
    <message>
        <source>Give a corrupted prompt of the same token length and run Patch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Left (clean)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Right (corrupted)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>positions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>heads</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (patching…)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}{done} logit diff: clean {clean_diff:+.4f}, corrupted {corrupt_diff:+.4f}. Effect = (patched − corrupted)/(clean − corrupted): 1 restores the clean answer (red), 0 changes nothing, negative pushes the other way (blue).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PositionsView</name>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>head</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>query at m</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key at n</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sinusoidal PE (position × dimension)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>position</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dimension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offset k</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dot product against the offset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RoPE angle pos·θᵢ mod 2π (position × pair)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pair i</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>shift s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>real head: RoPE(q, m+s)·RoPE(k, n+s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>both shifted (n − m fixed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>only the key shifted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>learned position embeddings: cosine similarity</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ProjectorBinding</name>
    <message>
        <source>{source} · embedding matrix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Embedding projector</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model first to see its embedding matrix.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture a prompt first (Model → Run prompt…).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exporting {path}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ProjectorPanel</name>
    <message>
        <source>PCA (exact)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model embedding matrix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word2vec (train below)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Residual stream of the captures</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File (word2vec / TSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>progress event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colour by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word2vec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all (trajectories)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show these points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export vectors…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dimensions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>t-SNE perplexity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>t-SNE exaggeration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UMAP neighbours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UMAP min_dist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Explained</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>search a word (substring)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>regex</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cosine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>euclidean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>isolate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click a point or search a word to see its nearest neighbours.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>distance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analogy: A − B + C</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>king</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>man</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>woman</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: the demo corpus</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corpus file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>skip-gram</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CBOW</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dim</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>negative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>min-count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corpus</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>subsample</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt; · {value:,} points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{parts} = {percent:.1f} % of the variance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{value:,} match{value2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nearest to &lt;b&gt;{value}&lt;/b&gt; ({value2}, original space):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import vectors</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vectors (*.txt *.vec *.bin *.tsv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export vectors</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>word2vec text (*.txt);;word2vec binary (*.bin);;TensorBoard TSV (*.tsv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corpus for word2vec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text (*.txt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RoutingView</name>
    <message>
        <source>Colour = top-1 expert ({n} experts: hover a cell for its number). Striped = dropped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top-1 expert: {swatches} &amp;nbsp;·&amp;nbsp; striped / dark = an assignment dropped over capacity</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RowStatePlots</name>
    <message>
        <source>|O − exact|</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Q row</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RunView</name>
    <message>
        <source>No training snapshots yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expert (bias)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No MoE load recorded for this run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label} · layer {layer}: load per expert at {n} snapshots (steps {first}–{last}); now max {max:.3f} vs ideal {ideal:.3f}, MaxVio {vio:.3f}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · bias: aux-loss-free balancing (red = raised, blue = lowered)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SoftMoeView</name>
    <message>
        <source>No Soft MoE capture: train or load a model with moe_mode = soft.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft MoE, layer {value}: {n_experts} experts × {slots_per_expert} slots. Top: dispatch D = softmax over tokens (each slot row sums to 1: what the slot reads). Bottom: combine C = softmax over slots (each token column sums to 1: where its output comes from). No token is dropped.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SramView</name>
    <message>
        <source>S tile in SRAM</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>elements on chip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S tile in SRAM: none yet (press Step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S tile ({i}, {j}): {value}×{value2}, {value3} … {value4}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TargetView</name>
    <message>
        <source>target rank (1 = top)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>residual point</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set a target token and run the lens to see where it overtakes the rest.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>promoted (Δ log p)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>suppressed (Δ log p)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“{target}” at position {pos} (“{token}”): rank {ranks}; p = {p:.3f} at the end.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No target token: type one (or #ID) and run the lens.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>block {b}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Terms</name>
    <message>
        <source>Switch aux</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>z-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>entropy (nats)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dropped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MaxVio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>residual in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LN1 normalized</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>attention out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LN2 normalized</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLP pre-activation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLP post-activation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>residual out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>std</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ex. kurtosis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max |x|</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exactly 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dead units</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>beyond 6σ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scores QKᵀ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scaled ÷√d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>after the mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>softmax pattern</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>output z = pattern·V</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NaN/Inf anywhere</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max pattern weight &gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>row entropy &lt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>|score| &gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>q, k, v (pos × d_head), scores, scaled, masked, pattern (query × key), z (pos × d_head), entropy and weight (per query row: entropy in nats and max weight, NaN for rows that see fewer than 2 keys), score (scaled scores, NaN where masked), nonfinite (count of NaN/±Inf, masked −∞ excluded), layer, head, row (the query row under study), n (positions)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mean row entropy (nats)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>attention to the first token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>previous-token score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>diagonal (self) score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>zero</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>greedy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>temperature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>top-k</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>entropy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>importance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>custom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cosine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>euclidean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>script</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>frequency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Han</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>digit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>punct</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pattern</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scores</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scaled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>masked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When pairs tie on count, the pair met first wins: scan the words in the order they first appear in the corpus, each word left to right.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Words are split at whitespace; each run of CJK characters is one word, each run of other letters, digits and &apos;_&apos; is one word, and every other character (punctuation, emoji) is a word of its own. Combining marks, joiners and emoji skin tones stay with the character before them.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TokenStrip</name>
    <message>
        <source>position {i}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TokenizerBinding</name>
    <message>
        <source>Loading jieba&apos;s dictionary…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Press Return in the text box to segment with jieba (loads its dictionary, ~1 s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokenizer explorer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TokenizerPanel</name>
    <message>
        <source>BPE step by step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model vocabulary &amp;&amp; bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a text, e.g. 我们一起来学习大语言模型</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TokenizerViews</name>
    <message>
        <source>{n} words, {unknown} not in dictionary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} words</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train BPE in the “BPE step by step” tab to browse its vocabulary.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Our BPE after {step} merges: {n:,} symbols. Frequency: occurrences in the training corpus segmented at this step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{source}: {n:,} tokens, one per character, &lt;unk&gt; for any other. Frequency: occurrences in the demo corpus.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TopKTable</name>
    <message>
        <source>before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>after</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrafficCurves</name>
    <message>
        <source>SRAM M (elements)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sequence length N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HBM accesses (elements)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this setting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>standard  Θ(Nd + N²)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainDialog</name>
    <message>
        <source>Train new model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model (TinyGPT config)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>noisy_gating</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training (on the demo corpus)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cpu</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cuda</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run name</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainingBinding</name>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message>
        <source>No training run yet: Model → Train new model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run: {label}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step —</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss —</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>— tok/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>train (batch)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lr</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step {step:,} / {total:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step {step:,}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss {loss:.3f}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{tokens_per_s:,.0f} tok/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss (nats, log scale)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss (nats)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>VariantsBinding</name>
    <message>
        <source>Attention variants</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the loaded model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this shape</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KV cache of {name} ({kind}) for {tokens:,} tokens in {dtype}: each kind with the same L, H and d_h.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a TinyGPT and capture a prompt to measure its live KV cache.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live: after reading the current prompt ({tokens} tokens) the loaded model&apos;s KV cache holds {bytes:,} bytes ({human}, {dtype}), equal to the {kind} closed form {closed:,}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live: after reading the current prompt ({tokens} tokens) the loaded model&apos;s KV cache holds {bytes:,} bytes ({human}, {dtype}), NOT equal to the {kind} closed form {closed:,}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>VariantsPanel</name>
    <message>
        <source>KV cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Positions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Masks</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>VocabTab</name>
    <message>
        <source>model tokenizer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>our BPE (at the replay step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>search tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>frequency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UTF-8 bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sort by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vocabulary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Byte level: the text as UTF-8 bytes and GPT-2&apos;s byte stand-ins</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>masks</name>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>session_io</name>
    <message>
        <source>This panel&apos;s part of the session was not restored: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This panel&apos;s part of the session was not restored ({name__}: {value}).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>style</name>
    <message>
        <source>Export this plot as PNG (2×)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export this plot as SVG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy data (TSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export plot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lmscope plot</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
