"""A settings file that is not JSON: the problem names the line and the column in words an
administrator reads (not Python's json message) and shows the line with a caret under the place."""

from __future__ import annotations

import pytest

from app import cli
from app import settings as settings_mod
from app.settings import SettingsError


def _problem(tmp_path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "settings.json"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(SettingsError) as caught:
        settings_mod.load(path)
    (problem,) = caught.value.problems
    return str(problem)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{\n  "version": 1\n  "server": {}\n}\n', "line 3, column 3: a comma is missing before this"),
        ('{\n  "version": 1,\n}\n', "line 2, column 15: there is a comma before }: remove it"),
        ('{"rules": [1,\n]}', "line 1, column 13: there is a comma before ]: remove it"),
        (
            '{"server": {"hostname": "tenso.test}}\n',
            'line 1, column 25: a quote is missing: this text has no closing "',
        ),
        ('{"server": {"hostname": "tenso.test"', "line 1, column 37: the file ends too early"),
        ('{"queue": {"dir": "C:\\Tenso"}}', "line 1, column 22: write a backslash twice in JSON"),
        ("{'version': 1}", "line 1, column 2: JSON needs double quotes"),
    ],
)
def test_the_common_mistakes_are_worded(tmp_path, text, expected):
    found = _problem(tmp_path, text)
    assert found.startswith(f"(file): {expected}"), found
    assert "Expecting" not in found and "char " not in found


def test_the_line_is_shown_with_a_caret_under_the_place(tmp_path):
    found = _problem(tmp_path, '{\n  "version": 1\n  "server": {}\n}\n')
    assert found.endswith('\n      "server": {}\n      ^'), found


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_file_saved_as_utf_16_is_named_so(tmp_path, encoding):
    found = _problem(tmp_path, '{"version": 1}\n', encoding)
    assert "is not JSON text: it was saved as UTF-16" in found and "save it again as UTF-8" in found


def test_check_prints_the_worded_problem(tmp_path, capsys):
    path = tmp_path / "settings.json"
    path.write_text('{\n  "version": 1,\n}\n', encoding="utf-8")
    assert cli.main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 2, column 15: there is a comma before }: remove it" in err, err
