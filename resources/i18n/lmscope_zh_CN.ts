<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AblationView</name>
    <message>
        <source>Head ablation</source>
        <translation>注意力头消融</translation>
    </message>
    <message>
        <source>Add selected head</source>
        <translation>添加选中的头</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>zero: z = 0; mean: z = the head&apos;s mean z over the prompt&apos;s positions</source>
        <translation>置零：z = 0；均值：z = 该头在提示各位置上 z 的均值</translation>
    </message>
    <message>
        <source>Re-run with ablation</source>
        <translation>消融后重新运行</translation>
    </message>
    <message>
        <source>Pick heads, then re-run: the next-token distribution at the selected position is compared before and after.</source>
        <translation>选择若干注意力头后重新运行：比较选中位置上消融前后的下一个词元分布。</translation>
    </message>
    <message>
        <source>mode</source>
        <translation>方式</translation>
    </message>
</context>
<context>
    <name>AnalogyEvaluationBox</name>
    <message>
        <source>Analogy evaluation (questions-words format)</source>
        <translation>类比评测（questions-words 格式）</translation>
    </message>
    <message>
        <source>Evaluate on an analogy file…</source>
        <translation>用类比文件评测…</translation>
    </message>
    <message>
        <source>section</source>
        <translation>分节</translation>
    </message>
    <message>
        <source>correct / asked</source>
        <translation>答对 / 提问</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <source>Analogy questions</source>
        <translation>类比问题</translation>
    </message>
    <message>
        <source>Analogy questions (*.txt);;All files (*)</source>
        <translation>类比问题 (*.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Evaluating on %1…</source>
        <translation>正在用 %1 评测…</translation>
    </message>
    <message>
        <source>%1: %2 % of %3 questions right (%4 of %5 skipped: a word outside the vocabulary).</source>
        <translation>%1：%3 个问题答对 %2 %（%5 个中跳过 %4 个：有词不在词表中）。</translation>
    </message>
</context>
<context>
    <name>AttentionBinding</name>
    <message>
        <source>Attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>No capture with attention (patterns, or q and k) yet</source>
        <translation>尚无包含注意力的捕获（注意力模式，或 q 与 k）</translation>
    </message>
    <message>
        <source>{0} tokens · mask: {1}</source>
        <translation>{0} 个词元 · 掩码：{1}</translation>
    </message>
    <message>
        <source>mask: {0}</source>
        <translation>掩码：{0}</translation>
    </message>
    <message>
        <source>{label} · {n} tokens</source>
        <translation>{label} · {n} 个词元</translation>
    </message>
    <message>
        <source>{label} · {n} tokens · mask: {mask}</source>
        <translation>{label} · {n} 个词元 · 掩码：{mask}</translation>
    </message>
    <message>
        <source>Drawing the model view</source>
        <translation>正在绘制模型总览</translation>
    </message>
    <message>
        <source>Computing layer {layer}, head {head}</source>
        <translation>正在计算第 {layer} 层、第 {head} 个头</translation>
    </message>
    <message>
        <source>Layer {layer}, head {head}: {proof}</source>
        <translation>第 {layer} 层、第 {head} 个头：{proof}</translation>
    </message>
    <message>
        <source>This capture holds no “{stage}”, so the pattern is shown. </source>
        <translation>此捕获中没有“{stage}”，因此显示注意力模式。</translation>
    </message>
    <message>
        <source>weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>query {row} “{token}” · row sum {sum:.6f} · entropy {nats:.4f} nats ({bits:.4f} bits) · max {max:.4f} at key {key} “{key_token}” · {proof}</source>
        <translation>查询 {row}“{token}” · 行和 {sum:.6f} · 熵 {nats:.4f} 奈特（{bits:.4f} 比特） · 最大值 {max:.4f} 位于键 {key}“{key_token}” · {proof}</translation>
    </message>
    <message>
        <source>no masked cells</source>
        <translation>没有被掩码的单元格</translation>
    </message>
    <message>
        <source>{n} masked cells, largest weight there after softmax = exactly 0 ✓</source>
        <translation>{n} 个被掩码的单元格，softmax 后其中最大权重 = 恰好为 0 ✓</translation>
    </message>
    <message>
        <source>{n} masked cells, largest weight there after softmax = {largest:.3g} ✗</source>
        <translation>{n} 个被掩码的单元格，softmax 后其中最大权重 = {largest:.3g} ✗</translation>
    </message>
    <message>
        <source>Click cells of the heatmap to mask them out; then Run with this mask.</source>
        <translation>点击热力图中的单元格将其屏蔽，然后点“用此掩码运行”。</translation>
    </message>
    <message>
        <source>Load a model and run a prompt first.</source>
        <translation>请先加载模型并运行一个提示。</translation>
    </message>
    <message>
        <source>Running with a mask</source>
        <translation>正在用掩码运行</translation>
    </message>
</context>
<context>
    <name>AttentionPanel</name>
    <message>
        <source>Inspector</source>
        <translation>检查器</translation>
    </message>
    <message>
        <source>Model view</source>
        <translation>模型总览</translation>
    </message>
    <message>
        <source>Debugger</source>
        <translation>调试器</translation>
    </message>
    <message>
        <source>Masks</source>
        <translation>掩码</translation>
    </message>
    <message>
        <source>Ablate &amp;&amp; generate</source>
        <translation>消融与生成</translation>
    </message>
    <message>
        <source>Previous layer</source>
        <translation>上一层</translation>
    </message>
    <message>
        <source>Next layer</source>
        <translation>下一层</translation>
    </message>
    <message>
        <source>Previous head</source>
        <translation>上一个头</translation>
    </message>
    <message>
        <source>Next head</source>
        <translation>下一个头</translation>
    </message>
    <message>
        <source>No capture yet</source>
        <translation>尚无捕获</translation>
    </message>
    <message>
        <source>log</source>
        <translation>对数</translation>
    </message>
    <message>
        <source>mask overlay</source>
        <translation>掩码叠加</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>sequence</source>
        <translation>序列</translation>
    </message>
    <message>
        <source>colours</source>
        <translation>配色</translation>
    </message>
</context>
<context>
    <name>AttributionTable</name>
    <message>
        <source>Run Attribute to split the logit difference among the model&apos;s components.</source>
        <translation>运行“归因”，把 logit 差分解到模型的各个组件上。</translation>
    </message>
    <message>
        <source>{title}: logit diff {logit_diff:+.4f} = Σ direct ({value:+.4f}) + bias terms ({bias:+.4f}). Direct attribution holds the final norm&apos;s scale frozen at its value on this input (σ = {scale:.4g}); ablation Δ is the change in logit diff when that component alone is replaced by zeros or by its mean. Click a head to open it in the attention inspector.</source>
        <translation>{title}：logit 差 {logit_diff:+.4f} = Σ 直接贡献（{value:+.4f}）+ 偏置项（{bias:+.4f}）。直接归因把最终归一化层的缩放固定为它在此输入上的取值（σ = {scale:.4g}）；消融 Δ 是只把该组件替换为零或其均值时 logit 差的变化。点击某个头可在注意力检查器中打开它。</translation>
    </message>
</context>
<context>
    <name>BpePart</name>
    <message>
        <source>Training BPE</source>
        <translation>正在训练 BPE</translation>
    </message>
    <message>
        <source>Tie rule: {tie}  Words: {words}</source>
        <translation>平局规则：{tie}  词的切分：{words}</translation>
    </message>
    <message>
        <source>Retraining BPE on the saved corpus gave different merges than the session holds.</source>
        <translation>在保存的语料上重新训练 BPE，得到的合并与会话中保存的不同。</translation>
    </message>
    <message>
        <source>BPE stopped after {n} merges: every word is a single symbol.</source>
        <translation>BPE 在 {n} 次合并后停止：每个词都已是单个符号。</translation>
    </message>
</context>
<context>
    <name>BpeTab</name>
    <message>
        <source>demo corpus</source>
        <translation>演示语料</translation>
    </message>
    <message>
        <source>text file</source>
        <translation>文本文件</translation>
    </message>
    <message>
        <source>word list</source>
        <translation>词表</translation>
    </message>
    <message>
        <source>word:count items separated by commas; each word gets the end marker &lt;/w&gt;</source>
        <translation>用逗号分隔的 词:次数 条目；每个词末尾加结束标记 &lt;/w&gt;</translation>
    </message>
    <message>
        <source>a UTF-8 text file</source>
        <translation>UTF-8 文本文件</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Chinese and English text about LLMs</source>
        <translation>关于大语言模型的中英文文本</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Train on</source>
        <translation>训练语料</translation>
    </message>
    <message>
        <source>merges</source>
        <translation>合并次数</translation>
    </message>
    <message>
        <source>BPE: merge the most frequent adjacent pair, again and again</source>
        <translation>BPE：反复合并出现最频繁的相邻符号对</translation>
    </message>
    <message>
        <source>Sennrich, Haddow and Birch 2016 (arXiv 1508.07909)</source>
        <translation>Sennrich、Haddow 与 Birch 2016（arXiv 1508.07909）</translation>
    </message>
    <message>
        <source>Back to the characters (0 merges)</source>
        <translation>回到单个字符（0 次合并）</translation>
    </message>
    <message>
        <source>◀ Back</source>
        <translation>◀ 后退</translation>
    </message>
    <message>
        <source>Step ▶</source>
        <translation>单步 ▶</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>rank</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>pair</source>
        <translation>符号对</translation>
    </message>
    <message>
        <source>count</source>
        <translation>次数</translation>
    </message>
    <message>
        <source>new symbol</source>
        <translation>新符号</translation>
    </message>
    <message>
        <source>Merge table</source>
        <translation>合并表</translation>
    </message>
    <message>
        <source>Click a row to replay up to that merge</source>
        <translation>点击一行，重放到该次合并</translation>
    </message>
    <message>
        <source>only words this merge changed</source>
        <translation>只看本次合并改变的词</translation>
    </message>
    <message>
        <source>Corpus at this step</source>
        <translation>此步的语料</translation>
    </message>
    <message>
        <source>Every word type split into its symbols; what the last merge made is orange</source>
        <translation>每个词型拆成符号；最近一次合并产生的符号显示为橙色</translation>
    </message>
    <message>
        <source>Pair counts</source>
        <translation>符号对计数</translation>
    </message>
    <message>
        <source>Adjacent pairs weighted by word count at this step; the top row merges next</source>
        <translation>此步按词频加权的相邻符号对；第一行将是下一次合并</translation>
    </message>
    <message>
        <source>Encode</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>Encode with the merges so far</source>
        <translation>用到目前为止的合并来编码</translation>
    </message>
    <message>
        <source>New text is encoded with the merges up to this step, applied in rank order</source>
        <translation>新文本用截至此步的合并规则、按序号依次编码</translation>
    </message>
    <message>
        <source>Training…</source>
        <translation>正在训练…</translation>
    </message>
    <message>
        <source>Merges applied, in order: {merges}</source>
        <translation>依次应用的合并：{merges}</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Train to replay the merges.</source>
        <translation>先训练，再重放合并过程。</translation>
    </message>
    <message>
        <source>step 0 / {total}: characters + {EOW}</source>
        <translation>第 0 / {total} 步：字符 + {EOW}</translation>
    </message>
    <message>
        <source>step {k} / {total}: {value} + {value2} → {value3} ({c:,})</source>
        <translation>第 {k} / {total} 步：{value} + {value2} → {value3}（{c:,}）</translation>
    </message>
    <message>
        <source>{label}: {types:,} word types, {changed:,} changed by this step</source>
        <translation>{label}：{types:,} 个词型，此步改变了 {changed:,} 个</translation>
    </message>
    <message>
        <source>; showing {n:,}</source>
        <translation>；显示 {n:,} 个</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Train BPE on a text file</source>
        <translation>在文本文件上训练 BPE</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All (*)</source>
        <translation>文本文件 (*.txt);;全部 (*)</translation>
    </message>
</context>
<context>
    <name>BreakpointEditor</name>
    <message>
        <source>Breakpoints</source>
        <translation>断点</translation>
    </message>
    <message>
        <source>always</source>
        <translation>总是</translation>
    </message>
    <message>
        <source>expression</source>
        <translation>表达式</translation>
    </message>
    <message>
        <source>e.g. max(pattern[row]) &gt; 0.8 and layer &gt; 0</source>
        <translation>例如 max(pattern[row]) &gt; 0.8 and layer &gt; 0</translation>
    </message>
    <message>
        <source>Variables: {variables}</source>
        <translation>可用变量：{variables}</translation>
    </message>
    <message>
        <source>Add breakpoint</source>
        <translation>添加断点</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>when</source>
        <translation>条件</translation>
    </message>
</context>
<context>
    <name>CompareTab</name>
    <message>
        <source>tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>characters / token</source>
        <translation>字符数 / 词元</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>unknown rate</source>
        <translation>未登录率</translation>
    </message>
    <message>
        <source>vocabulary</source>
        <translation>词表大小</translation>
    </message>
    <message>
        <source>Run it through the model</source>
        <translation>用模型运行这段文本</translation>
    </message>
    <message>
        <source>Capture this text with the model, so selecting a token here selects it in the other panels</source>
        <translation>用模型捕获这段文本，这样在此处选中词元也会在其他面板中选中它</translation>
    </message>
    <message>
        <source>Copy ids</source>
        <translation>复制 id</translation>
    </message>
    <message>
        <source>Copy the chosen row&apos;s token ids to the clipboard as a list, e.g. [5, 17, 2]</source>
        <translation>把所选行的词元 id 以列表形式复制到剪贴板，例如 [5, 17, 2]</translation>
    </message>
    <message>
        <source>ids of</source>
        <translation>复制哪一行的 id</translation>
    </message>
</context>
<context>
    <name>DagView</name>
    <message>
        <source>Type a sentence to see jieba&apos;s DAG.</source>
        <translation>输入一句话，查看 jieba 的有向无环图（DAG）。</translation>
    </message>
</context>
<context>
    <name>DebugTools</name>
    <message>
        <source>Not started: press Step, Continue or Run to selected head.</source>
        <translation>尚未开始：按“单步”“继续”或“运行到选中的头”。</translation>
    </message>
    <message>
        <source>Load a model and run a prompt first.</source>
        <translation>请先加载模型并运行一个提示。</translation>
    </message>
    <message>
        <source>Step over layer</source>
        <translation>跳过本层</translation>
    </message>
    <message>
        <source>Step into the next head/stage</source>
        <translation>单步进入下一个头/阶段</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重新开始</translation>
    </message>
    <message>
        <source>Run to selected head</source>
        <translation>运行到选中的头</translation>
    </message>
    <message>
        <source>&amp;Debug</source>
        <translation>调试(&amp;D)</translation>
    </message>
    <message>
        <source>The debugger is running in the worker.</source>
        <translation>调试器正在后台任务中运行。</translation>
    </message>
    <message>
        <source>The debugger re-runs position-based masks only; capture without top-k or LSH.</source>
        <translation>调试器只能重新运行基于位置的掩码；请在不使用 top-k 或 LSH 的情况下捕获。</translation>
    </message>
    <message>
        <source>Add at least one head to ablate (select it, then Add).</source>
        <translation>至少添加一个要消融的头（先选中，再点“添加”）。</translation>
    </message>
    <message>
        <source>Re-running with ablation</source>
        <translation>正在消融后重新运行</translation>
    </message>
    <message>
        <source>Generating</source>
        <translation>正在生成</translation>
    </message>
</context>
<context>
    <name>DebuggerView</name>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>Step over layer</source>
        <translation>跳过本层</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Run to selected head</source>
        <translation>运行到选中的头</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重新开始</translation>
    </message>
    <message>
        <source>Not started: press Step, Continue or Run to.</source>
        <translation>尚未开始：按“单步”“继续”或“运行到”。</translation>
    </message>
</context>
<context>
    <name>DockTitle</name>
    <message>
        <source>What am I looking at? (F1)</source>
        <translation>我在看什么？（F1）</translation>
    </message>
    <message>
        <source>Float or dock this panel</source>
        <translation>浮动或停靠此面板</translation>
    </message>
    <message>
        <source>Close this panel (View menu brings it back)</source>
        <translation>关闭此面板（可在“视图”菜单中重新打开）</translation>
    </message>
</context>
<context>
    <name>EffectMap</name>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>{title}: layer {row}, {value} {col}: {value2}</source>
        <translation>{title}：第 {row} 层，{value} {col}：{value2}</translation>
    </message>
</context>
<context>
    <name>ExpertMap</name>
    <message>
        <source> dropped</source>
        <translation> 已丢弃</translation>
    </message>
    <message>
        <source>layer {layer} · {token} → {picks}</source>
        <translation>第 {layer} 层 · {token} → {picks}</translation>
    </message>
</context>
<context>
    <name>ExportTensorsDialog</name>
    <message>
        <source>Export tensors</source>
        <translation>导出张量</translation>
    </message>
    <message>
        <source>filter, e.g. attn.hook_pattern or blocks.3.</source>
        <translation>筛选，例如 attn.hook_pattern 或 blocks.3.</translation>
    </message>
    <message>
        <source>One tensor: .npy or .csv (at most 2-D). Several: .safetensors.</source>
        <translation>单个张量：.npy 或 .csv（最多二维）。多个张量：.safetensors。</translation>
    </message>
</context>
<context>
    <name>FilesMixin</name>
    <message>
        <source>Open anyway</source>
        <translation>仍然打开</translation>
    </message>
    <message>
        <source>lmscope sessions (*.h5 *.hdf5);;All files (*)</source>
        <translation>lmscope 会话 (*.h5 *.hdf5);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Half precision (float16)</source>
        <translation>半精度（float16）</translation>
    </message>
    <message>
        <source>Store every float tensor as float16, attention patterns included: half the size, about 5e-4 relative precision (docs/session-format.md).</source>
        <translation>每个浮点张量都以 float16 存储，注意力模式也不例外：文件减半，相对精度约 5e-4（详见会话格式文档）。</translation>
    </message>
    <message>
        <source>Keep full logits of long captures</source>
        <translation>长捕获也保存完整的 logit</translation>
    </message>
    <message>
        <source>Logits are kept while they take at most 64 MiB (333 tokens with GPT-2&apos;s vocabulary); past that they are left out unless this is on. Running the prompt again gives them back.</source>
        <translation>logit 不超过 64 MiB 时保存（以 GPT-2 的词表约为 333 个词元）；超过时除非勾选此项，否则不保存。再次运行提示词即可重新得到它们。</translation>
    </message>
    <message>
        <source>NumPy array (*.npy);;CSV table (*.csv);;safetensors (*.safetensors)</source>
        <translation>NumPy 数组 (*.npy);;CSV 表格 (*.csv);;safetensors (*.safetensors)</translation>
    </message>
    <message>
        <source>untitled</source>
        <translation>未命名</translation>
    </message>
    <message>
        <source>Opening {name}</source>
        <translation>正在打开 {name}</translation>
    </message>
    <message>
        <source>Saving {name}</source>
        <translation>正在保存 {name}</translation>
    </message>
    <message>
        <source>Session storage</source>
        <translation>会话存储</translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation>（暂无）</translation>
    </message>
    <message>
        <source>Open session</source>
        <translation>打开会话</translation>
    </message>
    <message>
        <source>Save session</source>
        <translation>保存会话</translation>
    </message>
    <message>
        <source>Attach the session&apos;s model folder</source>
        <translation>关联会话的模型文件夹</translation>
    </message>
    <message>
        <source>Attaching {name}</source>
        <translation>正在关联 {name}</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>This session has unsaved changes. Save them before closing?</source>
        <translation>此会话有未保存的更改。关闭前要保存吗？</translation>
    </message>
    <message>
        <source>There is no capture to export from yet.</source>
        <translation>还没有可以导出的捕获。</translation>
    </message>
    <message>
        <source>Exporting {name}</source>
        <translation>正在导出 {name}</translation>
    </message>
    <message>
        <source>Exported {value} tensor(s) to {path}</source>
        <translation>已导出 {value} 个张量到 {path}</translation>
    </message>
    <message>
        <source>Export tensors</source>
        <translation>导出张量</translation>
    </message>
</context>
<context>
    <name>FlashRun</name>
    <message>
        <source>read</source>
        <translation>读取</translation>
    </message>
    <message>
        <source>wrote</source>
        <translation>写回</translation>
    </message>
    <message>
        <source>{verb} {names} ({elements:,} el.)</source>
        <translation>{verb} {names}（{elements:,} 个元素）</translation>
    </message>
    <message>
        <source>Tile ({i}, {j}) masked: </source>
        <translation>分块 ({i}, {j})（被掩码）：</translation>
    </message>
    <message>
        <source>Tile ({i}, {j}): </source>
        <translation>分块 ({i}, {j})：</translation>
    </message>
    <message>
        <source>no transfers</source>
        <translation>无数据传输</translation>
    </message>
    <message>
        <source>Oᵢ acc.</source>
        <translation>Oᵢ 累加</translation>
    </message>
    <message>
        <source>Step 0: O = 0, ℓ = 0, m = −∞ in HBM; press Step to load the first tile.</source>
        <translation>第 0 步：HBM 中 O = 0，ℓ = 0，m = −∞；按“单步”载入第一个分块。</translation>
    </message>
</context>
<context>
    <name>FlashSimBinding</name>
    <message>
        <source>FlashAttention</source>
        <translation>FlashAttention</translation>
    </message>
    <message>
        <source>There is no capture to take Q, K and V from yet; use random inputs.</source>
        <translation>还没有可取 Q、K、V 的捕获；请使用随机输入。</translation>
    </message>
    <message>
        <source>Random standard-normal Q, K, V (seed {seed})</source>
        <translation>随机标准正态 Q、K、V（种子 {seed}）</translation>
    </message>
    <message>
        <source>Layer {layer} · head {head} of “{label}”</source>
        <translation>“{label}”的第 {layer} 层 · 第 {head} 个头</translation>
    </message>
    <message>
        <source>N = {n} is more than the panel steps through ({max_n}); use `lmscope flashsim` for long sequences.</source>
        <translation>N = {n} 超过了面板可单步演示的上限（{max_n}）；长序列请使用 `lmscope flashsim`。</translation>
    </message>
    <message>
        <source>d = {d} is more than the panel shows ({max_d}); use `lmscope flashsim`.</source>
        <translation>d = {d} 超过了面板可显示的上限（{max_d}）；请使用 `lmscope flashsim`。</translation>
    </message>
    <message>
        <source>This setting has {tiles:,} tiles; the panel steps through at most {max_tiles:,}. Use larger blocks or `lmscope flashsim`.</source>
        <translation>此设置有 {tiles:,} 个分块；面板最多单步演示 {max_tiles:,} 个。请使用更大的分块或 `lmscope flashsim`。</translation>
    </message>
    <message>
        <source>Waiting for “{title}” to finish before simulating {tiles:,} tiles…</source>
        <translation>等待“{title}”完成后再模拟 {tiles:,} 个分块…</translation>
    </message>
    <message>
        <source>Simulating {tiles:,} tiles in the background (progress in the status bar)…</source>
        <translation>正在后台模拟 {tiles:,} 个分块（进度见状态栏）…</translation>
    </message>
    <message>
        <source>Simulation cancelled; the panel still shows the previous run.</source>
        <translation>模拟已取消；面板仍显示上一次的结果。</translation>
    </message>
    <message>
        <source>{reason} Showing random inputs until a capture has that head.</source>
        <translation>{reason} 在有捕获包含该头之前，先显示随机输入。</translation>
    </message>
</context>
<context>
    <name>FlashSimInputs</name>
    <message>
        <source>layer {layer} · head {head}</source>
        <translation>第 {layer} 层 · 第 {head} 个头</translation>
    </message>
    <message>
        <source> (kv head {kv})</source>
        <translation>（KV 头 {kv}）</translation>
    </message>
    <message>
        <source>The capture has no Q, K and V for layer {layer}; pick another input.</source>
        <translation>捕获中没有第 {layer} 层的 Q、K、V；请选择其他输入。</translation>
    </message>
    <message>
        <source>Layer {layer} has {n} heads; there is no head {head}.</source>
        <translation>第 {layer} 层有 {n} 个头；没有第 {head} 个头。</translation>
    </message>
</context>
<context>
    <name>FlashSimPanel</name>
    <message>
        <source>random Q, K, V</source>
        <translation>随机 Q、K、V</translation>
    </message>
    <message>
        <source>causal</source>
        <translation>因果</translation>
    </message>
    <message>
        <source>The panel steps through at most N = {max_n}; `lmscope flashsim` takes any N.</source>
        <translation>面板最多单步演示 N = {max_n}；`lmscope flashsim` 支持任意 N。</translation>
    </message>
    <message>
        <source>fp16</source>
        <translation>fp16</translation>
    </message>
    <message>
        <source>fp32</source>
        <translation>fp32</translation>
    </message>
    <message>
        <source>fp64</source>
        <translation>fp64</translation>
    </message>
    <message>
        <source>paper</source>
        <translation>论文值</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>|◀ Start</source>
        <translation>|◀ 开头</translation>
    </message>
    <message>
        <source>◀ Step back</source>
        <translation>◀ 后退一步</translation>
    </message>
    <message>
        <source>▶ Play</source>
        <translation>▶ 播放</translation>
    </message>
    <message>
        <source>❚❚ Pause</source>
        <translation>❚❚ 暂停</translation>
    </message>
    <message>
        <source>Step ▶</source>
        <translation>单步 ▶</translation>
    </message>
    <message>
        <source>End ▶|</source>
        <translation>结尾 ▶|</translation>
    </message>
    <message>
        <source>Back to step 0</source>
        <translation>回到第 0 步</translation>
    </message>
    <message>
        <source>To the last step</source>
        <translation>跳到最后一步</translation>
    </message>
    <message>
        <source>Play / pause</source>
        <translation>播放 / 暂停</translation>
    </message>
    <message>
        <source>Step back</source>
        <translation>后退一步</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>To step 0</source>
        <translation>回到第 0 步</translation>
    </message>
    <message>
        <source>playback and pictures</source>
        <translation>播放与图示</translation>
    </message>
    <message>
        <source>{speed} steps/s</source>
        <translation>{speed} 步/秒</translation>
    </message>
    <message>
        <source>&lt;b&gt;SRAM&lt;/b&gt; (on chip, capacity M)</source>
        <translation>&lt;b&gt;SRAM&lt;/b&gt;（片上，容量 M）</translation>
    </message>
    <message>
        <source>&lt;b&gt;HBM&lt;/b&gt; (off chip)</source>
        <translation>&lt;b&gt;HBM&lt;/b&gt;（片外）</translation>
    </message>
    <message>
        <source>m, ℓ and error per row</source>
        <translation>每行的 m、ℓ 与误差</translation>
    </message>
    <message>
        <source>HBM traffic vs M and N</source>
        <translation>HBM 访存量随 M 和 N 的变化</translation>
    </message>
    <message>
        <source>HBM accesses</source>
        <translation>HBM 访问</translation>
    </message>
    <message>
        <source>reads</source>
        <translation>读</translation>
    </message>
    <message>
        <source>writes</source>
        <translation>写</translation>
    </message>
    <message>
        <source>total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; {steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do · {skipped} skipped (causal)</source>
        <translation>{source}。S = QKᵀ/√d 分成 {tr} × {tc} 个 Br × Bc = {br} × {bc} 的分块，从不写入 HBM；共访问 {steps:,} 次。{current} 当前 · {visited} 已访问（渐隐） · {todo} 待处理 · {skipped} 跳过（因果）</translation>
    </message>
    <message>
        <source>{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; {steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do</source>
        <translation>{source}。S = QKᵀ/√d 分成 {tr} × {tc} 个 Br × Bc = {br} × {bc} 的分块，从不写入 HBM；共访问 {steps:,} 次。{current} 当前 · {visited} 已访问（渐隐） · {todo} 待处理</translation>
    </message>
    <message>
        <source>{name} moves fewer elements; it wins once M ≳ 3d² + 4d = {m:,}</source>
        <translation>{name} 搬运的元素更少；当 M ≳ 3d² + 4d = {m:,} 时它占优</translation>
    </message>
    <message>
        <source>{name} moves more elements here; it wins once M ≳ 3d² + 4d = {m:,}</source>
        <translation>此处 {name} 搬运的元素更多；当 M ≳ 3d² + 4d = {m:,} 时它才占优</translation>
    </message>
    <message>
        <source> = &lt;b&gt;{used:,}&lt;/b&gt; of M = {m:,}</source>
        <translation> = &lt;b&gt;{used:,}&lt;/b&gt;，M = {m:,}</translation>
    </message>
    <message>
        <source>(over M: the paper&apos;s bound is O(M))</source>
        <translation>（超过 M：论文给出的上界是 O(M)）</translation>
    </message>
    <message>
        <source>M = {m:,} el.</source>
        <translation>M = {m:,} 个元素</translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; so far</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt; 至今</translation>
    </message>
    <message>
        <source>{name} whole pass</source>
        <translation>{name} 完整一遍</translation>
    </message>
    <message>
        <source>standard attention</source>
        <translation>标准注意力</translation>
    </message>
    <message>
        <source>{name} moves fewer elements</source>
        <translation>{name} 搬运的元素更少</translation>
    </message>
    <message>
        <source>{name} moves more elements here</source>
        <translation>此处 {name} 搬运的元素更多</translation>
    </message>
    <message>
        <source>standard / {name} = {ratio:.2f}×: {verdict}</source>
        <translation>标准 / {name} = {ratio:.2f}×：{verdict}</translation>
    </message>
    <message>
        <source>max |O − exact| = {value:.2e}</source>
        <translation>最大 |O − 精确值| = {value:.2e}</translation>
    </message>
    <message>
        <source>peak SRAM {peak_sram:,} = {value:.2f} × M</source>
        <translation>SRAM 峰值 {peak_sram:,} = {value:.2f} × M</translation>
    </message>
    <message>
        <source>step {step:,} / {total_steps:,}</source>
        <translation>第 {step:,} / {total_steps:,} 步</translation>
    </message>
</context>
<context>
    <name>GenerationView</name>
    <message>
        <source>Generation (KV cache)</source>
        <translation>生成（KV cache）</translation>
    </message>
    <message>
        <source>with ablation</source>
        <translation>带消融</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>cache position</source>
        <translation>缓存位置</translation>
    </message>
    <message>
        <source>key dimension</source>
        <translation>键维度</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Scrub back through the generated steps: the K cache after that step, its new query row and the distribution its token was drawn from.</source>
        <translation>回看生成的每一步：该步之后的 K 缓存、它新加入的查询行，以及该步词元的采样分布。</translation>
    </message>
    <message>
        <source>step —</source>
        <translation>步 —</translation>
    </message>
    <message>
        <source>key position</source>
        <translation>键位置</translation>
    </message>
    <message>
        <source>K cache row {0}, dimension {1}: {2}</source>
        <translation>K 缓存第 {0} 行，维度 {1}：{2}</translation>
    </message>
    <message>
        <source>step {0}, key {1}: weight {2}</source>
        <translation>第 {0} 步，键 {1}：权重 {2}</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#9a9a9a&apos;&gt;…{value}&lt;/span&gt;&lt;b style=&apos;color:#E69F00&apos;&gt;{value2}&lt;/b&gt;</source>
        <translation>&lt;span style=&apos;color:#9a9a9a&apos;&gt;…{value}&lt;/span&gt;&lt;b style=&apos;color:#E69F00&apos;&gt;{value2}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>{title}: K cache has {value} rows; each step appends one and computes only the new query row.</source>
        <translation>{title}：K 缓存有 {value} 行；每一步追加一行，只计算新的查询行。</translation>
    </message>
    <message>
        <source>K cache ({value} rows)</source>
        <translation>K 缓存（{value} 行）</translation>
    </message>
    <message>
        <source>new query row&apos;s attention</source>
        <translation>新查询行的注意力</translation>
    </message>
    <message>
        <source>{0} of {1}</source>
        <translation>{0} / {1}</translation>
    </message>
    <message>
        <source>next token, step {value}</source>
        <translation>下一个词元，第 {value} 步</translation>
    </message>
</context>
<context>
    <name>Glossary</name>
    <message>
        <source>Number of tokens the model knows: rows of the embedding matrix.</source>
        <translation>模型认识的词元数：嵌入矩阵的行数。</translation>
    </message>
    <message>
        <source>Context length: the most positions one forward pass can see.</source>
        <translation>上下文长度：一次前向传播最多能看到的位置数。</translation>
    </message>
    <message>
        <source>Width d of the residual stream; each head has d/h dimensions.</source>
        <translation>残差流的宽度 d；每个头有 d/h 维。</translation>
    </message>
    <message>
        <source>Number of transformer blocks (attention + feed-forward) L.</source>
        <translation>Transformer 块（注意力 + 前馈网络）的个数 L。</translation>
    </message>
    <message>
        <source>Attention heads h per layer, each of size d/h; their outputs are concatenated, then W_O.</source>
        <translation>每层的注意力头数 h，每个头的大小为 d/h；各头的输出拼接后再乘 W_O。</translation>
    </message>
    <message>
        <source>Key/value heads G. G = n_head is multi-head attention (MHA), 1 is multi-query (MQA: every head shares one K/V), anything between that divides n_head is grouped-query (GQA).</source>
        <translation>键/值头数 G。G = n_head 是多头注意力（MHA），1 是多查询注意力（MQA：所有头共用一组 K/V），介于两者之间且能整除 n_head 的是分组查询注意力（GQA）。</translation>
    </message>
    <message>
        <source>Hidden width of the feed-forward network (of each expert in MoE).</source>
        <translation>前馈网络的隐藏层宽度（MoE 中为每个专家的宽度）。</translation>
    </message>
    <message>
        <source>LayerNorm: (x − mean)/√(var + ε)·γ + β. RMSNorm (1910.07467): x/√(mean(x²) + ε)·g, no centring.</source>
        <translation>LayerNorm：(x − 均值)/√(方差 + ε)·γ + β。RMSNorm（1910.07467）：x/√(x² 的均值 + ε)·g，不减均值。</translation>
    </message>
    <message>
        <source>pre: x + F(LN(x)) (GPT-2 onwards); post: LN(x + F(x)) (the original Transformer).</source>
        <translation>pre：x + F(LN(x))（GPT-2 及以后）；post：LN(x + F(x))（最初的 Transformer）。</translation>
    </message>
    <message>
        <source>ε added to the variance (or mean square) before the square root.</source>
        <translation>开平方前加到方差（或均方）上的 ε。</translation>
    </message>
    <message>
        <source>Positions: sinusoidal PE(pos, 2i) = sin(pos/10000^(2i/d)); learned embeddings; RoPE rotates q/k pairs by pos·θᵢ (2104.09864); or none.</source>
        <translation>位置编码：正弦 PE(pos, 2i) = sin(pos/10000^(2i/d))；可学习的嵌入；RoPE 把 q/k 的维度对旋转 pos·θᵢ（2104.09864）；或不用位置编码。</translation>
    </message>
    <message>
        <source>RoPE base b: θᵢ = b^(−2i/d) (10000 in the paper).</source>
        <translation>RoPE 基数 b：θᵢ = b^(−2i/d)（论文中为 10000）。</translation>
    </message>
    <message>
        <source>Feed-forward activation: ReLU, GELU, or SwiGLU (SiLU(xW) ⊙ xV)W₂ (2002.05202).</source>
        <translation>前馈网络的激活函数：ReLU、GELU 或 SwiGLU (SiLU(xW) ⊙ xV)W₂（2002.05202）。</translation>
    </message>
    <message>
        <source>dense: one MLP per layer; moe: a mixture of experts chosen by a router.</source>
        <translation>dense：每层一个 MLP；moe：由路由器挑选的混合专家。</translation>
    </message>
    <message>
        <source>Routed experts E per MoE layer.</source>
        <translation>每个 MoE 层的路由专家数 E。</translation>
    </message>
    <message>
        <source>Experts each token is sent to: the router keeps the top k logits and softmaxes over them.</source>
        <translation>每个词元被送往的专家数：路由器保留最大的 k 个 logit，并在其上做 softmax。</translation>
    </message>
    <message>
        <source>Shared experts every token always uses, beside its top-k routed ones (DeepSeekMoE, 2401.06066).</source>
        <translation>除 top-k 路由专家外，每个词元始终使用的共享专家数（DeepSeekMoE，2401.06066）。</translation>
    </message>
    <message>
        <source>Noisy top-k (1701.06538): H = xW_g + ε·softplus(xW_noise) while training, then keep the top k.</source>
        <translation>带噪声的 top-k（1701.06538）：训练时 H = xW_g + ε·softplus(xW_noise)，然后保留最大的 k 个。</translation>
    </message>
    <message>
        <source>Expert capacity = tokens/experts × capacity factor (× top_k); assignments over it are dropped and pass through the residual. 0 = unlimited.</source>
        <translation>专家容量 = 词元数/专家数 × 容量因子（× top_k）；超出容量的分配被丢弃，只经残差连接传递。0 = 不限。</translation>
    </message>
    <message>
        <source>Switch load-balancing loss α·N·Σᵢ fᵢPᵢ (2101.03961) per MoE layer; equals α when routing is uniform. 0 = off.</source>
        <translation>每个 MoE 层的 Switch 负载均衡损失 α·N·Σᵢ fᵢPᵢ（2101.03961）；路由均匀时等于 α。0 = 关闭。</translation>
    </message>
    <message>
        <source>Router z-loss (ST-MoE, 2202.08906): mean over tokens of (log Σⱼ e^{xⱼ})², times this coefficient.</source>
        <translation>路由器 z-loss（ST-MoE，2202.08906）：(log Σⱼ e^{xⱼ})² 在各词元上的均值，乘以此系数。</translation>
    </message>
    <message>
        <source>Auxiliary-loss-free balancing (DeepSeek-V3, 2412.19437): a per-expert selection bias moved by ±γ after each step, down when over-loaded, up when under-loaded. 0 = off.</source>
        <translation>无辅助损失的负载均衡（DeepSeek-V3，2412.19437）：每个专家有一个选择偏置，每步之后调整 ±γ，过载时调低，欠载时调高。0 = 关闭。</translation>
    </message>
    <message>
        <source>topk: sparse routing · dense: every expert, weighted by the full softmax · soft: Soft MoE slots (2308.00951), no token dropped.</source>
        <translation>topk：稀疏路由 · dense：所有专家，按完整的 softmax 加权 · soft：Soft MoE 槽位（2308.00951），不丢弃任何词元。</translation>
    </message>
    <message>
        <source>Slots per expert in Soft MoE: each slot is a softmax-weighted mix of all tokens (dispatch).</source>
        <translation>Soft MoE 中每个专家的槽位数：每个槽位是所有词元按 softmax 加权的混合（分派）。</translation>
    </message>
    <message>
        <source>Probability of zeroing an activation while training.</source>
        <translation>训练时把一个激活值置零的概率。</translation>
    </message>
    <message>
        <source>Use the embedding matrix, transposed, as the unembedding.</source>
        <translation>用嵌入矩阵的转置作为反嵌入矩阵。</translation>
    </message>
    <message>
        <source>standard: per-head K and V; mla: multi-head latent attention (DeepSeek-V2, 2405.04434), K and V up-projected from one cached latent.</source>
        <translation>standard：每个头有自己的 K 和 V；mla：多头潜在注意力（DeepSeek-V2，2405.04434），K 和 V 由一个缓存的潜向量上投影得到。</translation>
    </message>
    <message>
        <source>MLA latent width d_c: the cache holds c_KV = W_DKV·h of this size per token and layer.</source>
        <translation>MLA 潜向量宽度 d_c：缓存中每个词元每层保存一个此大小的 c_KV = W_DKV·h。</translation>
    </message>
    <message>
        <source>MLA query latent width (0 = queries straight from h).</source>
        <translation>MLA 查询潜向量宽度（0 = 查询直接由 h 得到）。</translation>
    </message>
    <message>
        <source>MLA decoupled RoPE key size d_h^R, shared by every head (0 = none).</source>
        <translation>MLA 解耦 RoPE 键的大小 d_h^R，所有头共用（0 = 不用）。</translation>
    </message>
    <message>
        <source>Optimizer steps to train for.</source>
        <translation>训练的优化器步数。</translation>
    </message>
    <message>
        <source>Sequences per optimizer step.</source>
        <translation>每个优化器步的序列数。</translation>
    </message>
    <message>
        <source>Tokens per training sequence.</source>
        <translation>每条训练序列的词元数。</translation>
    </message>
    <message>
        <source>Steps between histogram and validation-loss snapshots.</source>
        <translation>两次直方图与验证损失快照之间的步数。</translation>
    </message>
    <message>
        <source>Random seed: the same seed gives the same numbers.</source>
        <translation>随机种子：相同的种子得到相同的数值。</translation>
    </message>
    <message>
        <source>Where training runs: auto takes CUDA, then Apple MPS, then the CPU.</source>
        <translation>训练在哪里运行：auto 依次选用 CUDA、Apple MPS、CPU。</translation>
    </message>
    <message>
        <source>Peak learning rate (AdamW), after warm-up, decayed by cosine.</source>
        <translation>峰值学习率（AdamW），预热之后按余弦衰减。</translation>
    </message>
    <message>
        <source>Sequence length N: Q, K, V and O are N × d; S = QKᵀ would be N × N.</source>
        <translation>序列长度 N：Q、K、V 和 O 都是 N × d；S = QKᵀ 将是 N × N。</translation>
    </message>
    <message>
        <source>Head dimension d; scores are scaled by 1/√d.</source>
        <translation>头维度 d；分数乘以 1/√d 缩放。</translation>
    </message>
    <message>
        <source>On-chip SRAM in bytes; M is this size in elements of the chosen dtype.</source>
        <translation>片上 SRAM 的字节数；M 是按所选数据类型折算的元素数。</translation>
    </message>
    <message>
        <source>SRAM capacity M in elements. FA1 (2205.14135) picks Bc = ⌈M/4d⌉, Br = min(Bc, d); HBM accesses Θ(N²d²/M) vs Θ(Nd + N²) for standard attention.</source>
        <translation>以元素计的 SRAM 容量 M。FA1（2205.14135）取 Bc = ⌈M/4d⌉，Br = min(Bc, d)；HBM 访问量为 Θ(N²d²/M)，标准注意力为 Θ(Nd + N²)。</translation>
    </message>
    <message>
        <source>Rows of Q per tile (block size Br); paper: Br = min(⌈M/4d⌉, d).</source>
        <translation>每个分块中 Q 的行数（块大小 Br）；论文值：Br = min(⌈M/4d⌉, d)。</translation>
    </message>
    <message>
        <source>Columns of K/V per tile (block size Bc); paper: Bc = ⌈M/4d⌉.</source>
        <translation>每个分块中 K/V 的列数（块大小 Bc）；论文值：Bc = ⌈M/4d⌉。</translation>
    </message>
    <message>
        <source>FlashAttention 1 (2205.14135, Algorithm 1): outer loop over K/V blocks, inner over Q blocks; O rescaled and written after every tile.</source>
        <translation>FlashAttention 1（2205.14135，算法 1）：外层循环遍历 K/V 块，内层遍历 Q 块；每个分块之后重新缩放并写回 O。</translation>
    </message>
    <message>
        <source>FlashAttention 2 (2307.08691): outer loop over Q blocks, unnormalised O divided by ℓ once at the end; causal skips blocks above the diagonal.</source>
        <translation>FlashAttention 2（2307.08691）：外层循环遍历 Q 块，未归一化的 O 在最后一次性除以 ℓ；因果掩码时跳过对角线以上的块。</translation>
    </message>
    <message>
        <source>Causal mask: keys after the query get −∞ (exactly 0 after softmax).</source>
        <translation>因果掩码：查询之后的键得到 −∞（softmax 后恰为 0）。</translation>
    </message>
    <message>
        <source>Band / sliding window: a query sees the w keys before it (and itself).</source>
        <translation>带状 / 滑动窗口：查询看到它之前的 w 个键（以及它自己）。</translation>
    </message>
    <message>
        <source>Dilated window: w keys, every d-th one, before the query.</source>
        <translation>空洞窗口：查询之前每隔 d 个取一个键，共 w 个。</translation>
    </message>
    <message>
        <source>Dilation d: the gap between the keys a dilated window keeps.</source>
        <translation>空洞率 d：空洞窗口保留的键之间的间隔。</translation>
    </message>
    <message>
        <source>Random attention (BigBird): each allowed key is kept with probability p.</source>
        <translation>随机注意力（BigBird）：每个允许的键以概率 p 保留。</translation>
    </message>
    <message>
        <source>Global tokens (Longformer): positions that see, and are seen by, every other position.</source>
        <translation>全局词元（Longformer）：能看到所有其他位置、也被所有其他位置看到的位置。</translation>
    </message>
    <message>
        <source>Content-based sparse attention: each query keeps its k highest-scoring keys.</source>
        <translation>基于内容的稀疏注意力：每个查询保留分数最高的 k 个键。</translation>
    </message>
    <message>
        <source>Prefix LM: the first N positions (the prefix) see each other in both directions; later positions stay causal.</source>
        <translation>前缀语言模型：前 N 个位置（前缀）之间双向可见；之后的位置仍为因果。</translation>
    </message>
    <message>
        <source>Content-based sparse attention: each query keeps its k highest-scoring keys, chosen inside each head.</source>
        <translation>基于内容的稀疏注意力：每个查询保留分数最高的 k 个键，在每个头内分别挑选。</translation>
    </message>
    <message>
        <source>Reformer LSH attention: queries and keys are hashed into buckets by random rotations; a query sees only keys in its own bucket.</source>
        <translation>Reformer LSH 注意力：用随机旋转把查询和键哈希到桶中；查询只看到同一个桶里的键。</translation>
    </message>
    <message>
        <source>Temperature T: sample from softmax(logits/T); lower is greedier.</source>
        <translation>温度 T：从 softmax(logit/T) 中采样；越低越接近贪心。</translation>
    </message>
    <message>
        <source>Top-k sampling: sample only among the k most probable next tokens.</source>
        <translation>top-k 采样：只在概率最高的 k 个下一个词元中采样。</translation>
    </message>
    <message>
        <source>Tokens to generate; each step appends one row to the K/V cache.</source>
        <translation>要生成的词元数；每一步向 K/V 缓存追加一行。</translation>
    </message>
    <message>
        <source>Number of nearest neighbours listed for the selected point.</source>
        <translation>为选中的点列出的最近邻个数。</translation>
    </message>
    <message>
        <source>word2vec vector size.</source>
        <translation>word2vec 向量维度。</translation>
    </message>
    <message>
        <source>word2vec context window: words up to this far from the centre word are its context.</source>
        <translation>word2vec 上下文窗口：与中心词距离不超过此值的词是它的上下文。</translation>
    </message>
    <message>
        <source>Negative samples k per positive pair: log σ(v&apos;ₒ·vᵢ) + Σₖ log σ(−v&apos;ₖ·vᵢ), negatives drawn from unigram^0.75.</source>
        <translation>每个正样本对的负样本数 k：log σ(v&apos;ₒ·vᵢ) + Σₖ log σ(−v&apos;ₖ·vᵢ)，负样本按一元词频分布的 0.75 次方抽取。</translation>
    </message>
    <message>
        <source>Words seen fewer times than this are left out of the vocabulary.</source>
        <translation>出现次数少于此值的词不进入词表。</translation>
    </message>
    <message>
        <source>Passes over the corpus.</source>
        <translation>遍历语料的轮数。</translation>
    </message>
    <message>
        <source>word2vec&apos;s sample s: a word seen f times is kept with probability (√(f/t) + 1)·t/f, t = s × corpus size; 0 keeps every word.</source>
        <translation>word2vec 的下采样参数 s：出现 f 次的词以概率 (√(f/t) + 1)·t/f 保留，t = s × 语料规模；0 保留所有词。</translation>
    </message>
    <message>
        <source>t-SNE&apos;s effective number of neighbours per point.</source>
        <translation>t-SNE 中每个点的有效近邻数。</translation>
    </message>
    <message>
        <source>UMAP n_neighbors: how local the structure it keeps is.</source>
        <translation>UMAP n_neighbors：保留的结构有多局部。</translation>
    </message>
    <message>
        <source>UMAP min_dist: how tightly points may pack in the layout.</source>
        <translation>UMAP min_dist：布局中点可以挤得多紧。</translation>
    </message>
    <message>
        <source>Layers L: each one caches its own K and V.</source>
        <translation>层数 L：每层缓存自己的 K 和 V。</translation>
    </message>
    <message>
        <source>Query heads H (n_head).</source>
        <translation>查询头数 H（n_head）。</translation>
    </message>
    <message>
        <source>Key/value heads G (n_kv_head): MHA G = H, GQA 1 &lt; G &lt; H, MQA G = 1. Cache bytes 2·L·G·d_h·N·b.</source>
        <translation>键/值头数 G（n_kv_head）：MHA 为 G = H，GQA 为 1 &lt; G &lt; H，MQA 为 G = 1。缓存字节数 2·L·G·d_h·N·b。</translation>
    </message>
    <message>
        <source>Head size d_h = d_model/H.</source>
        <translation>头大小 d_h = d_model/H。</translation>
    </message>
    <message>
        <source>MLA (2405.04434) caches one latent c_KV = W_DKV·h of size d_c per token: L·(d_c + d_h^R)·N·b bytes.</source>
        <translation>MLA（2405.04434）每个词元缓存一个大小为 d_c 的潜向量 c_KV = W_DKV·h：共 L·(d_c + d_h^R)·N·b 字节。</translation>
    </message>
    <message>
        <source>MLA&apos;s decoupled RoPE key of size d_h^R, shared by every head and cached beside the latent.</source>
        <translation>MLA 的解耦 RoPE 键，大小为 d_h^R，所有头共用，与潜向量一起缓存。</translation>
    </message>
    <message>
        <source>Tokens N in the cache: each decoding step appends one row to K and V per layer.</source>
        <translation>缓存中的词元数 N：每个解码步在每层的 K 和 V 上各追加一行。</translation>
    </message>
    <message>
        <source>Position m of the query: RoPE rotates q by m·θᵢ.</source>
        <translation>查询的位置 m：RoPE 把 q 旋转 m·θᵢ。</translation>
    </message>
    <message>
        <source>Position n of the key: RoPE rotates k by n·θᵢ, so qₘ·kₙ depends only on n − m.</source>
        <translation>键的位置 n：RoPE 把 k 旋转 n·θᵢ，因此 qₘ·kₙ 只取决于 n − m。</translation>
    </message>
</context>
<context>
    <name>GraphicsScene</name>
    <message>
        <source>Export...</source>
        <translation>导出…</translation>
    </message>
</context>
<context>
    <name>HbmView</name>
    <message>
        <source>tile ({0}, {1}): rows {2}–{3}, columns {4}–{5}</source>
        <translation>分块 ({0}, {1})：第 {2}–{3} 行，第 {4}–{5} 列</translation>
    </message>
    <message>
        <source> · skipped (above the causal diagonal)</source>
        <translation> · 已跳过（位于因果对角线以上）</translation>
    </message>
    <message>
        <source> · processed at step {0} of {1}</source>
        <translation> · 在第 {0} / {1} 步处理</translation>
    </message>
</context>
<context>
    <name>HeadGrid</name>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
</context>
<context>
    <name>HeatmapView</name>
    <message>
        <source>Previous query row</source>
        <translation>上一个查询行</translation>
    </message>
    <message>
        <source>Next query row</source>
        <translation>下一个查询行</translation>
    </message>
    <message>
        <source>Previous key</source>
        <translation>上一个键</translation>
    </message>
    <message>
        <source>Next key</source>
        <translation>下一个键</translation>
    </message>
    <message>
        <source>heatmap, once clicked</source>
        <translation>热力图（点击后）</translation>
    </message>
    <message>
        <source>log₁₀ scale</source>
        <translation>log₁₀ 刻度</translation>
    </message>
    <message>
        <source>query {row} {query} → key {col} {key}</source>
        <translation>查询 {row} {query} → 键 {col} {key}</translation>
    </message>
    <message>
        <source>weight {weight:.4g}</source>
        <translation>权重 {weight:.4g}</translation>
    </message>
    <message>
        <source>score {score:.4g}</source>
        <translation>分数 {score:.4g}</translation>
    </message>
</context>
<context>
    <name>HelpWindow</name>
    <message>
        <source>What am I looking at?</source>
        <translation>我在看什么？</translation>
    </message>
    <message>
        <source>{title} — what am I looking at?</source>
        <translation>{title} —— 我在看什么？</translation>
    </message>
</context>
<context>
    <name>HistogramsBinding</name>
    <message>
        <source>Histograms</source>
        <translation>直方图</translation>
    </message>
    <message>
        <source>{run} · layer {layer} · {site}</source>
        <translation>{run} · 第 {layer} 层 · {site}</translation>
    </message>
    <message>
        <source>training</source>
        <translation>训练</translation>
    </message>
</context>
<context>
    <name>HistogramsPanel</name>
    <message>
        <source>No capture yet</source>
        <translation>尚无捕获</translation>
    </message>
    <message>
        <source>— none —</source>
        <translation>— 无 —</translation>
    </message>
    <message>
        <source>log y</source>
        <translation>y 轴取对数</translation>
    </message>
    <message>
        <source>y = log₁₀ density: the rare values in the tails become visible</source>
        <translation>y = log₁₀ 密度：尾部的罕见取值变得可见</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Compare with</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>value</source>
        <translation>取值</translation>
    </message>
    <message>
        <source>capture</source>
        <translation>捕获</translation>
    </message>
    <message>
        <source>compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>site</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>training step</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>log₁₀(1 + 1000·density/max)</source>
        <translation>log₁₀(1 + 1000·密度/最大值)</translation>
    </message>
    <message>
        <source>No training snapshots yet.</source>
        <translation>尚无训练快照。</translation>
    </message>
    <message>
        <source>This capture</source>
        <translation>本次捕获</translation>
    </message>
    <message>
        <source>Over training</source>
        <translation>训练过程</translation>
    </message>
    <message>
        <source>Capture: {label}</source>
        <translation>捕获：{label}</translation>
    </message>
    <message>
        <source>No training snapshots for this layer and site yet.</source>
        <translation>此层此位置尚无训练快照。</translation>
    </message>
    <message>
        <source>{label}: {value} snapshots, steps {value2}–{value3}; colour = log density, white = mean ± std</source>
        <translation>{label}：{value} 个快照，第 {value2}–{value3} 步；颜色 = 对数密度，白线 = 均值 ± 标准差</translation>
    </message>
    <message>
        <source>step {0} · values {1} … {2}: density {3} (colour {4})</source>
        <translation>第 {0} 步 · 取值 {1} … {2}：密度 {3}（颜色 {4}）</translation>
    </message>
    <message>
        <source>log₁₀ density</source>
        <translation>log₁₀ 密度</translation>
    </message>
    <message>
        <source>density</source>
        <translation>密度</translation>
    </message>
    <message>
        <source>layer {layer} · {value}</source>
        <translation>第 {layer} 层 · {value}</translation>
    </message>
</context>
<context>
    <name>ImagePlot</name>
    <message>
        <source>token {col} {text}</source>
        <translation>词元 {col} {text}</translation>
    </message>
    <message>
        <source>token {col}</source>
        <translation>词元 {col}</translation>
    </message>
</context>
<context>
    <name>InspectorView</name>
    <message>
        <source>weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>key position</source>
        <translation>键位置</translation>
    </message>
    <message>
        <source>Select a query row: click a token, a cell, or a label on the query axis.</source>
        <translation>选择一个查询行：点击词元、单元格或查询轴上的标签。</translation>
    </message>
</context>
<context>
    <name>JiebaPart</name>
    <message>
        <source>Loading jieba&apos;s dictionary</source>
        <translation>正在加载 jieba 词典</translation>
    </message>
    <message>
        <source>Loading jieba&apos;s dictionary (about a second, the first time)…</source>
        <translation>正在加载 jieba 词典（首次约需一秒）…</translation>
    </message>
    <message>
        <source>Reading the user dictionary {path}…</source>
        <translation>正在读取用户词典 {path}…</translation>
    </message>
    <message>
        <source>(The picture shows the first {n} characters.)</source>
        <translation>（图中只显示前 {n} 个字符。）</translation>
    </message>
</context>
<context>
    <name>JiebaTab</name>
    <message>
        <source>HMM for unknown words</source>
        <translation>用 HMM 识别未登录词</translation>
    </message>
    <message>
        <source>POS tags</source>
        <translation>词性标注</translation>
    </message>
    <message>
        <source>Part-of-speech tags from jieba.posseg (precise mode only).</source>
        <translation>来自 jieba.posseg 的词性标注（仅精确模式）。</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:{route}&apos;&gt;━ route (dynamic programming)&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:#8fa0b0&apos;&gt;─ dictionary word &amp;nbsp; ╌ unknown character (freq 1)&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:{hmm}&apos;&gt;└┘ HMM run: B begin, M middle, E end, S single&lt;/span&gt; &amp;nbsp; under each node: best log P of the rest</source>
        <translation>&lt;span style=&apos;color:{route}&apos;&gt;━ 路径（动态规划）&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:#8fa0b0&apos;&gt;─ 词典词 &amp;nbsp; ╌ 未登录字（频次 1）&lt;/span&gt; &amp;nbsp; &lt;span style=&apos;color:{hmm}&apos;&gt;└┘ HMM 片段：B 词首，M 词中，E 词尾，S 单字词&lt;/span&gt; &amp;nbsp; 每个节点下方：其后部分的最佳 log P</translation>
    </message>
    <message>
        <source>How precise mode decides</source>
        <translation>精确模式如何决定切分</translation>
    </message>
    <message>
        <source>Words with character offsets</source>
        <translation>词及其字符偏移</translation>
    </message>
    <message>
        <source>word, e.g. 大语言模型</source>
        <translation>词，例如 大语言模型</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>auto: jieba suggests a frequency just high enough to keep the word whole; 0: never cut this word out of the DAG</source>
        <translation>自动：由 jieba 建议一个刚好能让该词不被切开的频次；0：永远不从 DAG 中切出这个词</translation>
    </message>
    <message>
        <source>tag</source>
        <translation>词性</translation>
    </message>
    <message>
        <source>precise</source>
        <translation>精确模式</translation>
    </message>
    <message>
        <source>The route dynamic programming picks through the DAG (jieba.cut, the default).</source>
        <translation>动态规划在 DAG 中选出的路径（jieba.cut，默认模式）。</translation>
    </message>
    <message>
        <source>full (cut_all)</source>
        <translation>全模式（cut_all）</translation>
    </message>
    <message>
        <source>Every dictionary word found in the sentence, overlapping (jieba.cut(cut_all=True)).</source>
        <translation>句中能找到的所有词典词，可互相重叠（jieba.cut(cut_all=True)）。</translation>
    </message>
    <message>
        <source>search (cut_for_search)</source>
        <translation>搜索引擎模式（cut_for_search）</translation>
    </message>
    <message>
        <source>Precise mode, plus the 2- and 3-character dictionary words inside longer words (jieba.cut_for_search).</source>
        <translation>精确模式，再加上长词内部的二字、三字词典词（jieba.cut_for_search）。</translation>
    </message>
    <message>
        <source>word</source>
        <translation>词</translation>
    </message>
    <message>
        <source>start</source>
        <translation>起点</translation>
    </message>
    <message>
        <source>end</source>
        <translation>终点</translation>
    </message>
    <message>
        <source>POS</source>
        <translation>词性</translation>
    </message>
    <message>
        <source>dictionary freq</source>
        <translation>词典频次</translation>
    </message>
    <message>
        <source>frequency</source>
        <translation>频次</translation>
    </message>
    <message>
        <source>Add / re-weight</source>
        <translation>添加 / 调整权重</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Undo the change to the selected word, restoring jieba&apos;s own entry</source>
        <translation>撤销对所选词的修改，恢复 jieba 自带的词条</translation>
    </message>
    <message>
        <source>Load user dictionary…</source>
        <translation>加载用户词典…</translation>
    </message>
    <message>
        <source>User words</source>
        <translation>用户词</translation>
    </message>
    <message>
        <source>Load a jieba user dictionary</source>
        <translation>加载 jieba 用户词典</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>文本文件 (*.txt);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>KVCacheView</name>
    <message>
        <source>layers L</source>
        <translation>层数 L</translation>
    </message>
    <message>
        <source>query heads H</source>
        <translation>查询头数 H</translation>
    </message>
    <message>
        <source>key/value heads G</source>
        <translation>键/值头数 G</translation>
    </message>
    <message>
        <source>head dim d_h</source>
        <translation>头维度 d_h</translation>
    </message>
    <message>
        <source>MLA latent d_c</source>
        <translation>MLA 潜向量维度 d_c</translation>
    </message>
    <message>
        <source>MLA RoPE key d_h^R</source>
        <translation>MLA RoPE 键维度 d_h^R</translation>
    </message>
    <message>
        <source>shape of</source>
        <translation>形状来源</translation>
    </message>
    <message>
        <source>tokens N</source>
        <translation>词元数 N</translation>
    </message>
    <message>
        <source>dtype</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>bytes for the whole context</source>
        <translation>整个上下文的字节数</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV cache</translation>
    </message>
    <message>
        <source>per token</source>
        <translation>每个词元</translation>
    </message>
    <message>
        <source>whole context</source>
        <translation>整个上下文</translation>
    </message>
    <message>
        <source>of MHA</source>
        <translation>相对 MHA</translation>
    </message>
    <message>
        <source>← this model</source>
        <translation>← 当前模型</translation>
    </message>
</context>
<context>
    <name>LensBinding</name>
    <message>
        <source>target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>distractor</source>
        <translation>干扰项</translation>
    </message>
    <message>
        <source>Prediction</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Open a model (Model → Open demo, or a model folder) to look inside its predictions.</source>
        <translation>打开一个模型（模型 → 演示模型，或模型文件夹），查看其预测的内部过程。</translation>
    </message>
    <message>
        <source>Type a {what} token (one token, or #ID).</source>
        <translation>请输入{what}词元（一个词元，或 #ID）。</translation>
    </message>
    <message>
        <source>Logit lens</source>
        <translation>Logit 透镜</translation>
    </message>
    <message>
        <source>Logit attribution</source>
        <translation>Logit 归因</translation>
    </message>
    <message>
        <source>The prompt has {clean} tokens and the corrupted one {corrupt}; patching needs prompts of the same token length.</source>
        <translation>原提示有 {clean} 个词元，被破坏的提示有 {corrupt} 个；激活修补需要词元数相同的两个提示。</translation>
    </message>
    <message>
        <source>Activation patching</source>
        <translation>激活修补</translation>
    </message>
</context>
<context>
    <name>LensGridModel</name>
    <message>
        <source>{point} (final)</source>
        <translation>{point}（最终）</translation>
    </message>
    <message>
        <source>{point} · position {col} (“{token}”)</source>
        <translation>{point} · 位置 {col}（“{token}”）</translation>
    </message>
    <message>
        <source>entropy {entropy:.3f} nats</source>
        <translation>熵 {entropy:.3f} 奈特</translation>
    </message>
    <message>
        <source>target “{target}”: rank {rank}, log p {logp:+.3f}</source>
        <translation>目标“{target}”：排名 {rank}，log p {logp:+.3f}</translation>
    </message>
</context>
<context>
    <name>LensPanel</name>
    <message>
        <source>prompt (follows the current capture)</source>
        <translation>提示（跟随当前捕获）</translation>
    </message>
    <message>
        <source>target: one token or #ID</source>
        <translation>目标：一个词元或 #ID</translation>
    </message>
    <message>
        <source>distractor: one token or #ID</source>
        <translation>干扰项：一个词元或 #ID</translation>
    </message>
    <message>
        <source>last</source>
        <translation>最后</translation>
    </message>
    <message>
        <source>Where attribution and patching read the logit difference</source>
        <translation>归因与激活修补读取 logit 差的位置</translation>
    </message>
    <message>
        <source>Run lens</source>
        <translation>运行透镜</translation>
    </message>
    <message>
        <source>Attribute</source>
        <translation>归因</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>vs</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>at</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>top</source>
        <translation>前</translation>
    </message>
    <message>
        <source>colour</source>
        <translation>着色</translation>
    </message>
    <message>
        <source>Mean-ablation prompts, one per line (empty: the mean over the prompt)</source>
        <translation>均值消融用的提示，每行一个（留空：用本提示上的均值）</translation>
    </message>
    <message>
        <source>corrupted prompt, the same number of tokens as the prompt</source>
        <translation>被破坏的提示，词元数须与原提示相同</translation>
    </message>
    <message>
        <source>Patch</source>
        <translation>修补</translation>
    </message>
    <message>
        <source>Corrupted</source>
        <translation>被破坏</translation>
    </message>
    <message>
        <source>Logit lens</source>
        <translation>Logit 透镜</translation>
    </message>
    <message>
        <source>Attribution</source>
        <translation>归因</translation>
    </message>
    <message>
        <source>Patching</source>
        <translation>激活修补</translation>
    </message>
    <message>
        <source>entropy (nats)</source>
        <translation>熵（奈特）</translation>
    </message>
    <message>
        <source>top-1 probability</source>
        <translation>第一名概率</translation>
    </message>
</context>
<context>
    <name>LoadView</name>
    <message>
        <source>expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>fraction</source>
        <translation>比例</translation>
    </message>
    <message>
        <source>load (routed slots)</source>
        <translation>负载（路由槽位）</translation>
    </message>
    <message>
        <source>importance (mean p)</source>
        <translation>重要性（平均 p）</translation>
    </message>
    <message>
        <source>importance</source>
        <translation>重要性</translation>
    </message>
    <message>
        <source>load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source> · shared experts always on: {n}</source>
        <translation> · 始终激活的共享专家：{n} 个</translation>
    </message>
    <message>
        <source>importance (mean router probability)</source>
        <translation>重要性（路由器平均概率）</translation>
    </message>
    <message>
        <source>load (fraction of routed slots)</source>
        <translation>负载（路由槽位比例）</translation>
    </message>
    <message>
        <source>Heatmap: {what} per layer and expert{shared}. Bars: layer {value}.</source>
        <translation>热力图：每层每个专家的{what}{shared}。柱状图：第 {value} 层。</translation>
    </message>
    <message>
        <source>layer {0} · expert {1}: {2} {3}</source>
        <translation>第 {0} 层 · 专家 {1}：{2} {3}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>This session holds no model weights: Model → Attach model… to re-run prompts.</source>
        <translation>此会话不含模型权重：模型 → 关联模型… 后即可重新运行提示。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open session…</source>
        <translation>打开会话(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save session</source>
        <translation>保存会话(&amp;S)</translation>
    </message>
    <message>
        <source>Save session &amp;as…</source>
        <translation>会话另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>Recent sessions</source>
        <translation>最近的会话</translation>
    </message>
    <message>
        <source>Export &amp;tensors…</source>
        <translation>导出张量(&amp;T)…</translation>
    </message>
    <message>
        <source>Export figure as PNG/SVG</source>
        <translation>导出图像为 PNG/SVG</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>Load model folder…</source>
        <translation>加载模型文件夹…</translation>
    </message>
    <message>
        <source>Built-in models</source>
        <translation>内置模型</translation>
    </message>
    <message>
        <source>Recent models</source>
        <translation>最近的模型</translation>
    </message>
    <message>
        <source>Train new model…</source>
        <translation>训练新模型…</translation>
    </message>
    <message>
        <source>Run prompt…</source>
        <translation>运行提示…</translation>
    </message>
    <message>
        <source>Attach model…</source>
        <translation>关联模型…</translation>
    </message>
    <message>
        <source>Attach the model folder a session was captured with, to re-run prompts.</source>
        <translation>关联捕获该会话时所用的模型文件夹，以便重新运行提示。</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Reset layout</source>
        <translation>重置布局</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>What am I looking at? (focused panel)</source>
        <translation>我在看什么？（当前面板）</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>About lmscope</source>
        <translation>关于 lmscope</translation>
    </message>
    <message>
        <source>CPU · {threads} of {cores} threads</source>
        <translation>CPU · {threads} / {cores} 线程</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Loading the demo</source>
        <translation>正在加载演示模型</translation>
    </message>
    <message>
        <source>Loading {folder}</source>
        <translation>正在加载 {folder}</translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation>（暂无）</translation>
    </message>
    <message>
        <source>Load a model first (Model → Load model folder…).</source>
        <translation>请先加载模型（模型 → 加载模型文件夹…）。</translation>
    </message>
    <message>
        <source>Running the prompt</source>
        <translation>正在运行提示</translation>
    </message>
    <message>
        <source>Prompt longer than the model&apos;s context</source>
        <translation>提示超过模型的上下文长度</translation>
    </message>
    <message>
        <source>{sentence} Which part should it read?</source>
        <translation>{sentence} 应读取哪一部分？</translation>
    </message>
    <message>
        <source>The last {limit:,} tokens (cut the start)</source>
        <translation>最后 {limit:,} 个词元（截掉开头）</translation>
    </message>
    <message>
        <source>The first {limit:,} tokens (cut the end)</source>
        <translation>前 {limit:,} 个词元（截掉结尾）</translation>
    </message>
    <message>
        <source>Training {label}</source>
        <translation>正在训练 {label}</translation>
    </message>
    <message>
        <source>Load a model folder (TinyGPT or Hugging Face)</source>
        <translation>加载模型文件夹（TinyGPT 或 Hugging Face）</translation>
    </message>
    <message>
        <source>Run prompt</source>
        <translation>运行提示</translation>
    </message>
    <message>
        <source>Text to run through the model:</source>
        <translation>要送入模型的文本：</translation>
    </message>
    <message>
        <source>+{waiting} waiting</source>
        <translation>另有 {waiting} 个排队</translation>
    </message>
    <message>
        <source>{title}: done</source>
        <translation>{title}：完成</translation>
    </message>
    <message>
        <source>{title}: cancelled</source>
        <translation>{title}：已取消</translation>
    </message>
    <message>
        <source>{title} failed: {message}</source>
        <translation>{title}失败：{message}</translation>
    </message>
    <message>
        <source>{title} failed</source>
        <translation>{title}失败</translation>
    </message>
    <message>
        <source>{source}
{value}
runs in {dtype}</source>
        <translation>{source}
{value}
以 {dtype} 运行</translation>
    </message>
    <message>
        <source>no model · its folder is here: Model → Attach model…</source>
        <translation>无模型 · 可关联其文件夹：模型 → 关联模型…</translation>
    </message>
    <message>
        <source>The session was captured with {folder}; attaching it re-enables re-running.</source>
        <translation>该会话是用 {folder} 捕获的；关联后即可重新运行。</translation>
    </message>
    <message>
        <source>Export {value}</source>
        <translation>导出{value}</translation>
    </message>
    <message>
        <source>PNG image (*.png);;SVG drawing (*.svg)</source>
        <translation>PNG 图像 (*.png);;SVG 矢量图 (*.svg)</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
</context>
<context>
    <name>MaskControls</name>
    <message>
        <source>causal (no future keys)</source>
        <translation>因果（不看未来的键）</translation>
    </message>
    <message>
        <source>sliding window / band: |i − j| &lt; w</source>
        <translation>滑动窗口 / 带状：|i − j| &lt; w</translation>
    </message>
    <message>
        <source>dilated window: keys at i ± k·d, k &lt; w</source>
        <translation>空洞窗口：键位于 i ± k·d，k &lt; w</translation>
    </message>
    <message>
        <source>positions, e.g. 0, 12</source>
        <translation>位置，例如 0, 12</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>block-local: same block of b positions</source>
        <translation>块内局部：同一个 b 位置的块</translation>
    </message>
    <message>
        <source>prefix LM (with causal): the first N positions see each other, later ones are causal</source>
        <translation>前缀语言模型（与因果掩码一起）：前 N 个位置互相可见，之后的位置为因果</translation>
    </message>
    <message>
        <source>top-k: each query keeps its k best-scoring keys, chosen inside each head</source>
        <translation>top-k：每个查询保留分数最高的 k 个键，在每个头内分别挑选</translation>
    </message>
    <message>
        <source>Reformer LSH: a query sees the keys hashed to its bucket (an even number of buckets)</source>
        <translation>Reformer LSH：查询只看到被哈希到同一个桶的键（桶数须为偶数）</translation>
    </message>
    <message>
        <source>paint cells out on the heatmap</source>
        <translation>在热力图上涂掉单元格</translation>
    </message>
    <message>
        <source>0 cells painted</source>
        <translation>已涂掉 0 个单元格</translation>
    </message>
    <message>
        <source>Clear painted</source>
        <translation>清除涂抹</translation>
    </message>
    <message>
        <source>a shorter second prompt → padded batch</source>
        <translation>更短的第二个提示 → 填充后的批次</translation>
    </message>
    <message>
        <source>Run with this mask</source>
        <translation>用此掩码运行</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>window w</source>
        <translation>窗口 w</translation>
    </message>
    <message>
        <source>prefix N</source>
        <translation>前缀 N</translation>
    </message>
    <message>
        <source>dilated w</source>
        <translation>空洞 w</translation>
    </message>
    <message>
        <source>global tokens</source>
        <translation>全局词元</translation>
    </message>
    <message>
        <source>random p</source>
        <translation>随机 p</translation>
    </message>
    <message>
        <source>block size</source>
        <translation>块大小</translation>
    </message>
    <message>
        <source>top-k keys</source>
        <translation>top-k 键数</translation>
    </message>
    <message>
        <source>LSH buckets</source>
        <translation>LSH 桶数</translation>
    </message>
    <message>
        <source>custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>padding</source>
        <translation>填充</translation>
    </message>
    <message>
        <source>{n} cell{value} painted</source>
        <translation>已涂掉 {n} 个单元格</translation>
    </message>
</context>
<context>
    <name>MasksView</name>
    <message>
        <source>prefix:6, bidirectional, topk:3, lsh:8:0, causal+window:4+topk:2 …</source>
        <translation>prefix:6, bidirectional, topk:3, lsh:8:0, causal+window:4+topk:2 …</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>mask</source>
        <translation>掩码</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>causal (query × key)</source>
        <translation>因果（查询 × 键）</translation>
    </message>
    <message>
        <source>query</source>
        <translation>查询</translation>
    </message>
    <message>
        <source>key</source>
        <translation>键</translation>
    </message>
    <message>
        <source>with the mask</source>
        <translation>加上此掩码</translation>
    </message>
    <message>
        <source>Type a mask and press Compare.</source>
        <translation>输入一个掩码，然后点“比较”。</translation>
    </message>
    <message>
        <source>queries: </source>
        <translation>查询：</translation>
    </message>
    <message>
        <source>keys: </source>
        <translation>键：</translation>
    </message>
</context>
<context>
    <name>ModelView</name>
    <message>
        <source>every head&apos;s pattern (row-normalised thumbnails)</source>
        <translation>每个头的注意力模式（按行归一化的缩略图）</translation>
    </message>
    <message>
        <source>per-head summary</source>
        <translation>逐头汇总</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>汇总</translation>
    </message>
    <message>
        <source>Computing thumbnails from q and k: {done} of {total} heads drawn — click any drawn head.</source>
        <translation>正在由 q 和 k 计算缩略图：已绘制 {done} / {total} 个头——可点击任意已绘制的头。</translation>
    </message>
    <message>
        <source>Multi-head attention: each of the {n} query heads has its own key/value head.</source>
        <translation>多头注意力（MHA）：{n} 个查询头各有自己的键/值头。</translation>
    </message>
    <message>
        <source>Multi-query attention: {shares}</source>
        <translation>多查询注意力（MQA）：{shares}</translation>
    </message>
    <message>
        <source>Grouped-query attention: {shares}</source>
        <translation>分组查询注意力（GQA）：{shares}</translation>
    </message>
</context>
<context>
    <name>MoeBinding</name>
    <message>
        <source>MoE router</source>
        <translation>MoE 路由器</translation>
    </message>
    <message>
        <source>MoE router statistics</source>
        <translation>MoE 路由器统计</translation>
    </message>
</context>
<context>
    <name>MoePanel</name>
    <message>
        <source>Routing</source>
        <translation>路由</translation>
    </message>
    <message>
        <source>Load &amp;&amp; statistics</source>
        <translation>负载与统计</translation>
    </message>
    <message>
        <source>Over training</source>
        <translation>训练过程</translation>
    </message>
    <message>
        <source>Soft MoE</source>
        <translation>软 MoE（Soft MoE）</translation>
    </message>
    <message>
        <source>No MoE capture: capture a prompt with a mixture-of-experts model (Model → Built-in models → demo-moe).</source>
        <translation>没有 MoE 捕获：请用混合专家模型捕获一个提示（模型 → 内置模型 → demo-moe）。</translation>
    </message>
    <message>
        <source>mark top-k</source>
        <translation>标出 top-k</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Heatmap</source>
        <translation>热力图</translation>
    </message>
    <message>
        <source>shared gate</source>
        <translation>共享门控</translation>
    </message>
    <message>
        <source>This capture has no router tensors: the model is not a mixture of experts, or the capture left the router hooks out.</source>
        <translation>此捕获中没有路由器张量：模型不是混合专家模型，或捕获时没有包含路由器的钩子。</translation>
    </message>
    <message>
        <source>Capture: {label} · {tokens} tokens · {layers} MoE layers · {experts} experts, top-{k}</source>
        <translation>捕获：{label} · {tokens} 个词元 · {layers} 个 MoE 层 · {experts} 个专家，top-{k}</translation>
    </message>
    <message>
        <source> · {n} shared</source>
        <translation> · {n} 个共享专家</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>max load</source>
        <translation>最大负载</translation>
    </message>
    <message>
        <source>expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>transformers&apos; pooled auxiliary loss (hf_aux) = {value} — its own convention: all layers&apos; tokens pooled and every top-{k} slot counted without dividing by k, so balanced top-{k} routing gives {k}.0, not 1.0. A pooled figure can look perfect while every layer has collapsed (each onto a different set of experts): read the per-layer Switch aux and MaxVio above.</source>
        <translation>transformers 汇总的辅助损失（hf_aux）= {value}——它有自己的约定：所有层的词元合在一起，每个 top-{k} 槽位都计数且不除以 k，所以均衡的 top-{k} 路由得到 {k}.0 而不是 1.0。汇总值可能看起来完美，而每一层其实都已坍缩（各自坍缩到不同的专家上）：请看上方逐层的 Switch aux 和 MaxVio。</translation>
    </message>
    <message>
        <source>Capture: {label} · {n_tokens} tokens · {value} Soft MoE layers: no router picks experts, see the Soft MoE tab.</source>
        <translation>捕获：{label} · {n_tokens} 个词元 · {value} 个 Soft MoE 层：没有路由器挑选专家，请看“软 MoE”标签页。</translation>
    </message>
</context>
<context>
    <name>NotesBinding</name>
    <message>
        <source>Notes and bookmarks</source>
        <translation>笔记与书签</translation>
    </message>
    <message>
        <source> · token {position} “{token}”</source>
        <translation> · 词元 {position}“{token}”</translation>
    </message>
    <message>
        <source>{label} · layer {layer} · head {head}</source>
        <translation>{label} · 第 {layer} 层 · 第 {head} 个头</translation>
    </message>
    <message>
        <source>no capture</source>
        <translation>无捕获</translation>
    </message>
</context>
<context>
    <name>NotesPanel</name>
    <message>
        <source>Notes for this session (Markdown): what you looked at and why.</source>
        <translation>本会话的笔记（Markdown）：你看了什么，为什么。</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>What is interesting here?</source>
        <translation>这里有什么值得注意的？</translation>
    </message>
    <message>
        <source>Bookmark selection</source>
        <translation>为当前选择添加书签</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Selection: {text}</source>
        <translation>当前选择：{text}</translation>
    </message>
</context>
<context>
    <name>OverTrainingView</name>
    <message>
        <source>— none —</source>
        <translation>— 无 —</translation>
    </message>
    <message>
        <source>Compare with run</source>
        <translation>与此次运行对比</translation>
    </message>
</context>
<context>
    <name>PatchingView</name>
    <message>
        <source>Give a corrupted prompt of the same token length and run Patch.</source>
        <translation>给出一个词元数相同的被破坏提示，然后运行“修补”。</translation>
    </message>
    <message>
        <source>Left (clean)</source>
        <translation>左（干净）</translation>
    </message>
    <message>
        <source>Diff</source>
        <translation>差异</translation>
    </message>
    <message>
        <source>Right (corrupted)</source>
        <translation>右（被破坏）</translation>
    </message>
    <message>
        <source>positions</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>heads</source>
        <translation>头</translation>
    </message>
    <message>
        <source> (patching…)</source>
        <translation>（修补中…）</translation>
    </message>
    <message>
        <source>{title}{done} logit diff: clean {clean_diff:+.4f}, corrupted {corrupt_diff:+.4f}. Effect = (patched − corrupted)/(clean − corrupted): 1 restores the clean answer (red), 0 changes nothing, negative pushes the other way (blue).</source>
        <translation>{title}{done} logit 差：干净 {clean_diff:+.4f}，被破坏 {corrupt_diff:+.4f}。效果 = (修补后 − 被破坏)/(干净 − 被破坏)：1 表示恢复了干净的答案（红），0 表示没有变化，负值表示推向另一边（蓝）。</translation>
    </message>
</context>
<context>
    <name>PositionsView</name>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>query at m</source>
        <translation>查询位置 m</translation>
    </message>
    <message>
        <source>key at n</source>
        <translation>键位置 n</translation>
    </message>
    <message>
        <source>sinusoidal PE (position × dimension)</source>
        <translation>正弦位置编码 PE（位置 × 维度）</translation>
    </message>
    <message>
        <source>position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>dimension</source>
        <translation>维度</translation>
    </message>
    <message>
        <source>offset k</source>
        <translation>偏移 k</translation>
    </message>
    <message>
        <source>dot product against the offset</source>
        <translation>与偏移的点积</translation>
    </message>
    <message>
        <source>RoPE angle pos·θᵢ mod 2π (position × pair)</source>
        <translation>RoPE 角度 pos·θᵢ mod 2π（位置 × 维度对）</translation>
    </message>
    <message>
        <source>pair i</source>
        <translation>维度对 i</translation>
    </message>
    <message>
        <source>shift s</source>
        <translation>平移 s</translation>
    </message>
    <message>
        <source>real head: RoPE(q, m+s)·RoPE(k, n+s)</source>
        <translation>真实的头：RoPE(q, m+s)·RoPE(k, n+s)</translation>
    </message>
    <message>
        <source>both shifted (n − m fixed)</source>
        <translation>同时平移（n − m 不变）</translation>
    </message>
    <message>
        <source>only the key shifted</source>
        <translation>只平移键</translation>
    </message>
    <message>
        <source>learned position embeddings: cosine similarity</source>
        <translation>可学习的位置嵌入：余弦相似度</translation>
    </message>
</context>
<context>
    <name>ProbabilityView</name>
    <message>
        <source>router probability</source>
        <translation>路由器概率</translation>
    </message>
    <message>
        <source>layer {layer} · {token} · shared expert S{s}: gate {gate:.3f}</source>
        <translation>第 {layer} 层 · {token} · 共享专家 S{s}：门控 {gate:.3f}</translation>
    </message>
    <message>
        <source> · top-{k} choice, weight {weight:.3f}</source>
        <translation> · 第 {k} 选择（top-{k}），权重 {weight:.3f}</translation>
    </message>
    <message>
        <source> (dropped)</source>
        <translation>（已丢弃）</translation>
    </message>
    <message>
        <source>layer {layer} · {token} · expert {expert}: p = {p:.4f}</source>
        <translation>第 {layer} 层 · {token} · 专家 {expert}：p = {p:.4f}</translation>
    </message>
</context>
<context>
    <name>ProjectorBinding</name>
    <message>
        <source>{source} · embedding matrix</source>
        <translation>{source} · 嵌入矩阵</translation>
    </message>
    <message>
        <source>Embedding projector</source>
        <translation>嵌入投影</translation>
    </message>
    <message>
        <source>Projector: points and projection</source>
        <translation>嵌入投影：点与投影</translation>
    </message>
    <message>
        <source>Load a model first to see its embedding matrix.</source>
        <translation>请先加载模型，才能查看其嵌入矩阵。</translation>
    </message>
    <message>
        <source>Capture a prompt first (Model → Run prompt…).</source>
        <translation>请先捕获一个提示（模型 → 运行提示…）。</translation>
    </message>
    <message>
        <source>Projector: {method} of {n:,} points</source>
        <translation>嵌入投影：对 {n:,} 个点做 {method}</translation>
    </message>
    <message>
        <source>Projector: importing {path}</source>
        <translation>嵌入投影：正在导入 {path}</translation>
    </message>
    <message>
        <source>Exporting {path}</source>
        <translation>正在导出 {path}</translation>
    </message>
    <message>
        <source>Reading the corpus…</source>
        <translation>正在读取语料…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Projector: nearest neighbours</source>
        <translation>嵌入投影：最近邻</translation>
    </message>
    <message>
        <source>Projector: analogy</source>
        <translation>嵌入投影：类比</translation>
    </message>
    <message>
        <source>{title} ≈ (cosine, original space):</source>
        <translation>{title} ≈（余弦，原始空间）：</translation>
    </message>
    <message>
        <source>epoch {epoch} · loss {loss:.3f} · {speed:,.0f} words/s</source>
        <translation>第 {epoch} 轮 · 损失 {loss:.3f} · {speed:,.0f} 词/秒</translation>
    </message>
    <message>
        <source>Done: {n:,} words in {seconds:.1f} s ({speed:,.0f} words/s).</source>
        <translation>完成：{n:,} 个词，用时 {seconds:.1f} 秒（{speed:,.0f} 词/秒）。</translation>
    </message>
    <message>
        <source>word2vec on {name} (training…)</source>
        <translation>在 {name} 上训练的 word2vec（训练中…）</translation>
    </message>
    <message>
        <source>This session holds the picture but not the original vectors; neighbours are measured in 2-D.</source>
        <translation>此会话只保存了图，没有保存原始向量；最近邻在二维图上计算。</translation>
    </message>
</context>
<context>
    <name>ProjectorPanel</name>
    <message>
        <source>PCA (exact)</source>
        <translation>PCA（精确）</translation>
    </message>
    <message>
        <source>Model embedding matrix</source>
        <translation>模型的嵌入矩阵</translation>
    </message>
    <message>
        <source>word2vec (train below)</source>
        <translation>word2vec（在下方训练）</translation>
    </message>
    <message>
        <source>Residual stream of the captures</source>
        <translation>捕获中的残差流</translation>
    </message>
    <message>
        <source>File (word2vec / TSV)</source>
        <translation>文件（word2vec / TSV）</translation>
    </message>
    <message>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>progress event</source>
        <translation>进度事件</translation>
    </message>
    <message>
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>点</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>word2vec</source>
        <translation>word2vec</translation>
    </message>
    <message>
        <source>all (trajectories)</source>
        <translation>全部（轨迹）</translation>
    </message>
    <message>
        <source>Show these points</source>
        <translation>显示这些点</translation>
    </message>
    <message>
        <source>Import file…</source>
        <translation>导入文件…</translation>
    </message>
    <message>
        <source>Export vectors…</source>
        <translation>导出向量…</translation>
    </message>
    <message>
        <source>Project</source>
        <translation>投影</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Projection</source>
        <translation>投影方法</translation>
    </message>
    <message>
        <source>Dimensions</source>
        <translation>维数</translation>
    </message>
    <message>
        <source>t-SNE perplexity</source>
        <translation>t-SNE 困惑度</translation>
    </message>
    <message>
        <source>t-SNE exaggeration</source>
        <translation>t-SNE 放大系数</translation>
    </message>
    <message>
        <source>UMAP neighbours</source>
        <translation>UMAP 近邻数</translation>
    </message>
    <message>
        <source>UMAP min_dist</source>
        <translation>UMAP min_dist</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Explained</source>
        <translation>解释方差</translation>
    </message>
    <message>
        <source>search a word (substring)</source>
        <translation>搜索词（子串）</translation>
    </message>
    <message>
        <source>regex</source>
        <translation>正则</translation>
    </message>
    <message>
        <source>isolate</source>
        <translation>只显示匹配</translation>
    </message>
    <message>
        <source>Click a point or search a word to see its nearest neighbours.</source>
        <translation>点击一个点或搜索一个词，查看其最近邻。</translation>
    </message>
    <message>
        <source>word</source>
        <translation>词</translation>
    </message>
    <message>
        <source>distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <source>Analogy: A − B + C</source>
        <translation>类比：A − B + C</translation>
    </message>
    <message>
        <source>king</source>
        <translation>国王</translation>
    </message>
    <message>
        <source>man</source>
        <translation>男人</translation>
    </message>
    <message>
        <source>woman</source>
        <translation>女人</translation>
    </message>
    <message>
        <source>empty: the demo corpus</source>
        <translation>留空：使用演示语料</translation>
    </message>
    <message>
        <source>Corpus file…</source>
        <translation>语料文件…</translation>
    </message>
    <message>
        <source>skip-gram</source>
        <translation>skip-gram</translation>
    </message>
    <message>
        <source>dim</source>
        <translation>维度</translation>
    </message>
    <message>
        <source>window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>negative</source>
        <translation>负采样数</translation>
    </message>
    <message>
        <source>min-count</source>
        <translation>最小词频</translation>
    </message>
    <message>
        <source>epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Corpus</source>
        <translation>语料</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>结构</translation>
    </message>
    <message>
        <source>subsample</source>
        <translation>下采样</translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt; · {value:,} points</source>
        <translation>&lt;b&gt;{title}&lt;/b&gt; · {value:,} 个点</translation>
    </message>
    <message>
        <source>{parts} = {percent:.1f} % of the variance</source>
        <translation>{parts} = 方差的 {percent:.1f} %</translation>
    </message>
    <message>
        <source>points</source>
        <translation>点</translation>
    </message>
    <message>
        <source>{value:,} match{value2}</source>
        <translation>{value:,} 个匹配</translation>
    </message>
    <message>
        <source>Nearest to &lt;b&gt;{value}&lt;/b&gt; ({value2}, original space):</source>
        <translation>离 &lt;b&gt;{value}&lt;/b&gt; 最近的（{value2}，原始空间）：</translation>
    </message>
    <message>
        <source>Import vectors</source>
        <translation>导入向量</translation>
    </message>
    <message>
        <source>Vectors (*.txt *.vec *.bin *.tsv);;All files (*)</source>
        <translation>向量 (*.txt *.vec *.bin *.tsv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Export vectors</source>
        <translation>导出向量</translation>
    </message>
    <message>
        <source>word2vec text (*.txt);;word2vec binary (*.bin);;TensorBoard TSV (*.tsv)</source>
        <translation>word2vec 文本 (*.txt);;word2vec 二进制 (*.bin);;TensorBoard TSV (*.tsv)</translation>
    </message>
    <message>
        <source>Corpus for word2vec</source>
        <translation>word2vec 的语料</translation>
    </message>
    <message>
        <source>Text (*.txt);;All files (*)</source>
        <translation>文本 (*.txt);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>RoutingView</name>
    <message>
        <source>Colour = top-1 expert ({n} experts: hover a cell for its number). Striped = dropped.</source>
        <translation>颜色 = top-1 专家（共 {n} 个专家：悬停在单元格上可看编号）。条纹 = 被丢弃。</translation>
    </message>
    <message>
        <source>Top-1 expert: {swatches} &amp;nbsp;·&amp;nbsp; striped / dark = an assignment dropped over capacity</source>
        <translation>top-1 专家：{swatches} &amp;nbsp;·&amp;nbsp; 条纹 / 暗色 = 因超出容量而被丢弃的分配</translation>
    </message>
</context>
<context>
    <name>RowStatePlots</name>
    <message>
        <source>|O − exact|</source>
        <translation>|O − 精确值|</translation>
    </message>
    <message>
        <source>Q row</source>
        <translation>Q 行</translation>
    </message>
</context>
<context>
    <name>RunView</name>
    <message>
        <source>No training snapshots yet.</source>
        <translation>尚无训练快照。</translation>
    </message>
    <message>
        <source>expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>training step</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source>expert (bias)</source>
        <translation>专家（偏置）</translation>
    </message>
    <message>
        <source>bias</source>
        <translation>偏置</translation>
    </message>
    <message>
        <source>No MoE load recorded for this run.</source>
        <translation>本次运行没有记录 MoE 负载。</translation>
    </message>
    <message>
        <source>{label} · layer {layer}: load per expert at {n} snapshots (steps {first}–{last}); now max {max:.3f} vs ideal {ideal:.3f}, MaxVio {vio:.3f}</source>
        <translation>{label} · 第 {layer} 层：{n} 个快照（第 {first}–{last} 步）中每个专家的负载；当前最大 {max:.3f}，理想值 {ideal:.3f}，MaxVio {vio:.3f}</translation>
    </message>
    <message>
        <source>training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source> · bias: aux-loss-free balancing (red = raised, blue = lowered)</source>
        <translation> · 偏置：无辅助损失的负载均衡（红 = 调高，蓝 = 调低）</translation>
    </message>
    <message>
        <source>layer {0} · step {1} · expert {2}: load {3}</source>
        <translation>第 {0} 层 · 第 {1} 步 · 专家 {2}：负载 {3}</translation>
    </message>
    <message>
        <source>layer {0} · step {1} · expert {2}: selection bias {3}</source>
        <translation>第 {0} 层 · 第 {1} 步 · 专家 {2}：选择偏置 {3}</translation>
    </message>
</context>
<context>
    <name>SoftMatrix</name>
    <message>
        <source>share of the slot&apos;s input</source>
        <translation>占该槽位输入的份额</translation>
    </message>
    <message>
        <source>share of the token&apos;s output</source>
        <translation>占该词元输出的份额</translation>
    </message>
    <message>
        <source>dispatch</source>
        <translation>分发</translation>
    </message>
    <message>
        <source>combine</source>
        <translation>合并</translation>
    </message>
    <message>
        <source>layer {layer} · {token} · slot {j} of expert {e}: {kind} {value:.4f} ({meaning})</source>
        <translation>第 {layer} 层 · {token} · 专家 {e} 的槽位 {j}：{kind} {value:.4f}（{meaning}）</translation>
    </message>
</context>
<context>
    <name>SoftMoeView</name>
    <message>
        <source>No Soft MoE capture: train or load a model with moe_mode = soft.</source>
        <translation>没有 Soft MoE 捕获：请训练或加载 moe_mode = soft 的模型。</translation>
    </message>
    <message>
        <source>Soft MoE, layer {value}: {n_experts} experts × {slots_per_expert} slots. Top: dispatch D = softmax over tokens (each slot row sums to 1: what the slot reads). Bottom: combine C = softmax over slots (each token column sums to 1: where its output comes from). No token is dropped.</source>
        <translation>Soft MoE，第 {value} 层：{n_experts} 个专家 × {slots_per_expert} 个槽位。上：分发 D = 在词元上做 softmax（每个槽位行之和为 1：槽位读到什么）。下：合并 C = 在槽位上做 softmax（每个词元列之和为 1：其输出来自哪里）。没有词元被丢弃。</translation>
    </message>
</context>
<context>
    <name>SramView</name>
    <message>
        <source>S tile in SRAM</source>
        <translation>SRAM 中的 S 分块</translation>
    </message>
    <message>
        <source>score</source>
        <translation>分数</translation>
    </message>
    <message>
        <source>elements on chip</source>
        <translation>片上元素数</translation>
    </message>
    <message>
        <source>S[{0}, {1}]: masked (−∞)</source>
        <translation>S[{0}, {1}]：被掩码（−∞）</translation>
    </message>
    <message>
        <source>S[{0}, {1}] = q{0}·k{1}/√d = {2}</source>
        <translation>S[{0}, {1}] = q{0}·k{1}/√d = {2}</translation>
    </message>
    <message>
        <source>S tile in SRAM: none yet (press Step)</source>
        <translation>SRAM 中的 S 分块：暂无（按“单步”）</translation>
    </message>
    <message>
        <source>S tile ({i}, {j}): {value}×{value2}, {value3} … {value4}</source>
        <translation>S 分块 ({i}, {j})：{value}×{value2}，{value3} … {value4}</translation>
    </message>
</context>
<context>
    <name>TargetView</name>
    <message>
        <source>target rank (1 = top)</source>
        <translation>目标排名（1 = 第一）</translation>
    </message>
    <message>
        <source>residual point</source>
        <translation>残差流位置</translation>
    </message>
    <message>
        <source>Set a target token and run the lens to see where it overtakes the rest.</source>
        <translation>设定目标词元并运行透镜，看看它在哪里超过其余词元。</translation>
    </message>
    <message>
        <source>promoted (Δ log p)</source>
        <translation>被提升（Δ log p）</translation>
    </message>
    <message>
        <source>suppressed (Δ log p)</source>
        <translation>被抑制（Δ log p）</translation>
    </message>
    <message>
        <source>“{target}” at position {pos} (“{token}”): rank {ranks}; p = {p:.3f} at the end.</source>
        <translation>“{target}”在位置 {pos}（“{token}”）：排名 {ranks}；最终 p = {p:.3f}。</translation>
    </message>
    <message>
        <source>No target token: type one (or #ID) and run the lens.</source>
        <translation>没有目标词元：输入一个（或 #ID）并运行透镜。</translation>
    </message>
    <message>
        <source>block {b}</source>
        <translation>第 {b} 块</translation>
    </message>
</context>
<context>
    <name>Terms</name>
    <message>
        <source>Switch aux</source>
        <translation>Switch aux</translation>
    </message>
    <message>
        <source>z-loss</source>
        <translation>z-loss</translation>
    </message>
    <message>
        <source>entropy (nats)</source>
        <translation>熵（奈特）</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>MaxVio</source>
        <translation>MaxVio</translation>
    </message>
    <message>
        <source>{norm} {n} normalized</source>
        <translation>{norm} {n} 归一化后</translation>
    </message>
    <message>
        <source>expert {n} pre-activation</source>
        <translation>专家 {n} 激活前</translation>
    </message>
    <message>
        <source>expert {n} post-activation</source>
        <translation>专家 {n} 激活后</translation>
    </message>
    <message>
        <source>shared expert {n} pre-activation</source>
        <translation>共享专家 {n} 激活前</translation>
    </message>
    <message>
        <source>shared expert {n} post-activation</source>
        <translation>共享专家 {n} 激活后</translation>
    </message>
    <message>
        <source>residual in</source>
        <translation>残差流输入</translation>
    </message>
    <message>
        <source>LN1 normalized</source>
        <translation>LN1 归一化后</translation>
    </message>
    <message>
        <source>attention out</source>
        <translation>注意力输出</translation>
    </message>
    <message>
        <source>LN2 normalized</source>
        <translation>LN2 归一化后</translation>
    </message>
    <message>
        <source>MLP pre-activation</source>
        <translation>MLP 激活前</translation>
    </message>
    <message>
        <source>MLP post-activation</source>
        <translation>MLP 激活后</translation>
    </message>
    <message>
        <source>residual out</source>
        <translation>残差流输出</translation>
    </message>
    <message>
        <source>{site} (per expert: none)</source>
        <translation>{site}（按专家划分：无）</translation>
    </message>
    <message>
        <source>norm 1 normalized</source>
        <translation>归一化层 1 归一化后</translation>
    </message>
    <message>
        <source>norm 2 normalized</source>
        <translation>归一化层 2 归一化后</translation>
    </message>
    <message>
        <source>Norm</source>
        <translation>归一化层</translation>
    </message>
    <message>
        <source>This layer&apos;s FFN is a mixture of experts, so there is no single MLP to histogram: each expert sees only the tokens routed to it. Pick an “expert … activation” site instead.</source>
        <translation>这一层的前馈网络是混合专家，没有单独的一个 MLP 可以画直方图：每个专家只看到路由给它的词元。请改选一个“专家 … 激活”位置。</translation>
    </message>
    <message>
        <source>This layer&apos;s FFN is a mixture of experts, so there is no single MLP to histogram; lmscope does not record the activations inside a Hugging Face model&apos;s experts.</source>
        <translation>这一层的前馈网络是混合专家，没有单独的一个 MLP 可以画直方图；lmscope 不记录 Hugging Face 模型专家内部的激活。</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>均值</translation>
    </message>
    <message>
        <source>std</source>
        <translation>标准差</translation>
    </message>
    <message>
        <source>ex. kurtosis</source>
        <translation>超额峰度</translation>
    </message>
    <message>
        <source>max |x|</source>
        <translation>最大 |x|</translation>
    </message>
    <message>
        <source>exactly 0</source>
        <translation>恰为 0</translation>
    </message>
    <message>
        <source>dead units</source>
        <translation>死神经元</translation>
    </message>
    <message>
        <source>beyond 6σ</source>
        <translation>超出 6σ</translation>
    </message>
    <message>
        <source>scores QKᵀ</source>
        <translation>分数 QKᵀ</translation>
    </message>
    <message>
        <source>scaled ÷√d</source>
        <translation>缩放 ÷√d</translation>
    </message>
    <message>
        <source>after the mask</source>
        <translation>加掩码后</translation>
    </message>
    <message>
        <source>softmax pattern</source>
        <translation>softmax 注意力模式</translation>
    </message>
    <message>
        <source>output z = pattern·V</source>
        <translation>输出 z = 模式·V</translation>
    </message>
    <message>
        <source>NaN/Inf anywhere</source>
        <translation>任意位置出现 NaN/Inf</translation>
    </message>
    <message>
        <source>max pattern weight &gt;</source>
        <translation>最大注意力权重 &gt;</translation>
    </message>
    <message>
        <source>row entropy &lt;</source>
        <translation>行熵 &lt;</translation>
    </message>
    <message>
        <source>|score| &gt;</source>
        <translation>|分数| &gt;</translation>
    </message>
    <message>
        <source>q, k, v (pos × d_head), scores, scaled, masked, pattern (query × key), z (pos × d_head), entropy and weight (per query row: entropy in nats and max weight, NaN for rows that see fewer than 2 keys), score (scaled scores, NaN where masked), nonfinite (count of NaN/±Inf, masked −∞ excluded), layer, head, row (the query row under study), n (positions)</source>
        <translation>q、k、v（位置 × d_head），scores、scaled、masked，pattern（查询 × 键），z（位置 × d_head），entropy 与 weight（每个查询行：以奈特计的熵和最大权重，可见键少于 2 个的行为 NaN），score（缩放后的分数，被掩码处为 NaN），nonfinite（NaN/±Inf 的个数，不含被掩码的 −∞），layer、head、row（正在研究的查询行），n（位置数）</translation>
    </message>
    <message>
        <source>mean row entropy (nats)</source>
        <translation>平均行熵（奈特）</translation>
    </message>
    <message>
        <source>attention to the first token</source>
        <translation>对第一个词元的注意力</translation>
    </message>
    <message>
        <source>previous-token score</source>
        <translation>前一词元分数</translation>
    </message>
    <message>
        <source>diagonal (self) score</source>
        <translation>对角线（自身）分数</translation>
    </message>
    <message>
        <source>zero</source>
        <translation>置零</translation>
    </message>
    <message>
        <source>greedy</source>
        <translation>贪心</translation>
    </message>
    <message>
        <source>temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>top-k</source>
        <translation>top-k</translation>
    </message>
    <message>
        <source>left</source>
        <translation>左侧</translation>
    </message>
    <message>
        <source>right</source>
        <translation>右侧</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>entropy</source>
        <translation>熵</translation>
    </message>
    <message>
        <source>load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source>importance</source>
        <translation>重要性</translation>
    </message>
    <message>
        <source>custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>当前模型</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>euclidean</source>
        <translation>欧氏</translation>
    </message>
    <message>
        <source>script</source>
        <translation>文字类型</translation>
    </message>
    <message>
        <source>frequency</source>
        <translation>频次</translation>
    </message>
    <message>
        <source>length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>token id</source>
        <translation>词元 id</translation>
    </message>
    <message>
        <source>Han</source>
        <translation>汉字</translation>
    </message>
    <message>
        <source>Latin</source>
        <translation>拉丁字母</translation>
    </message>
    <message>
        <source>digit</source>
        <translation>数字</translation>
    </message>
    <message>
        <source>punct</source>
        <translation>标点</translation>
    </message>
    <message>
        <source>space</source>
        <translation>空白</translation>
    </message>
    <message>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>pattern</source>
        <translation>注意力模式</translation>
    </message>
    <message>
        <source>scores</source>
        <translation>分数</translation>
    </message>
    <message>
        <source>scaled</source>
        <translation>缩放后</translation>
    </message>
    <message>
        <source>masked</source>
        <translation>加掩码后</translation>
    </message>
    <message>
        <source>built-in demo (TinyGPT trained on the demo corpus)</source>
        <translation>内置演示模型（在演示语料上训练的 TinyGPT）</translation>
    </message>
    <message>
        <source>built-in minilm (sentence-transformers all-MiniLM-L6-v2: BERT, 6 layers, WordPiece)</source>
        <translation>内置 minilm（sentence-transformers all-MiniLM-L6-v2：BERT，6 层，WordPiece）</translation>
    </message>
    <message>
        <source>built-in demo-moe (TinyGPT, 8 experts top-2 + 1 shared, trained on the demo corpus)</source>
        <translation>内置 demo-moe（TinyGPT，8 个专家 top-2 + 1 个共享专家，在演示语料上训练）</translation>
    </message>
    <message>
        <source>POS (jieba)</source>
        <translation>词性（jieba）</translation>
    </message>
    <message>
        <source>noun</source>
        <translation>名词</translation>
    </message>
    <message>
        <source>verb</source>
        <translation>动词</translation>
    </message>
    <message>
        <source>adjective</source>
        <translation>形容词</translation>
    </message>
    <message>
        <source>adverb</source>
        <translation>副词</translation>
    </message>
    <message>
        <source>pronoun</source>
        <translation>代词</translation>
    </message>
    <message>
        <source>number</source>
        <translation>数词</translation>
    </message>
    <message>
        <source>function word</source>
        <translation>虚词</translation>
    </message>
    <message>
        <source>idiom</source>
        <translation>习用语</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文词</translation>
    </message>
    <message>
        <source>non-word</source>
        <translation>非词</translation>
    </message>
    <message>
        <source>When pairs tie on count, the pair met first wins: scan the words in the order they first appear in the corpus, each word left to right.</source>
        <translation>次数相同时，先遇到的符号对胜出：按词在语料中首次出现的顺序扫描，每个词从左到右。</translation>
    </message>
    <message>
        <source>Words are split at whitespace; each run of CJK characters is one word, each run of other letters, digits and &apos;_&apos; is one word, and every other character (punctuation, emoji) is a word of its own. Combining marks, joiners and emoji skin tones stay with the character before them.</source>
        <translation>按空白切分；连续的中日韩文字为一个词，连续的其他字母、数字和“_”为一个词，其余每个字符（标点、表情符号）各自成词。组合附加符号、连接符和表情符号的肤色修饰符归入前一个字符。</translation>
    </message>
</context>
<context>
    <name>TokenStrip</name>
    <message>
        <source>position {i}</source>
        <translation>位置 {i}</translation>
    </message>
</context>
<context>
    <name>TokenizerBinding</name>
    <message>
        <source>Loading jieba&apos;s dictionary…</source>
        <translation>正在加载 jieba 词典…</translation>
    </message>
    <message>
        <source>Press Return in the text box to segment with jieba (loads its dictionary, ~1 s).</source>
        <translation>在文本框中按回车，用 jieba 分词（会加载其词典，约 1 秒）。</translation>
    </message>
    <message>
        <source>Tokenizer explorer</source>
        <translation>分词器探索</translation>
    </message>
    <message>
        <source>Waiting for “{running}” to finish: {title} starts then.</source>
        <translation>等待“{running}”完成：之后开始{title}。</translation>
    </message>
    <message>
        <source>{title}: cancelled.</source>
        <translation>{title}：已取消。</translation>
    </message>
    <message>
        <source>Click a token to select its position in the other panels.</source>
        <translation>点击一个词元，在其他面板中选中它的位置。</translation>
    </message>
    <message>
        <source>This text is not the current capture: run it to link token selection.</source>
        <translation>这段文本不是当前捕获：运行它之后，词元选择才会与其他面板联动。</translation>
    </message>
</context>
<context>
    <name>TokenizerPanel</name>
    <message>
        <source>BPE step by step</source>
        <translation>BPE 逐步演示</translation>
    </message>
    <message>
        <source>Model vocabulary &amp;&amp; bytes</source>
        <translation>模型词表与字节</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Type a text, e.g. 我们一起来学习大语言模型</source>
        <translation>输入一段文本，例如 我们一起来学习大语言模型</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
</context>
<context>
    <name>TokenizerViews</name>
    <message>
        <source>{n} words, {unknown} not in dictionary</source>
        <translation>{n} 个词，其中 {unknown} 个不在词典中</translation>
    </message>
    <message>
        <source>{n} words</source>
        <translation>{n} 个词</translation>
    </message>
    <message>
        <source>Train BPE in the “BPE step by step” tab to browse its vocabulary.</source>
        <translation>在“BPE 逐步演示”标签页中训练 BPE 后即可浏览其词表。</translation>
    </message>
    <message>
        <source>Our BPE after {step} merges: {n:,} symbols. Frequency: occurrences in the training corpus segmented at this step.</source>
        <translation>我们的 BPE 经过 {step} 次合并：{n:,} 个符号。频次：按此步切分的训练语料中的出现次数。</translation>
    </message>
    <message>
        <source>No model loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>{source}: {n:,} tokens, one per character, &lt;unk&gt; for any other. Frequency: occurrences in the demo corpus.</source>
        <translation>{source}：{n:,} 个词元，每个字符一个，其余字符为 &lt;unk&gt;。频次：在演示语料中的出现次数。</translation>
    </message>
</context>
<context>
    <name>TopKTable</name>
    <message>
        <source>before</source>
        <translation>之前</translation>
    </message>
    <message>
        <source>after</source>
        <translation>之后</translation>
    </message>
</context>
<context>
    <name>TrafficCurves</name>
    <message>
        <source>SRAM M (elements)</source>
        <translation>SRAM M（元素数）</translation>
    </message>
    <message>
        <source>sequence length N</source>
        <translation>序列长度 N</translation>
    </message>
    <message>
        <source>HBM accesses (elements)</source>
        <translation>HBM 访问（元素数）</translation>
    </message>
    <message>
        <source>this setting</source>
        <translation>当前设置</translation>
    </message>
    <message>
        <source>standard  Θ(Nd + N²)</source>
        <translation>标准注意力  Θ(Nd + N²)</translation>
    </message>
</context>
<context>
    <name>TrainDialog</name>
    <message>
        <source>Switch load-balancing loss coefficient α per MoE layer (0 = off)</source>
        <translation>每个 MoE 层的 Switch 负载均衡损失系数 α（0 = 关闭）</translation>
    </message>
    <message>
        <source>router z-loss coefficient (ST-MoE)</source>
        <translation>路由器 z-loss 系数（ST-MoE）</translation>
    </message>
    <message>
        <source>auxiliary-loss-free balancing (DeepSeek-V3): a per-expert selection bias moved by ±γ after each step, down when over-loaded, up when under-loaded; 0 = off</source>
        <translation>无辅助损失的负载均衡（DeepSeek-V3）：每个专家的选择偏置在每一步后调整 ±γ，过载时调低、负载不足时调高；0 = 关闭</translation>
    </message>
    <message>
        <source>expert capacity = ⌈top_k · tokens / n_experts · factor⌉; overflow is dropped; 0 = unlimited</source>
        <translation>专家容量 = ⌈top_k · 词元数 / n_experts · 因子⌉；超出部分被丢弃；0 = 不限</translation>
    </message>
    <message>
        <source>topk: sparse routing · dense: every expert, softmax-weighted · soft: Soft MoE slots</source>
        <translation>topk：稀疏路由 · dense：所有专家按 softmax 加权 · soft：Soft MoE 槽位</translation>
    </message>
    <message>
        <source>slots per expert (Soft MoE)</source>
        <translation>每个专家的槽位数（Soft MoE）</translation>
    </message>
    <message>
        <source>shared experts every token uses (DeepSeekMoE)</source>
        <translation>每个词元都使用的共享专家数（DeepSeekMoE）</translation>
    </message>
    <message>
        <source>Train new model</source>
        <translation>训练新模型</translation>
    </message>
    <message>
        <source>Model (TinyGPT config)</source>
        <translation>模型（TinyGPT 配置）</translation>
    </message>
    <message>
        <source>noisy_gating</source>
        <translation>noisy_gating</translation>
    </message>
    <message>
        <source>Training (on the demo corpus)</source>
        <translation>训练（在演示语料上）</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Run name</source>
        <translation>运行名称</translation>
    </message>
</context>
<context>
    <name>TrainingBinding</name>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Save model folder…</source>
        <translation>保存模型文件夹…</translation>
    </message>
    <message>
        <source>Write the open TinyGPT (one trained here, say) as a model folder: config.json, model.safetensors, vocab.json; --model DIR opens it.</source>
        <translation>把当前打开的 TinyGPT（例如在这里训练的模型）写成模型文件夹：config.json、model.safetensors、vocab.json；命令行参数 --model 加上文件夹路径即可打开。</translation>
    </message>
    <message>
        <source>Training cancelled</source>
        <translation>训练已取消</translation>
    </message>
    <message>
        <source>Training stopped at step {0} of {1}. Keep the model trained so far? It replaces the open model (save it with Model → Save model folder…).</source>
        <translation>训练停在第 {0} 步（共 {1} 步）。保留目前训练得到的模型吗？它会替换当前打开的模型（可用 模型 → 保存模型文件夹… 存盘）。</translation>
    </message>
    <message>
        <source>Keep the model</source>
        <translation>保留模型</translation>
    </message>
    <message>
        <source>Discard it</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Kept the model trained so far (step {0}); Model → Save model folder… keeps it on disk.</source>
        <translation>已保留训练到第 {0} 步的模型；用 模型 → 保存模型文件夹… 可把它存到磁盘。</translation>
    </message>
    <message>
        <source>Save the model as a folder</source>
        <translation>把模型保存为文件夹</translation>
    </message>
    <message>
        <source>Only a TinyGPT can be saved as a model folder.</source>
        <translation>只有 TinyGPT 可以保存为模型文件夹。</translation>
    </message>
    <message>
        <source>Saved the model to {0}; `lmscope --model {0}` opens it.</source>
        <translation>模型已保存到 {0}；用 `lmscope --model {0}` 即可打开。</translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message>
        <source>No training run yet: Model → Train new model…</source>
        <translation>还没有训练运行：模型 → 训练新模型…</translation>
    </message>
    <message>
        <source>log loss</source>
        <translation>损失取对数</translation>
    </message>
    <message>
        <source>Run: {label}</source>
        <translation>运行：{label}</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>step —</source>
        <translation>步数 —</translation>
    </message>
    <message>
        <source>loss —</source>
        <translation>损失 —</translation>
    </message>
    <message>
        <source>— tok/s</source>
        <translation>— 词元/秒</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>train (batch)</source>
        <translation>训练（批次）</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>no training history in this session</source>
        <translation>此会话没有训练历史</translation>
    </message>
    <message>
        <source>lr</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>No training history in this session</source>
        <translation>此会话没有训练历史</translation>
    </message>
    <message>
        <source>best validation, step {0}</source>
        <translation>最佳验证，第 {0} 步</translation>
    </message>
    <message>
        <source>step {step:,} / {total:,}</source>
        <translation>第 {step:,} / {total:,} 步</translation>
    </message>
    <message>
        <source>step {step:,}</source>
        <translation>第 {step:,} 步</translation>
    </message>
    <message>
        <source>loss {loss:.3f}</source>
        <translation>损失 {loss:.3f}</translation>
    </message>
    <message>
        <source>{tokens_per_s:,.0f} tok/s</source>
        <translation>{tokens_per_s:,.0f} 词元/秒</translation>
    </message>
    <message>
        <source>loss (nats, log scale)</source>
        <translation>损失（奈特，对数刻度）</translation>
    </message>
    <message>
        <source>loss (nats)</source>
        <translation>损失（奈特）</translation>
    </message>
</context>
<context>
    <name>VariantsBinding</name>
    <message>
        <source>Attention variants</source>
        <translation>注意力变体</translation>
    </message>
    <message>
        <source>the loaded model</source>
        <translation>已加载的模型</translation>
    </message>
    <message>
        <source>this shape</source>
        <translation>此形状</translation>
    </message>
    <message>
        <source>KV cache of {name} ({kind}) for {tokens:,} tokens in {dtype}: each kind with the same L, H and d_h.</source>
        <translation>{name}（{kind}）在 {tokens:,} 个词元、{dtype} 下的 KV cache：各类注意力使用相同的 L、H 和 d_h。</translation>
    </message>
    <message>
        <source>Load a TinyGPT and capture a prompt to measure its live KV cache.</source>
        <translation>加载一个 TinyGPT 并捕获一个提示，以测量它实际的 KV cache。</translation>
    </message>
    <message>
        <source>Measuring the KV cache</source>
        <translation>正在测量 KV cache</translation>
    </message>
    <message>
        <source>Live: after reading the current prompt ({tokens} tokens) the loaded model&apos;s KV cache holds {bytes:,} bytes ({human}, {dtype}), equal to the {kind} closed form {closed:,}.</source>
        <translation>实测：读完当前提示（{tokens} 个词元）后，已加载模型的 KV cache 占 {bytes:,} 字节（{human}，{dtype}），等于 {kind} 的闭式结果 {closed:,}。</translation>
    </message>
    <message>
        <source>Live: after reading the current prompt ({tokens} tokens) the loaded model&apos;s KV cache holds {bytes:,} bytes ({human}, {dtype}), NOT equal to the {kind} closed form {closed:,}.</source>
        <translation>实测：读完当前提示（{tokens} 个词元）后，已加载模型的 KV cache 占 {bytes:,} 字节（{human}，{dtype}），不等于 {kind} 的闭式结果 {closed:,}。</translation>
    </message>
    <message>
        <source>Positional encodings</source>
        <translation>位置编码</translation>
    </message>
    <message>
        <source> (this model has other positions: its q and k are rotated here as RoPE would)</source>
        <translation>（此模型使用别的位置编码：这里按 RoPE 的方式旋转它的 q 和 k）</translation>
    </message>
    <message>
        <source>Layer {layer}, head {head}: q of token {m} and k of token {n}, {dims} rotated dims{how}. Shifting both by s keeps the score (max change {change:.1e}): it depends only on n − m = {offset}.</source>
        <translation>第 {layer} 层、第 {head} 个头：词元 {m} 的 q 与词元 {n} 的 k，旋转 {dims} 维{how}。两者同时平移 s 时分数不变（最大变化 {change:.1e}）：它只取决于 n − m = {offset}。</translation>
    </message>
    <message>
        <source>Load a model and capture a prompt first.</source>
        <translation>请先加载模型并捕获一个提示。</translation>
    </message>
    <message>
        <source>Top-k and LSH pick keys inside TinyGPT&apos;s attention; this model takes position-based masks only.</source>
        <translation>Top-k 和 LSH 在 TinyGPT 的注意力内部挑选键；此模型只支持基于位置的掩码。</translation>
    </message>
    <message>
        <source>Comparing {spec} with causal attention…</source>
        <translation>正在比较 {spec} 与因果注意力…</translation>
    </message>
    <message>
        <source>Comparing masks</source>
        <translation>正在比较掩码</translation>
    </message>
</context>
<context>
    <name>VariantsPanel</name>
    <message>
        <source>KV cache</source>
        <translation>KV cache</translation>
    </message>
    <message>
        <source>Positions</source>
        <translation>位置编码</translation>
    </message>
    <message>
        <source>Masks</source>
        <translation>掩码</translation>
    </message>
</context>
<context>
    <name>VocabTab</name>
    <message>
        <source>model tokenizer</source>
        <translation>模型分词器</translation>
    </message>
    <message>
        <source>our BPE (at the replay step)</source>
        <translation>我们的 BPE（在重放到的那一步）</translation>
    </message>
    <message>
        <source>search tokens</source>
        <translation>搜索词元</translation>
    </message>
    <message>
        <source>token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>frequency</source>
        <translation>频次</translation>
    </message>
    <message>
        <source>characters</source>
        <translation>字符数</translation>
    </message>
    <message>
        <source>UTF-8 bytes</source>
        <translation>UTF-8 字节</translation>
    </message>
    <message>
        <source>sort by</source>
        <translation>排序</translation>
    </message>
    <message>
        <source>Vocabulary</source>
        <translation>词表</translation>
    </message>
    <message>
        <source>Byte level: the text as UTF-8 bytes and GPT-2&apos;s byte stand-ins</source>
        <translation>字节层面：文本的 UTF-8 字节及 GPT-2 的字节替身字符</translation>
    </message>
</context>
<context>
    <name>about</name>
    <message>
        <source>A desktop microscope and debugger for transformer language models.</source>
        <translation>用于 Transformer 语言模型的桌面显微镜与调试器。</translation>
    </message>
</context>
<context>
    <name>export</name>
    <message>
        <source>Could not write {path}; check that the folder exists and is writable.</source>
        <translation>无法写入 {path}；请检查文件夹是否存在且可写。</translation>
    </message>
    <message>
        <source>Export as .png or .svg, not {suffix}.</source>
        <translation>请导出为 .png 或 .svg，而不是 {suffix}。</translation>
    </message>
    <message>
        <source>a file with no extension</source>
        <translation>没有扩展名的文件</translation>
    </message>
</context>
<context>
    <name>help</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>where</source>
        <translation>作用范围</translation>
    </message>
    <message>
        <source>action</source>
        <translation>操作</translation>
    </message>
</context>
<context>
    <name>masks</name>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>session_io</name>
    <message>
        <source>This panel&apos;s part of the session was not restored: {exc}</source>
        <translation>此面板在会话中的部分未能恢复：{exc}</translation>
    </message>
    <message>
        <source>This panel&apos;s part of the session was not restored ({name__}: {value}).</source>
        <translation>此面板在会话中的部分未能恢复（{name__}：{value}）。</translation>
    </message>
</context>
<context>
    <name>shortcuts</name>
    <message>
        <source>{0} panel</source>
        <translation>{0}面板</translation>
    </message>
</context>
<context>
    <name>style</name>
    <message>
        <source>Export this plot as PNG (2×)…</source>
        <translation>将此图导出为 PNG（2×）…</translation>
    </message>
    <message>
        <source>Export this plot as SVG…</source>
        <translation>将此图导出为 SVG…</translation>
    </message>
    <message>
        <source>Copy data (TSV)</source>
        <translation>复制数据（TSV）</translation>
    </message>
    <message>
        <source>Export plot</source>
        <translation>导出图</translation>
    </message>
    <message>
        <source>lmscope plot</source>
        <translation>lmscope 图</translation>
    </message>
</context>
</TS>
