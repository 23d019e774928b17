"""Issue 18: the language picker in the sidebar. The Overview, the sidebar and the page titles follow it;
the choice is kept for the session (st.session_state) across reruns and pages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from views.language import LANGUAGE_KEY

TITLES = {"en": "Overview", "es": "Resumen", "zh": "概览"}
YEAR_LABEL = {"en": "School year", "es": "Año escolar", "zh": "学年"}
LIKELY = {"en": "times as likely as", "es": "veces más probabilidades que", "zh": "的可能性是"}


def _sentences(app: AppTest, words: str) -> list[str]:
    return [m.value for m in app.markdown if words in m.value]


def test_the_overview_in_spanish_and_in_chinese(at: AppTest) -> None:
    assert at.title[0].value == TITLES["en"]
    english = _sentences(at, LIKELY["en"])
    assert english
    for lang in ("es", "zh", "es"):
        at.sidebar.selectbox(key=LANGUAGE_KEY).select(lang).run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert at.session_state[LANGUAGE_KEY] == lang
        assert at.title[0].value == TITLES[lang]
        assert at.sidebar.selectbox[0].label == YEAR_LABEL[lang]
        assert at.sidebar.header[0].value == {"es": "Filtros", "zh": "筛选条件"}[lang]
        translated = _sentences(at, LIKELY[lang])
        assert len(translated) == len(english)  # the same findings, each said in the language
        assert not _sentences(at, LIKELY["en"])
        assert [m.label for m in at.metric][:1] == [YEAR_LABEL[lang]]
    at.sidebar.selectbox(key=LANGUAGE_KEY).select("en").run()
    assert at.title[0].value == TITLES["en"]
    assert _sentences(at, LIKELY["en"]) == english
