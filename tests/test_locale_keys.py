"""Every key in media/locales/<language>/*.yaml is used by something (issue 13, point 6).

A key counts as used when the code names it whole (a string such as "th.help_title" anywhere
in bot/), when the sandbox page names it ({{sandbox.title}} in index.html, or say("reset") in
chat.js and the sandbox's Python, which the page gets without the "sandbox." in front), or
when it matches one of the few keys the code builds from a value (DYNAMIC below). A key that
none of these reach is words nobody will ever see: delete it, or use it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.i18n import Locale

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "bot"
LOCALES = ROOT / "media" / "locales"
SANDBOX = CODE / "sandbox"

# Keys built from a value at run time: (the keys' prefix, the text in bot/ that builds them).
# Keep this short. The test also fails when the building text is gone from the code, so an
# entry cannot outlive what it excuses.
DYNAMIC: tuple[tuple[str, str], ...] = (
    # A command's menu line, one per command in ROUTES.menus (bot/app.py, service/therapist.py).
    ("command.", "command.{"),
    # A therapist's own wording of a command in /help, where it differs (service/therapist.py).
    ("th.command.", "th.command.{"),
    # A control button's words: the Control enum's values are the key (service/present.py).
    ("control.", "control.{"),
    # A weekday in "Sam should read it on Monday" (service/features/safeguarding.py).
    ("day.", "day.{"),
    # When the service will read an alert: hours.NextRead.kind (features/safeguarding.py).
    ("safety.when.", "safety.when.{"),
    # The young-person picker's question, one per purpose code (service/therapist.py).
    ("th.pick.", "th.pick.{"),
    # A setting's name on /settings, one per CHOICES entry (service/features/settings.py).
    ("set.name.", "set.name.' +"),
    # An audit action named in the /mydata PDF's "who looked" list (safety/export_pdf.py).
    ("mydata.what.", "mydata.what.{"),
    # Summary words per supporter relationship, listened answer, section and day verdict.
    ("summary.relationship.", "summary.relationship.{"),
    ("summary.listened.", "summary.listened.{"),
    ("summary.section.", "summary.section.{"),
    ("summary.verdict.", "summary.verdict.{"),
    # A helper with no symbol ("helped_unknown": the flow did not ask) (summary/model.py).
    ("summary.helped_", "summary.{key}"),
    # "You said" wording per summary heading, and the thanks per listened answer (you_said.py).
    ("ys.theme.", "ys.theme.{"),
    ("ys.thanks.", "ys.thanks.{"),
    # The sandbox page's role names and hints, one per persona (sandbox/static/chat.js).
    ("sandbox.role.", "role.${"),
    ("sandbox.hint.", "hint.${"),
)


def _python_strings(folder: Path) -> set[str]:
    """Every string constant in the Python files under `folder` (f-string parts too)."""
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _sandbox_page_keys() -> set[str]:
    """Keys the sandbox page uses: {{sandbox.x}} in its HTML; say("x") in chat.js and plain
    strings in the sandbox's Python (web.py sends every sandbox.* word to the page, without
    the prefix, and answers errors with f"sandbox.{key}")."""
    static = SANDBOX / "static"
    keys = set(re.findall(r"\{\{([a-z_.]+)\}\}", (static / "index.html").read_text("utf-8")))
    script = (static / "chat.js").read_text(encoding="utf-8")
    named = set(re.findall(r"""["'`]([a-z_]+(?:\.[a-z_]+)*)["'`]""", script))
    named |= _python_strings(SANDBOX)
    return keys | {f"sandbox.{name}" for name in named}


def _source_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8")
                     for pattern in ("*.py", "*.js") for p in CODE.rglob(pattern))


def _locale_keys() -> dict[str, set[str]]:
    """Each language folder's keys, read the way the bot reads them."""
    return {folder.name: set(Locale.load(LOCALES, folder.name).keys())
            for folder in sorted(LOCALES.iterdir()) if folder.is_dir()}


def unused_keys() -> dict[str, list[str]]:
    """Per language, the keys nothing in bot/ uses (empty lists when all are used)."""
    used = _python_strings(CODE) | _sandbox_page_keys()
    prefixes = tuple(prefix for prefix, _ in DYNAMIC)
    return {language: sorted(k for k in keys if k not in used and not k.startswith(prefixes))
            for language, keys in _locale_keys().items()}


def test_every_locale_key_is_used() -> None:
    unused = {language: keys for language, keys in unused_keys().items() if keys}
    assert not unused, (
        f"locale keys nothing uses: {unused}. Delete them from media/locales/, or, if the code "
        "builds the key from a value, add its prefix to DYNAMIC in tests/test_locale_keys.py.")


def test_each_dynamic_prefix_is_still_built_by_the_code_and_names_some_key() -> None:
    source = _source_text()
    english = _locale_keys()["en"]
    stale = [prefix for prefix, built in DYNAMIC
             if built not in source or not any(k.startswith(prefix) for k in english)]
    assert not stale, f"DYNAMIC entries nothing needs any more: {stale}"


def test_the_check_sees_an_unused_key() -> None:
    """The scan would catch a new unused key (it is not passing because it reads nothing)."""
    english = _locale_keys()["en"]
    used = _python_strings(CODE) | _sandbox_page_keys()
    assert "nobody.uses.this_key" not in used
    assert "th.help_title" in used and "sandbox.title" in used and "sandbox.reset_yes" in used
    assert english  # the English words were read
