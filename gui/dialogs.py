"""Model → Train new model…: pick a preset, adjust any config switch, and set the training run."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QSpinBox, QVBoxLayout, QWidget,
)

from lmscope.backend.errors import BadInputError
from lmscope.backend.models.config import CHOICES, PRESETS, TinyGPTConfig
from lmscope.backend.training.loop import TrainSettings
from lmscope.widgets.glossary import explain
from lmscope.widgets.terms import add_choices, current_key

INT_FIELDS = {"n_layer": (1, 24), "d_model": (8, 1024), "n_head": (1, 32), "n_kv_head": (1, 32),
              "d_mlp": (8, 4096), "n_ctx": (8, 1024), "n_experts": (1, 64), "top_k": (1, 8), "n_shared": (0, 8),
              "soft_slots": (1, 64)}
# (low, high, step, decimals); the MoE coefficients are small numbers (Switch α = 0.01, z-loss 0.001, γ ≈ 0.001).
FLOAT_FIELDS = {"capacity_factor": (0.0, 8.0, 0.05, 2), "dropout": (0.0, 0.9, 0.05, 2),
                "aux_loss_coef": (0.0, 1.0, 0.001, 4), "z_loss_coef": (0.0, 1.0, 0.0001, 4),
                "bias_update_rate": (0.0, 1.0, 0.001, 4)}
TIPS = {
    "aux_loss_coef": QT_TRANSLATE_NOOP("TrainDialog", "Switch load-balancing loss coefficient α per MoE layer (0 = "
                                                      "off)"),
    "z_loss_coef": QT_TRANSLATE_NOOP("TrainDialog", "router z-loss coefficient (ST-MoE)"),
    "bias_update_rate": QT_TRANSLATE_NOOP("TrainDialog", "auxiliary-loss-free balancing (DeepSeek-V3): a per-expert "
                                                         "selection bias moved by ±γ after each step, down when "
                                                         "over-loaded, up when under-loaded; 0 = off"),
    "capacity_factor": QT_TRANSLATE_NOOP("TrainDialog", "expert capacity = ⌈top_k · tokens / n_experts · factor⌉; "
                                                        "overflow is dropped; 0 = unlimited"),
    "moe_mode": QT_TRANSLATE_NOOP("TrainDialog", "topk: sparse routing · dense: every expert, softmax-weighted · soft: "
                                                 "Soft MoE slots"),
    "soft_slots": QT_TRANSLATE_NOOP("TrainDialog", "slots per expert (Soft MoE)"),
    "n_shared": QT_TRANSLATE_NOOP("TrainDialog", "shared experts every token uses (DeepSeekMoE)"),
}
INT_FIELDS.update({"kv_lora_rank": (0, 1024), "q_lora_rank": (0, 1024), "rope_head_dim": (0, 256)})  # MLA
TRAIN_INT = {"steps": (1, 1_000_000), "batch_size": (1, 512), "seq_len": (4, 1024), "snapshot_every": (1, 100_000),
             "seed": (0, 2**31 - 1)}


class TrainDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, default_device: str = "cpu") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Train new model"))
        self.config: TinyGPTConfig | None = None
        self.settings: TrainSettings | None = None
        self.label = ""
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.name = QLineEdit()
        self.fields: dict[str, QWidget] = {}
        model_box = QGroupBox(self.tr("Model (TinyGPT config)"))
        model_form = QFormLayout(model_box)
        for name in INT_FIELDS:
            lo, hi = INT_FIELDS[name]
            self.fields[name] = self._spin(lo, hi)
            model_form.addRow(name, self.fields[name])
        for name, choices in CHOICES.items():
            combo = QComboBox()
            combo.addItems(list(choices))
            self.fields[name] = combo
            model_form.addRow(name, combo)
        for name, (lo, hi, step, decimals) in FLOAT_FIELDS.items():
            self.fields[name] = self._dspin(lo, hi, step, decimals)
            model_form.addRow(name, self.fields[name])
        self.fields["noisy_gating"] = QCheckBox()
        model_form.addRow(self.tr("noisy_gating"), self.fields["noisy_gating"])
        for name, tip in TIPS.items():
            self.fields[name].setToolTip(self.tr(tip))

        train_box = QGroupBox(self.tr("Training (on the demo corpus)"))
        train_form = QFormLayout(train_box)
        defaults = TrainSettings()
        self.train_fields: dict[str, QWidget] = {}
        for name, (lo, hi) in TRAIN_INT.items():
            spin = self._spin(lo, hi)
            spin.setValue(getattr(defaults, name))
            self.train_fields[name] = spin
            train_form.addRow(name, spin)
        self.train_fields["lr"] = self._dspin(1e-5, 1.0, 1e-4, 5)
        self.train_fields["lr"].setValue(defaults.lr)
        train_form.addRow(self.tr("learning rate"), self.train_fields["lr"])
        self.device = QComboBox()
        add_choices(self.device, ("auto", "cpu", "cuda", "mps"))
        self.device.setCurrentText(default_device if default_device in ("cpu", "cuda", "mps") else "auto")
        train_form.addRow(self.tr("device"), self.device)

        self.error = QLabel("")
        self.error.setStyleSheet("color: #d55e00")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Train"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        top = QFormLayout()
        top.addRow(self.tr("Preset"), self.preset)
        top.addRow(self.tr("Run name"), self.name)
        boxes = QHBoxLayout()
        boxes.addWidget(model_box)
        boxes.addWidget(train_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(boxes)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.preset.currentTextChanged.connect(self.load_preset)
        self.preset.setCurrentText("tiny")
        self.load_preset("tiny")
        explain(self)  # every config key's label and field: its definition (widgets/glossary.py)

    @staticmethod
    def _spin(lo: int, hi: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        return spin

    @staticmethod
    def _dspin(lo: float, hi: float, step: float, decimals: int) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(step)
        spin.setDecimals(decimals)
        return spin

    def load_preset(self, name: str) -> None:
        cfg = PRESETS[name]
        for field, widget in self.fields.items():
            value = getattr(cfg, field)
            if isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setValue(value)
        self.name.setText(name)

    def _values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for field, widget in self.fields.items():
            if isinstance(widget, QComboBox):
                values[field] = widget.currentText()
            elif isinstance(widget, QCheckBox):
                values[field] = widget.isChecked()
            else:
                values[field] = widget.value()
        return values

    def accept(self) -> None:
        try:
            base = PRESETS[self.preset.currentText()]
            self.config = dataclasses.replace(base, **self._values())
            device = current_key(self.device)
            self.settings = TrainSettings(
                **{name: spin.value() for name, spin in self.train_fields.items()},
                device=None if device == "auto" else device,
            )
        except BadInputError as exc:  # ConfigError is one: an impossible combination of switches
            self.error.setText(str(exc))
            return
        self.label = self.name.text().strip() or self.preset.currentText()
        super().accept()
