"""The attention-variants dock: KV-cache sizes of MHA/GQA/MQA/MLA, positional encodings seen, and masks compared."""
