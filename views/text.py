"""Text from data files and from users, made safe for Streamlit's Markdown.

Streamlit renders st.markdown, st.caption, st.subheader, alerts, toasts, expander and widget labels as
Markdown with its own extensions: `:red[...]` colours, `:material/...:` icons, emoji shortcodes, `$...$`
LaTeX, links, images (which the browser fetches) and, with some calls, HTML. School names, codes, column
headers, file names, goal notes and sentences built from them must show literally: every text that did not
come from this app's own code goes through `escape_markdown` before it is put into such a call.
"""

from __future__ import annotations

import re

# Every ASCII character Markdown, GitHub-flavoured Markdown or Streamlit's extensions give a meaning to.
# CommonMark lets a backslash escape any ASCII punctuation, so escaping one that needs none is harmless.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$=&^@/")
# Some patterns are found in the text after Markdown has parsed it (escapes already gone) and turned into links,
# icons or emoji: `http://x`, `www.x.org`, `a@b.org`, `:material_home:`, `:streamlit:`, `:smile:`. An invisible
# word joiner inside each breaks them: after a colon or @ that text follows, between "www" and its full stop.
WORD_JOINER = "\u2060"
_JOINS = re.compile(r"(?<=[:@])(?=\S)|(?i:(?<=www)(?=\.))")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*")


def escape_markdown(text: object) -> str:
    """`text` (any value, shown with str()) as Markdown that shows it literally, on one line: line breaks folded
    into one space, word joiners where Streamlit would otherwise find a link, icon or emoji, and every Markdown
    special character backslash-escaped. No link, image, HTML tag, heading, list, table, colour, icon, emoji
    shortcode or formula can come out of it."""
    joined = _JOINS.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", str(text)))
    return "".join(f"\\{char}" if char in MARKDOWN_SPECIAL else char for char in joined)
