"""The zh_CN catalogue is complete and current, the language is chosen as documented, and the help pages follow it."""
from __future__ import annotations

import re
import shutil
import string
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from lmscope.backend.attention.debugger import CONDITIONS, STAGE_LABELS, VARIABLES
from lmscope.backend.attention.heads import SUMMARY_METRICS
from lmscope.backend.embeddings.pos import POS_CLASSES, POS_COLUMN
from lmscope.backend.embeddings.sources import SCRIPTS
from lmscope.backend.models.builtin import BUILTIN
from lmscope.backend.stats import SITE_LABELS, STAT_COLUMNS, model_sites
from lmscope.backend.tokenize.bpe import TIE_RULE
from lmscope.backend.tokenize.corpus import PRETOKENIZE_RULE
from lmscope.gui.cli import build_parser
from lmscope.gui.help import help_folder, help_html
from lmscope.gui.i18n import (
    LanguageError,
    choose_language,
    current_language,
    install_language,
    qm_path,
    system_language,
    ts_path,
)
from lmscope.widgets.attention.state import ABLATION_MODES, PAD_SIDES, STRATEGIES
from lmscope.widgets.lens.state import COLOURS
from lmscope.widgets.terms import site_term, term
from PySide6.QtCore import QCoreApplication, QLocale, QSettings

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease, installed with PySide6 beside the interpreter."""
    import sys

    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} ships with PySide6; it should be beside {sys.executable}"
    return found


def messages(path: Path) -> list[tuple[str, str, ElementTree.Element]]:
    root = ElementTree.parse(path).getroot()
    return [(context.findtext("name", ""), message.findtext("source", ""), message.find("translation"))
            for context in root.iter("context") for message in context.iter("message")]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(autouse=True)
def english_afterwards(qapp):
    yield
    if current_language() != "en":
        install_language("en")


def test_every_message_is_translated_and_keeps_its_placeholders():
    found = messages(ts_path("zh_CN"))
    assert len(found) > 600
    for context, source, translation in found:
        assert translation is not None and translation.get("type") is None, (context, source)
        assert translation.text, (context, source)
        # str.format raises on a placeholder the code does not pass; "{n} cell{s}" may drop the plural's field.
        assert fields(translation.text) <= fields(source), (context, source, translation.text)
        if re.search(r"&\w", source):  # a menu's keyboard accelerator survives as "(&F)"
            assert re.search(r"&\w", translation.text), (context, source)


def test_the_catalogue_holds_every_tr_string_of_the_source(tmp_path):
    copy = tmp_path / "lmscope_zh_CN.ts"
    shutil.copy(ts_path("zh_CN"), copy)
    sources = sorted(str(p.relative_to(ROOT)) for room in ("gui", "widgets") for p in (ROOT / room).rglob("*.py"))
    subprocess.run([tool("pyside6-lupdate"), "-locations", "none", "-no-obsolete", *sources, "-ts", str(copy)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    extracted = {(c, s) for c, s, _ in messages(copy)}
    committed = {(c, s) for c, s, _ in messages(ts_path("zh_CN"))}
    assert extracted - committed == set(), "run `make translations` and translate the new strings"
    assert committed - extracted == set(), "run `make translations` to drop strings the code no longer has"


def test_the_committed_qm_is_compiled_from_the_ts(tmp_path):
    out = tmp_path / "lmscope_zh_CN.qm"
    subprocess.run([tool("pyside6-lrelease"), str(ts_path("zh_CN")), "-qm", str(out)], check=True,
                   capture_output=True, timeout=60)
    assert out.read_bytes() == qm_path("zh_CN").read_bytes(), "run `make translations`"


def test_backend_labels_the_widgets_show_are_in_the_terms_context():
    terms = {s: t.text for c, s, t in messages(ts_path("zh_CN")) if c == "Terms"}
    labels = [*SITE_LABELS.values(), *(header for _, header, _ in STAT_COLUMNS), *STAGE_LABELS.values(),
              *SUMMARY_METRICS.values(), *CONDITIONS, VARIABLES, *SCRIPTS, TIE_RULE, PRETOKENIZE_RULE,
              *ABLATION_MODES, *STRATEGIES, *PAD_SIDES, *COLOURS, POS_COLUMN, *POS_CLASSES.values(), *BUILTIN.values()]
    assert [label for label in labels if label not in terms] == []
    assert terms["residual in"] == "残差流输入" and terms["softmax pattern"].startswith("softmax")


def test_the_model_named_sites_and_their_notes_are_translated(qapp):
    """backend/stats.py model_sites names sites after the model ("RMSNorm 1 normalized", "expert 3 post-activation"):
    each shape is translated as a template, the norm's name kept in Latin, and the MoE notes are terms."""
    install_language("zh_CN")
    for config in ({"norm": "rmsnorm", "ffn": "moe", "n_experts": 2, "n_shared": 1},
                   {"norm": "layernorm", "ffn": "moe", "kind": "hf"}, {}):
        labels, notes = model_sites(config)
        for label in labels.values():
            shown = site_term(label)
            assert re.search(r"[\u4e00-\u9fff]", shown) and not re.search(r"normalized|activation|expert", shown), \
                (label, shown)
        assert all(re.search(r"[\u4e00-\u9fff]", term(note)) for note in notes.values()), notes
    assert site_term("RMSNorm 1 normalized") == "RMSNorm 1 归一化后"
    assert site_term("shared expert 0 post-activation") == "共享专家 0 激活后"
    assert site_term("MLP pre-activation (per expert: none)") == "MLP 激活前（按专家划分：无）"
    install_language("en")
    assert site_term("LayerNorm 2 normalized") == "LayerNorm 2 normalized"


