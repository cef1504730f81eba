"""The interface language: lmscope's own Qt translations plus Qt's for its standard dialogs, which language to start
in (``--language``, else the saved choice, else the system locale), and switching it while the app runs.

Sources are ``resources/i18n/lmscope_<language>.ts`` (extracted from every ``tr()`` by ``make translations``); the
compiled ``.qm`` beside them is what is loaded. English is the source language and needs no file.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QSettings,
    QTranslator,
)

LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文"}  # each language named in itself, as menus do
DEFAULT_LANGUAGE = "en"
SETTINGS_KEY = "interface/language"


class LanguageError(ValueError):
    """A language lmscope has no translation for."""


def i18n_folder() -> Path:
    return Path(str(resources.files("lmscope.resources"))) / "i18n"


def ts_path(language: str) -> Path:
    return i18n_folder() / f"lmscope_{language}.ts"


def qm_path(language: str) -> Path:
    return i18n_folder() / f"lmscope_{language}.qm"


def system_language(locale: QLocale | None = None) -> str:
    """The supported language closest to the system locale: any Chinese locale reads the zh_CN interface (there is
    no traditional-script translation yet, and simplified text is more readable to a zh_TW reader than English)."""
    locale = locale or QLocale.system()
    return "zh_CN" if locale.language() == QLocale.Language.Chinese else DEFAULT_LANGUAGE


def choose_language(option: str | None, settings: QSettings | None) -> str:
    """``--language`` wins, then the choice saved from View → Language, then the system locale."""
    if option is not None:
        if option not in LANGUAGES:
            raise LanguageError(f"Unknown interface language {option!r}; choose one of {', '.join(LANGUAGES)}.")
        return option
    saved = settings.value(SETTINGS_KEY) if settings is not None else None
    if isinstance(saved, str) and saved in LANGUAGES:
        return saved
    return system_language()


class _Installed:
    """The translators installed on the application now (kept referenced: Qt does not own them)."""

    language: ClassVar[str] = DEFAULT_LANGUAGE
    translators: ClassVar[list[QTranslator]] = []


def current_language() -> str:
    return _Installed.language


def install_language(language: str) -> str:
    """Install the translators of ``language`` on the running QCoreApplication, replacing the previous ones; Qt then
    sends every widget a LanguageChange event. Returns the language installed before."""
    if language not in LANGUAGES:
        raise LanguageError(f"Unknown interface language {language!r}; choose one of {', '.join(LANGUAGES)}.")
    app = QCoreApplication.instance()
    previous = _Installed.language
    for translator in _Installed.translators:
        app.removeTranslator(translator)
    _Installed.translators = []
    if language != DEFAULT_LANGUAGE:
        ours = QTranslator(app)
        if not ours.load(str(qm_path(language))):
            raise LanguageError(f"The {LANGUAGES[language]} translation is missing from this installation "
                                f"({qm_path(language).name}).")
        qt_own = QTranslator(app)  # Qt's standard dialogs and buttons (Cancel, Open…); shipped with PySide6
        translators = [ours]
        if qt_own.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            translators.append(qt_own)
        for translator in translators:
            app.installTranslator(translator)
        _Installed.translators = translators
    _Installed.language = language
    return previous
