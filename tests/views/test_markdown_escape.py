"""views.text.escape_markdown: text from data files shown literally by Streamlit's Markdown.

What a browser makes of the escaped text is checked in test_browser.py (a school named as an image link loads
nothing); here: every special character is escaped, nothing else changes, and the text comes back unchanged."""

from __future__ import annotations

import re

from fixtures.apptest import plain as unescape
from hypothesis import given
from hypothesis import strategies as st

from views.text import MARKDOWN_SPECIAL, WORD_JOINER, escape_markdown

HOSTILE = "![x](http://127.0.0.1:9/beacon.png) School :red[alert]"


def unescaped_specials(markdown: str) -> list[str]:
    """The special characters of `markdown` that no backslash escapes."""
    return [c for c in re.sub(r"\\.", "", markdown) if c in MARKDOWN_SPECIAL]


@given(st.text())
def test_every_special_character_is_escaped_and_the_text_comes_back(text: str) -> None:
    escaped = escape_markdown(text)
    assert unescaped_specials(escaped) == []
    folded = re.sub(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*", " ", text)
    assert unescape(escaped) == folded.replace(WORD_JOINER, "")
    assert "\n" not in escaped and "\r" not in escaped


@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="".join(MARKDOWN_SPECIAL) + "\r\n\x0b\x0c")))
def test_text_without_special_characters_is_unchanged(text: str) -> None:
    assert escape_markdown(text) == text


def test_an_image_link_and_a_colour_directive_are_escaped() -> None:
    escaped = escape_markdown(HOSTILE)
    assert "![" not in escaped and "](" not in escaped and ":red[" not in escaped
    assert escaped.startswith(r"\!\[x\]\(http\:")
    assert unescape(escaped) == HOSTILE


def test_patterns_found_after_parsing_are_broken_by_a_word_joiner() -> None:
    """Streamlit finds icons, emoji and bare links in the parsed text, where escapes are gone: a word joiner
    stays inside each of them."""
    for pattern in (":material_home:", ":streamlit:", ":smile:", "www.example.org", "ann@example.org",
                    "http://127.0.0.1:9/x"):
        shown = re.sub(r"\\(.)", r"\1", escape_markdown(pattern))
        assert WORD_JOINER in shown, pattern
        assert pattern not in shown
    assert escape_markdown("Note: ends here.") == r"Note\: ends here\."  # no joiner where nothing follows


def test_latex_html_headings_and_lists_are_escaped() -> None:
    assert escape_markdown("$x$ <b>") == r"\$x\$ \<b\>"
    assert escape_markdown("# title\n- item\n\n1. one") == r"\# title \- item 1\. one"
    assert escape_markdown("a | b ~~c~~ `d` *e* _f_ {g} =h &amp;") == r"a \| b \~\~c\~\~ \`d\` \*e\* \_f\_ \{g\} \=h \&amp;"
    assert escape_markdown(2.5) == r"2\.5"
