"""The package installs like one (issue 17, items 2 and 4): a LICENSE, one version, a wheel without
the reference solutions, and a checker that works from an installed wheel, away from the checkout."""
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import tinygrad_rnn
from tinygrad_rnn.cli import main
from tinygrad_rnn.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
                              "tour-output", "runs", "*.pyc")


def test_license_is_mit_as_pyproject_says():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the tinygrad_rnn authors" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "MIT"}


def test_the_version_is_written_once(capsys):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tinygrad_rnn.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", tinygrad_rnn.__version__)
    assert importlib.metadata.version("tinygrad-rnn") == tinygrad_rnn.__version__
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-rnn {tinygrad_rnn.__version__}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout (a build in the checkout would write build/ there)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    assert (source / "tests" / "solutions" / EXERCISES[0].filename).is_file()     # there to be left out
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(work / "dist"), str(source)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    (found,) = (work / "dist").glob("tinygrad_rnn-*.whl")
    return found


def test_the_wheel_holds_the_package_and_no_solution(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith(f"tinygrad_rnn-{tinygrad_rnn.__version__}-")
    assert "tinygrad_rnn/exercises/checks/ex01_central_difference.py" in names       # the checks, yes
    assert "tinygrad_rnn/tasks/data/" in "".join(names)                              # the package data
    assert not [n for n in names if "solutions" in n or n.startswith(("tests/", "tutorials/"))]
    for exercise in EXERCISES:        # no solution under another name: no copy of a solution's code
        solution = (ROOT / "tests" / "solutions" / exercise.filename).read_text()
        body = solution.split('"""', 2)[2].strip()
        for name in names:
            if name.endswith(".py"):
                assert body not in zipfile.ZipFile(wheel).read(name).decode("utf-8"), (exercise.name, name)
    assert any(n.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in n for n in names)


def outer_site_dirs() -> list[str]:
    """The folders this interpreter imports installed packages from (its venv's, the system's, the
    user's), and not the checkout: `--system-site-packages` would give a venv made from a venv's
    python the *base* interpreter's packages instead (issue 26, item 1)."""
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def test_the_checker_works_from_an_installed_wheel(wheel, tmp_path):
    """Installed into a fresh venv that sees this environment's packages (NumPy, threadpoolctl, ...),
    whether or not this python is itself a venv's, and run from a temporary folder: the checkout is not
    on sys.path, so this is the wheel's code."""
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}      # the checkout is not seen, nor installed
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                               env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Then (not before: pip would find this environment's tinygrad-rnn and install nothing) a .pth file
    # whose lines are appended to sys.path after the venv's own site-packages, so the wheel's code comes
    # first; .pth files in those folders are not run, so an editable install of the checkout stays unseen.
    (Path(purelib) / "outer_environment.pth").write_text("\n".join(outer_site_dirs()) + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*argv):
        return subprocess.run([str(python), *argv], cwd=work, env=env, capture_output=True, text=True)

    where = run("-c", "import tinygrad_rnn, tinygrad_rnn.exercises; print(tinygrad_rnn.__file__)")
    assert where.returncode == 0 and str(venv) in where.stdout, where.stdout + where.stderr
    assert run("-c", "import tinygrad_rnn.exercises.solutions").returncode != 0
    listed = run("-m", "tinygrad_rnn", "check", "--list")
    assert listed.returncode == 0 and "ex14_cell_state_path" in listed.stdout, listed.stdout + listed.stderr
    assert "--dir FOLDER" in listed.stdout                     # no stubs here: it says how to show the status
    mine = work / "ex06_rnn_step.py"
    mine.write_text((ROOT / "tests" / "solutions" / "ex06_rnn_step.py").read_text())
    graded = run("-m", "tinygrad_rnn", "check", "--file", str(mine))
    assert graded.returncode == 0 and "-> passed (3/3 checks pass)" in graded.stdout, graded.stdout + graded.stderr
    alone = run("-m", "tinygrad_rnn", "check", "ex06")
    assert alone.returncode == 2 and "--dir FOLDER" in alone.stderr
    version = run("-m", "tinygrad_rnn", "--version")
    assert version.stdout.strip() == f"tinygrad-rnn {tinygrad_rnn.__version__}"


def test_tour_links_name_the_chapter_without_a_checkout(tmp_path):
    from tinygrad_rnn.cli.tour import summary
    chapter = {"path": "tutorials/07-lstm.md", "heading": "The cell path"}
    assert summary.chapter_link(chapter, tmp_path).startswith("[07-lstm.md § The cell path](")
    shown = summary.chapter_link(chapter, tmp_path, tutorials=tmp_path / "no-such-folder")
    assert "07-lstm.md" in shown and "The cell path" in shown and "](" not in shown
