"""Every ``jaxtrade`` command line the README and docs show works as shown.

Commands are taken from fenced code blocks and inline code spans of
``README.md`` and ``docs/**/*.md``:

* a command name in prose (only sub-command words, e.g. ``jaxtrade proximity
  build``) must name an existing sub-command;
* a concrete command (options, no ``[...]``, ``(a | b)``, ``a|b`` or UPPER-CASE
  placeholders) is parsed by the real parser (:func:`jaxtrade.cli.build_parser`),
  so an unknown sub-command, flag or choice fails the test;
* a synopsis (with such metasyntax) has each of its options and each listed
  choice checked against the parser;
* a representative subset runs in-process at small settings (:data:`RUN`);
  every other concrete command is listed in :data:`PARSE_ONLY` with the reason,
  and a command in neither list fails :func:`test_every_concrete_command_is_classified`,
  so a newly documented command cannot be skipped silently.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shlex

import pytest

from jaxtrade.cli import build_parser, main

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_INLINE = re.compile(r"(?<!`)`((?:python3? -m )?jaxtrade [^`]+)`(?!`)")
_START = re.compile(r"(?:^|&&|;|\|\|)\s*((?:python3? -m )?jaxtrade(?:\s.*)?)$")
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$")


def _commands() -> list[tuple[str, str, str]]:
    """(where, kind, command) for every jaxtrade command line of the docs (kind: "block" or "inline")."""
    found: list[tuple[str, str, str]] = []

    def add(where: str, text: str, kind: str = "block") -> None:
        text = " ".join(text.split())
        text = re.sub(r"\s+#.*$", "", text).strip()
        text = re.sub(r"^python3? -m jaxtrade", "jaxtrade", text)
        found.append((where, kind, text))

    for path in DOC_FILES:
        text = path.read_text()
        rel = path.relative_to(ROOT).as_posix()
        blocks = list(_FENCE.finditer(text))
        for block in blocks:
            for line in block.group(1).splitlines():
                m = _START.search(line.split("  #")[0])
                if m and not line.lstrip().startswith(("import ", "from ", ">>>")):
                    add(rel, m.group(1))
        outside = _FENCE.sub("", text)
        for m in _INLINE.finditer(outside):
            add(rel, m.group(1), "inline")
    return found


COMMANDS = _commands()


def _is_synopsis(command: str) -> bool:
    tokens = command.split()
    return any(ch in command for ch in "[]()|") or any(_PLACEHOLDER.match(t) for t in tokens)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _subcommand_path(words: list[str]) -> list[str] | None:
    """``words`` if each names a sub-command of the one before (a command name), else ``None``."""
    parser = build_parser()
    for word in words:
        children = _subparsers(parser)
        if word not in children:
            return None
        parser = children[word]
    return words


def _is_name(kind: str, command: str) -> bool:
    """An inline mention of a command without options (``jaxtrade proximity build`` in prose)."""
    return kind == "inline" and all(re.fullmatch(r"[a-z][a-z-]*", w) for w in command.split()[1:])


NAMES = sorted({c for _, kind, c in COMMANDS if _is_name(kind, c)})
CONCRETE = sorted({c for _, kind, c in COMMANDS if not _is_synopsis(c) and not _is_name(kind, c)})
SYNOPSES = sorted({c for _, _, c in COMMANDS if _is_synopsis(c)})

PARSE_ONLY = {
    "jaxtrade replicate": "every paper: about 5 minutes",
    "jaxtrade replicate --out my-report": "every paper: about 5 minutes",
    "jaxtrade replicate --paper ara-zhang --data ../shared/data": "about 2 minutes; data folder outside the repo",
    "jaxtrade replicate --full": "5-40 minutes per paper (FULL_SETTINGS)",
    "jaxtrade replicate --paper ara-zhang --full": "about 8-10 minutes; its failing cell is tested in "
    "tests/replication/test_ara_zhang_panel.py",
    "jaxtrade replicate --paper heo-kim-empirics": "about 20 s plus the report machinery; covered by proximity runs",
    "jaxtrade replicate --paper heo-kim-model": "a few minutes (twelve policy transitions)",
    "jaxtrade vertical --json": "run in-process by tests/cli/test_main.py (vertical --json); its second process "
    "reading stored programs in tests/test_program_cache.py",
    "jaxtrade vertical --sigma 4 --k 4.5 --tau-ji 1.3 --json": "minutes on a 2-core CPU (general-equilibrium lemma "
    "signs); tested at the library level in tests/models",
    "jaxtrade multiproduct solve --preset standard --json": "about 50 s with figures; run at small settings in "
    "tests/cli/test_multiproduct.py",
    "jaxtrade multiproduct calibrate --preset standard --out cal": "about a minute per preset",
    "jaxtrade multiproduct policy --experiment liberalization --schedule psi2 --figures figs": "a transition solve",
    "jaxtrade multiproduct policy --tables": "twelve transitions, 1-2 minutes",
    "jaxtrade multiproduct policy --tables --params table4": "twelve transitions, 1-2 minutes",
    "jaxtrade sunk-cost krusell-smith --n-phi 40 --n-kappa 40": "Krusell-Smith loop, about a minute",
}
"""Documented concrete commands checked by the parser only, with why they are not run here."""

RUN = {
    "jaxtrade --help": [],
    "jaxtrade replicate --help": [],
    "jaxtrade sunk-cost steady-state --json": ["--n-phi", "40", "--n-kappa", "40"],
    "jaxtrade proximity build --synthetic small --out prox": ["--no-progress"],
    "jaxtrade proximity tables prox": [],
}
"""Documented commands run in-process, with the flags that make them small (appended, so they win)."""

SMALLER = {"--synthetic": {"small": "tiny"}}
"""Option values swapped for smaller ones when a documented command runs (same code path, smaller data)."""


@pytest.mark.parametrize("name", NAMES)
def test_command_name_exists(name):
    """A command named in prose (``jaxtrade proximity build``) is a real sub-command."""
    assert _subcommand_path(name.split()[1:]) is not None, f"{name!r} names no jaxtrade sub-command"


def test_docs_show_commands():
    assert len(CONCRETE) >= 10, CONCRETE
    assert any(c.startswith("jaxtrade replicate") for c in CONCRETE)


@pytest.mark.parametrize("command", CONCRETE)
def test_concrete_command_parses(command, capsys):
    parser = build_parser()
    argv = shlex.split(command)[1:]
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help exits 0; a usage error exits 2
        assert done.code == 0, f"{command!r}: {capsys.readouterr().err}"
        return
    assert getattr(args, "func", None) is not None or argv == [], f"{command!r} names no command"


@pytest.mark.parametrize("synopsis", SYNOPSES)
def test_synopsis_options_exist(synopsis):
    """Each sub-command, option and listed choice of a synopsis exists in the parser."""
    parser = build_parser()
    tokens = [t.strip("[]()") for t in synopsis.split()[1:]]
    tokens = [t for t in tokens if t and t != "|"]
    while tokens and tokens[0] in _subparsers(parser):
        parser = _subparsers(parser)[tokens.pop(0)]
    options = parser._option_string_actions
    for i, token in enumerate(tokens):
        if not token.startswith("--"):
            continue
        assert token in options, f"{synopsis!r}: {token} is not an option of `{parser.prog}`"
        action = options[token]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if action.choices is not None and nxt and not nxt.startswith("--") and not _PLACEHOLDER.match(nxt):
            for choice in nxt.split("|"):
                assert choice in action.choices, f"{synopsis!r}: {token} has no choice {choice!r}"


def test_every_concrete_command_is_classified():
    """A documented command is run (RUN) or explicitly parse-only (PARSE_ONLY); the lists name real commands."""
    unclassified = [c for c in CONCRETE if c not in RUN and c not in PARSE_ONLY]
    assert not unclassified, f"add these documented commands to RUN or PARSE_ONLY: {unclassified}"
    assert not set(RUN) & set(PARSE_ONLY)
    stale = [c for c in [*RUN, *PARSE_ONLY] if c not in CONCRETE]
    assert not stale, f"no longer in the docs (remove from the lists): {stale}"


def _small_argv(command: str, tmp_path: pathlib.Path) -> list[str]:
    argv = shlex.split(command)[1:]
    for flag, swaps in SMALLER.items():
        if flag in argv:
            i = argv.index(flag) + 1
            argv[i] = swaps.get(argv[i], argv[i])
    # output folders and inputs named in the docs live under tmp_path
    return [str(tmp_path / a) if a in ("prox", "cal", "figs", "my-report") else a for a in argv] + RUN[command]


def test_documented_commands_run(tmp_path, capsys):
    """The RUN subset exits 0 in the documented order (build before tables)."""
    order = sorted(RUN, key=lambda c: ("tables" in c, c))
    for command in order:
        code = main(_small_argv(command, tmp_path))
        captured = capsys.readouterr()
        assert code == 0, f"{command!r} exited {code}: {captured.err[-2000:]}"
        assert "Traceback" not in captured.err
    assert (tmp_path / "prox" / "table1.csv").is_file()
