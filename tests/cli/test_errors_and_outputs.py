"""Exit codes, one-line errors without a traceback, Ctrl-C, and atomic output folders (issue 15, command line).

The papers are replaced by fast fakes (monkeypatched into :data:`jaxtrade.replication.PAPERS`)
so that ``jaxtrade replicate`` runs in well under a second; the proximity cases use the
``tiny`` synthetic preset.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

import pytest

import jaxtrade.replication as replication
from jaxtrade.cli import build_parser, main
from jaxtrade.cli.common import EXIT_CODES_HELP, EXIT_INTERRUPTED, run_guarded
from jaxtrade.replication.heo_kim_empirics import pipeline
from jaxtrade.reporting import OUTPUT_MARKER, Section, atomic_output_dir, check_output_dir

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _all_parsers(parser: argparse.ArgumentParser, path=("jaxtrade",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _all_parsers(child, (*path, name))


def test_every_command_help_states_the_exit_codes():
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) >= 12  # jaxtrade, 5 commands and their sub-commands
    for path, parser in parsers:
        text = parser.format_help()
        for code in ("0 success", "1 a solver did not converge", "2 invalid input", "130 interrupted"):
            assert code in " ".join(text.split()), f"{' '.join(path)} --help lacks {code!r}"


def test_output_folder_behaviour_is_in_the_help():
    parsers = dict(_all_parsers(build_parser()))
    for path in [("jaxtrade", "replicate"), ("jaxtrade", "proximity", "build"), ("jaxtrade", "multiproduct", "policy"),
                 ("jaxtrade", "multiproduct", "solve")]:  # fmt: skip
        text = " ".join(parsers[path].format_help().split())
        assert "replaces the folder as a whole" in text and OUTPUT_MARKER in text, path
    text = " ".join(parsers[("jaxtrade", "replicate")].format_help().split())
    for name in replication.PAPERS:  # what --full does, per paper, with a run time
        assert f"{name}:" in text
    assert "min" in text


# ---------------------------------------------------------------------------
# user mistakes: one line on stderr, exit code 2
# ---------------------------------------------------------------------------


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"jaxtrade {command}: ") and "Traceback" not in err
    return lines[0]


def test_missing_input_file(tmp_path, capsys):
    code = main(["proximity", "build", "--input", str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "nope.parquet" in _one_line_error(capsys, "proximity build")
    assert not (tmp_path / "o").exists()


def test_out_is_an_existing_file(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("keep me")
    assert main(["replicate", "--out", str(target), "--no-progress"]) == 2
    assert "exists and is not a folder" in _one_line_error(capsys, "replicate")
    assert target.read_text() == "keep me"


def test_out_below_a_file_is_not_writable(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["proximity", "build", "--synthetic", "tiny", "--out", str(tmp_path / "file" / "o")]) == 2
    assert "not a directory" in _one_line_error(capsys, "proximity build")


def test_unrelated_folder_is_refused_and_kept(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    assert main(["replicate", "--out", str(mine), "--no-progress"]) == 2
    assert "did not write" in _one_line_error(capsys, "replicate")
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]


def test_invalid_flag_value_and_unknown_paper(tmp_path, capsys):
    assert main(["vertical", "--sigma", "abc"]) == 2  # argparse's own usage error
    assert "invalid float value: 'abc'" in capsys.readouterr().err
    assert main(["replicate", "--paper", "ruhl2008", "--out", str(tmp_path / "r")]) == 2
    assert "invalid choice: 'ruhl2008'" in capsys.readouterr().err
    assert main(["multiproduct", "policy", "--experiment", "trade-war", "--T", "1"]) == 2
    assert "--T must be >= 2" in _one_line_error(capsys, "multiproduct policy")


def test_bad_data_folder_fails_before_any_paper(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(replication.PAPERS, "ara-zhang", _never)
    argv = ["replicate", "--paper", "ara-zhang", "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    assert "eu-trade-fixest.csv" in _one_line_error(capsys, "replicate")


def _never(*args, **kwargs):
    raise AssertionError("the paper should not run")


def test_no_traceback_in_a_real_process(tmp_path):
    """``python -m jaxtrade`` on a missing file: exit 2, one line on stderr."""
    res = subprocess.run(
        [sys.executable, "-m", "jaxtrade", "proximity", "build", "--input", str(tmp_path / "missing.csv"),
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("jaxtrade proximity build: "), res.stderr
    assert "missing.csv" in lines[0]


@pytest.mark.parametrize(
    "error",
    [PermissionError(13, "Permission denied", "/x/report"), IsADirectoryError(21, "Is a directory", "/x"),
     NotADirectoryError(20, "Not a directory", "/x/f"), FileNotFoundError(2, "No such file or directory", "/x/in")],
)  # fmt: skip
def test_os_errors_map_to_exit_2(error, capsys):
    def body():
        raise error

    assert run_guarded("replicate", body) == 2
    line = _one_line_error(capsys, "replicate")
    assert error.filename in line


# ---------------------------------------------------------------------------
# Ctrl-C and atomic outputs
# ---------------------------------------------------------------------------


def _fake_paper(tag: str, *, interrupt: bool = False):
    """A paper run writing a figure named after ``tag`` (then, with ``interrupt``, a Ctrl-C)."""

    def run(out_dir, *, full=False, data=None, status=None):
        out_dir = pathlib.Path(out_dir)
        figure = out_dir / f"figure_{tag}.png"
        figure.write_bytes(b"png")
        if status:
            status("writing")
        if interrupt:
            raise KeyboardInterrupt
        sec = Section(f"Fake {tag}", paper="fake")
        sec.add_figure(f"figure {tag}", figure)
        return sec

    return run


def _files(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_rerun_replaces_the_report_folder_as_a_whole(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report"
    monkeypatch.setitem(replication.PAPERS, "ruhl", _fake_paper("first"))
    assert main(["replicate", "--paper", "ruhl", "--out", str(out)]) == 0
    assert _files(out) == [OUTPUT_MARKER, "figure_first.png", "report.md"]
    assert "jaxtrade replicate: ruhl: writing" in capsys.readouterr().err  # stage lines
    monkeypatch.setitem(replication.PAPERS, "ruhl", _fake_paper("second"))
    assert main(["replicate", "--paper", "ruhl", "--out", str(out), "--no-progress"]) == 0
    assert _files(out) == [OUTPUT_MARKER, "figure_second.png", "report.md"]
    assert "figure_second.png" in (out / "report.md").read_text()
    assert _files(tmp_path) == ["report"]  # no temporary folder left beside it


def test_interrupted_replicate_keeps_the_previous_report(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report"
    monkeypatch.setitem(replication.PAPERS, "ruhl", _fake_paper("first"))
    assert main(["replicate", "--paper", "ruhl", "--out", str(out), "--no-progress"]) == 0
    before = (out / "report.md").read_text()
    monkeypatch.setitem(replication.PAPERS, "ruhl", _fake_paper("second", interrupt=True))
    assert main(["replicate", "--paper", "ruhl", "--out", str(out), "--no-progress"]) == EXIT_INTERRUPTED
    assert _one_line_error(capsys, "replicate") == "jaxtrade replicate: interrupted"
    assert _files(out) == [OUTPUT_MARKER, "figure_first.png", "report.md"]
    assert (out / "report.md").read_text() == before
    assert _files(tmp_path) == ["report"]


def test_interrupt_outside_a_command_guard(monkeypatch, capsys):
    import jaxtrade.cli as cli

    def parser(command=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", parser)
    assert cli.main(["vertical"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "jaxtrade: interrupted"


def test_proximity_rebuild_drops_tables_of_the_earlier_build(tmp_path, capsys):
    out = tmp_path / "prox"
    assert main(["proximity", "build", "--synthetic", "tiny", "--out", str(out), "--no-progress"]) == 0
    for (
        name
    ) in pipeline.TABLES_FILES:  # what `jaxtrade proximity tables` leaves (run for real in test_documented_commands)
        (out / name).write_text("Table of the first build")
    assert main(["proximity", "build", "--synthetic", "tiny", "--seed", "5", "--out", str(out), "--no-progress"]) == 0
    names = _files(out)
    assert "proximity_table.parquet" in names and OUTPUT_MARKER in names
    assert not set(pipeline.TABLES_FILES) & set(names)  # no Table 1/2 of the first build beside the new table
    assert _files(tmp_path) == ["prox"]


def test_interrupted_proximity_tables_keep_the_previous_files(tmp_path, monkeypatch, capsys):
    out = tmp_path / "prox"
    assert main(["proximity", "build", "--synthetic", "tiny", "--out", str(out), "--no-progress"]) == 0
    (out / "table1.csv").write_text("previous")

    def interrupted(table, folder, **kwargs):
        (pathlib.Path(folder) / "table1.csv").write_text("partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "tables_for", interrupted)
    assert main(["proximity", "tables", str(out)]) == EXIT_INTERRUPTED
    assert (out / "table1.csv").read_text() == "previous"
    assert not [p for p in out.iterdir() if p.name.startswith(".tables.tmp")]


# ---------------------------------------------------------------------------
# the helper itself
# ---------------------------------------------------------------------------


def test_atomic_output_dir_rules(tmp_path):
    out = tmp_path / "o"
    with atomic_output_dir(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out and not out.exists()
        (tmp / "a.txt").write_text("1")
    assert _files(out) == [OUTPUT_MARKER, "a.txt"]
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "b.txt").write_text("2")
        raise RuntimeError("boom")
    assert _files(out) == [OUTPUT_MARKER, "a.txt"] and _files(tmp_path) == ["o"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with atomic_output_dir(empty) as tmp:
        (tmp / "c.txt").write_text("3")
    assert _files(empty) == [OUTPUT_MARKER, "c.txt"]
    with pytest.raises(ValueError, match="--out: .* exists and is not a folder"):
        check_output_dir(empty / "c.txt", what="--out")


def test_exit_codes_help_text_is_one_convention():
    assert "0 success" in EXIT_CODES_HELP and "130 interrupted" in EXIT_CODES_HELP
