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
from collections.abc import Iterable
from pathlib import Path

from bot.i18n import Locale

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "bot"
LOCALES = ROOT / "media" / "locales"
SANDBOX = CODE / "sandbox"

# Keys the code builds from a value at run time, as the code writes them with the value left
# out ("control.{}" for f"control.{c.value}", or "set.name." + name). A key these make counts
# as used. Keep it short: the tests below fail when the code no longer builds one of them, and
# when the code builds a key this list does not name.
DYNAMIC: dict[str, str] = {
    "command.{}": "a command's menu line, per ROUTES.menus (app.py, service/therapist.py)",
    "th.command.{}": "a therapist's own wording of a command in /help (service/therapist.py)",
    "control.{}": "a control button's words; Control's values are keys (service/present.py)",
    "ys.offer.outcome.{}": "an outcome's view offered back, per point of the scale "
                           "(service/features/you_said.py)",
    "day.{}": "a weekday: 'Sam should read it on Monday' (features/safeguarding.py)",
    "safety.when.{}": "when the service reads an alert: hours' NextRead.kind (safeguarding.py)",
    "set.name.{}": "a setting's name on /settings, per CHOICES entry (bot/preferences.py)",
    "mydata.what.{}": "an audit action in the /mydata PDF's 'who looked' (safety/export_pdf.py)",
    "summary.relationship.{}": "a supporter's relationship in the summary (summary/words.py)",
    "summary.listened.{}": "'did they listen?' answers (summary/words.py, you_said.py)",
    "summary.section.{}": "a summary section's title (summary/words.py, picture.py)",
    "summary.verdict.{}": "a day's verdict in the summary PDF (summary/pdf.py)",
    "section_a.phrase.{}.{}": "a card's phrase in a Section A part (summary/section_a.py)",
    "section_a.future_area.{}": "a sentence for a My future area (summary/section_a.py)",
    "section_a.their.{}": "what a supporter's words answer, per heading (summary/section_a.py)",
    "summary.{}": "a helper with no symbol, as helped_unknown: not asked (summary/model.py)",
    "ys.theme.{}": "'you said' wording per summary heading (features/you_said.py)",
    "ys.thanks.{}": "the thanks per 'did they listen?' answer (features/you_said.py)",
    "{}_kept": "'Got your photo': the kind of media kept, voice or photo (young_person.py)",
    "{}_prompt": "an engine step's question in /mydata, as helped_prompt (safety/export.py)",
    "sandbox.{}": "the sandbox page's error words: _error(\"error.too_big\") (sandbox/web.py)",
}
# Where a template could make far more keys than the code does, the keys it does make.
NARROWER: dict[str, str] = {
    "summary.{}": r"summary\.helped_[a-z_]+",  # only a helper's key reaches it
    "{}_kept": r"(?:voice|photo)_kept",  # young_person._KEPT_KINDS
    "{}_prompt": r"(?:helped|review|change)_prompt",  # the engine's own steps, _helped...
    "sandbox.{}": r"sandbox\.(?:error\.[a-z_]+|resetting)",  # _error(...) in sandbox/web.py
}
# Text the code builds the same way that is not a locale key.
NOT_KEYS = frozenset({
    "helped_{}",  # a helper's symbol id (summary/model.py)
    "card_{}",  # a personal card's symbol id (store/media_repo.py)
    "{}_new",  # a column's temporary name in a migration (store/migrations/)
})
SANDBOX_PAGE = {  # built in chat.js, which gets the sandbox.* words without their prefix
    "sandbox.role.{}": "a persona's role name: say(`role.${persona.key}`)",
    "sandbox.hint.{}": "a persona's hint: say(`hint.${persona.key}`)",
}
_SHORTEST = 3  # letters around the {}: fewer ("{}.{}", "q{}") build ids, never a key


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


def templates_in_code() -> set[str]:
    """Every string the Python in bot/ builds with a value left out: f"control.{c.value}" is
    "control.{}", and "set.name." + name is "set.name.{}"."""
    found: set[str] = set()
    for path in CODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                found.add("".join(v.value if isinstance(v, ast.Constant) else "{}"
                                  for v in node.values))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                found.add(node.left.value + "{}")
    return {t for t in found if re.fullmatch(r"[a-z_.{}]+", t) and "{}" in t
            and len(t.replace("{}", "")) >= _SHORTEST}


def _matcher(templates: Iterable[str], *, narrow: bool = True) -> re.Pattern[str]:
    """One pattern for the keys any of `templates` can make ({} is one or more key letters),
    or, with `narrow`, the keys NARROWER says it does make."""
    parts = [(NARROWER.get(t) if narrow else None) or "[a-z_.]+".join(map(re.escape, t.split("{}")))
             for t in templates]
    return re.compile("|".join(f"(?:{p})" for p in parts) or "(?!)")


def _locale_keys() -> dict[str, set[str]]:
    """Each language folder's keys, read the way the bot reads them."""
    return {folder.name: set(Locale.load(LOCALES, folder.name).keys())
            for folder in sorted(LOCALES.iterdir()) if folder.is_dir()}


def unused_keys() -> dict[str, list[str]]:
    """Per language, the keys nothing in bot/ uses (empty lists when all are used)."""
    used = _python_strings(CODE) | _sandbox_page_keys()
    built = _matcher([*DYNAMIC, *SANDBOX_PAGE])
    return {language: sorted(k for k in keys if k not in used and not built.fullmatch(k))
            for language, keys in _locale_keys().items()}


def test_every_locale_key_is_used() -> None:
    unused = {language: keys for language, keys in unused_keys().items() if keys}
    assert not unused, (
        f"locale keys nothing uses: {unused}. Delete them from media/locales/, or, if the code "
        "builds the key from a value, add how it builds it to DYNAMIC in this file.")


def test_dynamic_names_exactly_the_keys_the_code_builds() -> None:
    """Each DYNAMIC entry is still built by the code, and each key-like string the code
    builds from a value is in DYNAMIC (or NOT_KEYS), so no key is deleted while in use."""
    english = _locale_keys()["en"]
    in_code = templates_in_code()
    assert set(NARROWER) <= set(DYNAMIC)
    gone = sorted(set(DYNAMIC) - in_code)
    assert not gone, f"DYNAMIC entries the code no longer builds: {gone}"
    script = (SANDBOX / "static" / "chat.js").read_text(encoding="utf-8")
    assert all(t.removeprefix("sandbox.").replace("{}", "${") in script for t in SANDBOX_PAGE)
    unnamed = sorted(t for t in in_code - set(DYNAMIC) - NOT_KEYS
                     if any(_matcher([t], narrow=False).fullmatch(k) for k in english))
    assert not unnamed, (f"the code builds locale keys {unnamed} from a value: add each to "
                         "DYNAMIC in this file with a word on where, or to NOT_KEYS")


def test_the_check_sees_an_unused_key() -> None:
    """The scan would catch a new unused key (it is not passing because it reads nothing)."""
    english = _locale_keys()["en"]
    used = _python_strings(CODE) | _sandbox_page_keys()
    assert "nobody.uses.this_key" not in used
    assert "th.help_title" in used and "sandbox.title" in used and "sandbox.reset_yes" in used
    assert english  # the English words were read
