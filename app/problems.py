"""Problems Tenso words itself, in a form the window can put in the user's language.

A ``Problem`` *is* its English text (a ``str``): the command line, the log and every caller that
only needs text use it as it is.  It also keeps its template and parameters, so the window can
look the template up in its translations and fill in the same parameters:

    >>> p = Problem("rules[0].port", "must be 1-65535")
    >>> p
    'rules[0].port: must be 1-65535'
    >>> p.worded(lambda t: {"must be 1-65535": "1〜65535 にしてください"}.get(t, t))
    'rules[0].port: 1〜65535 にしてください'

Parameters that are themselves problems are worded too; plain-text parameters named in
``translated`` (a check's message such as "must be a host name") are looked up as templates.
Everything else (addresses, host names, paths, the field) is shown as it is.
``tools/update_ts.py`` collects the templates from every ``Problem(...)`` call in app/.
"""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]


class Problem(str):
    field: str
    template: str
    params: dict[str, object]
    translated: tuple[str, ...]

    def __new__(cls, field: str, template: str, /, translated: tuple[str, ...] = (), **params: object) -> Problem:
        body = template.format(**params)
        self = super().__new__(cls, f"{field}: {body}" if field else body)
        self.field = field
        self.template = template
        self.params = params
        self.translated = translated
        return self

    def worded(self, translate: Translate) -> str:
        """This problem in the language ``translate`` speaks (the window passes its ``tr``)."""
        values = {
            name: worded(value, translate) if isinstance(value, Problem) or name in self.translated else value
            for name, value in self.params.items()
        }
        body = translate(self.template).format(**values)
        return f"{self.field}: {body}" if self.field else body

    def __reduce__(self):  # pickling (and copy) keep the parts
        return (_rebuild, (self.field, self.template, self.translated, self.params))


def _rebuild(field: str, template: str, translated: tuple[str, ...], params: dict[str, object]) -> Problem:
    return Problem(field, template, translated, **params)


def worded(text: object, translate: Translate) -> str:
    """A Problem in the language of ``translate``; other text looked up as a whole (or as it is)."""
    if isinstance(text, Problem):
        return text.worded(translate)
    return translate(str(text))
