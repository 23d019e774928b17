"""The language of the app's words, chosen in the sidebar and kept for the session.

`_()` translates one of the app's messages (the catalogue, `equity_metrics.core.i18n`) into the session's
language; `tr()` is that language's translator (glossary terms, numbers, percents). The sidebar's picker
writes `st.session_state[LANGUAGE_KEY]`; app.py reads it before the navigation, so page titles follow it.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from equity_metrics.core.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, Translator, language, translator

LANGUAGE_KEY = "language"


def current_language() -> str:
    """The session's language code ('en', 'es', 'zh'); English when none was chosen or the value is unknown."""
    try:
        return language(st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE))
    except ValueError:
        return DEFAULT_LANGUAGE


def tr() -> Translator:
    return translator(current_language())


def _(message: str) -> str:
    """One of the app's messages in the session's language."""
    return tr().gettext(message)


def _keep_choices(keys: Sequence[str]) -> None:
    """Before the run in the new language: write each widget's value back into the session, so the widget
    keeps it. (The browser sends a select box's choice as its label; once the labels are in another language,
    that label would match no option and the box would fall back to its first option.)"""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def language_picker(keep: Sequence[str] = ()) -> str:
    """The sidebar's language box (each language named in itself); the chosen code. `keep`: the keys of the
    widgets whose option labels are translated, kept as they are when the language changes."""
    if st.session_state.get(LANGUAGE_KEY) not in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = DEFAULT_LANGUAGE
    st.selectbox("Language · Idioma · 语言", LANGUAGES, key=LANGUAGE_KEY, format_func=LANGUAGE_NAMES.get,
                 on_change=_keep_choices, args=(tuple(keep),),
                 help=_("The language of the app's words. Reports and exports can be made in another language."))
    return current_language()