def test_installing_zh_cn_translates_ours_and_qts_own_dialogs(qapp):
    assert install_language("zh_CN") == "en"
    assert QCoreApplication.translate("MainWindow", "&File") == "文件(&F)"
    assert QCoreApplication.translate("Terms", "top-k") == "top-k"  # technical terms stay in Latin
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"  # qtbase_zh_CN.qm from PySide6
    assert install_language("en") == "zh_CN"
    assert QCoreApplication.translate("MainWindow", "&File") == "&File"
    with pytest.raises(LanguageError):
        install_language("xx")


def test_language_comes_from_the_option_then_the_settings_then_the_system(tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert choose_language(None, settings) == system_language()
    settings.setValue("interface/language", "zh_CN")
    assert choose_language(None, settings) == "zh_CN"
    assert choose_language("en", settings) == "en"
    settings.setValue("interface/language", "klingon")  # a hand-edited file: ignored
    assert choose_language(None, settings) == system_language()
    assert system_language(QLocale(QLocale.Language.Chinese, QLocale.Country.Taiwan)) == "zh_CN"
    assert system_language(QLocale(QLocale.Language.German)) == "en"
    with pytest.raises(LanguageError):
        choose_language("fr", settings)
    assert build_parser().parse_args(["--language", "zh_CN"]).language == "zh_CN"
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--language", "fr"])
    assert exit_.value.code == 2


def _math(page: str) -> list[str]:
    """The formulas' sub- and superscripts, entities and code, which a translation must keep as they are."""
    prose = ("&amp;", "&mdash;", "&ndash;", "&hellip;", "&nbsp;")  # punctuation, which Chinese writes its own way
    return sorted(m for m in re.findall(r"<su[bp]>.*?</su[bp]>|&[a-zA-Z]+;|<code>.*?</code>", page) if m not in prose)


def test_every_help_page_has_a_faithful_chinese_page():
    english = sorted(p.stem for p in (help_folder() / "en").glob("*.html"))
    assert sorted(p.stem for p in (help_folder() / "zh_CN").glob("*.html")) == english
    for name in english:
        en, zh = help_html(name, "en"), help_html(name, "zh_CN")
        assert zh != en and re.search(r"[\u4e00-\u9fff]", zh), name
        assert zh.count("<li>") == en.count("<li>") and zh.count("<h3>") == en.count("<h3>"), name
        assert [m for m in _math(en) if m not in _math(zh)] == [], name
