"""Highlights: the short passage of an article that best matches the query, words marked.

Built in Python from the article's own text on both engines, so a snippet reads the same on
SQLite and PostgreSQL: the window of WINDOW words holding the most distinct query terms.
"""

import html
from collections import Counter

from app.search.analysis import term, words

WINDOW = 30


def _marked(text: str, analyser: str, wanted: set[str]) -> list[tuple[int, int, str | None]]:
    """(start, end, matched term or None) of every word of `text`."""
    out = []
    for match in words(text):
        found = term(match.group(), analyser)
        out.append((match.start(), match.end(), found if found in wanted else None))
    return out


def _best_window(marks: list[tuple[int, int, str | None]]) -> tuple[int, int]:
    """Indexes [first, last) of the WINDOW-word stretch with the most distinct terms, then hits."""
    best, best_score = (0, min(WINDOW, len(marks))), (-1, -1)
    seen: Counter[str] = Counter()
    hits = 0
    for end, (_, _, found) in enumerate(marks):
        if found:
            seen[found] += 1
            hits += 1
        start = end - WINDOW + 1
        if start > 0:
            dropped = marks[start - 1][2]
            if dropped:
                seen[dropped] -= 1
                hits -= 1
                if not seen[dropped]:
                    del seen[dropped]
        score = (len(seen), hits)
        if score > best_score and found:
            best, best_score = (max(start, 0), end + 1), score
    # Centre the hits in the window, so that words after the last one show too.
    hit_at = [i for i in range(*best) if marks[i][2]]
    if not hit_at:
        return best
    pad = (WINDOW - (hit_at[-1] - hit_at[0] + 1)) // 2
    first = max(0, min(hit_at[0] - pad, len(marks) - WINDOW))
    return first, min(len(marks), first + WINDOW)


def _render(text: str, marks: list[tuple[int, int, str | None]], first: int, last: int) -> str:
    pieces = ["…" if first > 0 else ""]
    cursor = marks[first][0]
    for start, end, found in marks[first:last]:
        if found:
            pieces.append(html.escape(text[cursor:start]))
            pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
            cursor = end
    pieces.append(html.escape(text[cursor : marks[last - 1][1]]))
    pieces.append("…" if last < len(marks) else "")
    return " ".join("".join(pieces).split())  # one line: paragraph breaks become spaces


def snippet(title: str, text: str, analyser: str, wanted: set[str]) -> str:
    """HTML-escaped text with `<mark>` around matched words: from the text, else the title."""
    for candidate in (text, title):
        marks = _marked(candidate, analyser, wanted)
        if any(found for _, _, found in marks):
            return _render(candidate, marks, *_best_window(marks))
    for candidate in (text, title):  # nothing marked (a word PostgreSQL split differently)
        marks = _marked(candidate, analyser, set())
        if marks:
            return _render(candidate, marks, 0, min(WINDOW, len(marks)))
    return ""
