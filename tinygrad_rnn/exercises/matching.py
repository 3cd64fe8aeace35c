"""Which file in a folder is which exercise: the one rule of ``check --dir`` and ``grade``.

    files, notes = match_files(folder, exercises)

The files directly in ``folder`` are looked at, by name:

- ``ex03_matmul_backward.py`` (the stub's exact name) is exercise 3;
- any other ``.py`` file whose name starts with ``ex03`` (``ex03_mine.py``, ``EX03_Matmul.py``) is
  exercise 3 too, with a note that says so;
- two files for one exercise: the one with the exact name, else the first by name, with a note
  naming the one not graded;
- every other file or folder is not graded, with a note, except hidden ones (``.git``,
  ``.DS_Store``), ``__pycache__``, and a README, which a folder of stubs holds.

An exercise without a file is ``missing``. Every note names the file, so a student's work under
another name is never graded without a word, nor left out without one.
"""
from pathlib import Path

from .registry import from_filename

#: names in a folder that are neither graded nor noted
_QUIET = ("__pycache__",)


def _quiet(path: Path) -> bool:
    return path.name.startswith(".") or path.name in _QUIET or path.name.lower().startswith("readme")


def match_files(folder, exercises) -> tuple:
    """({exercise name: path} for those of ``exercises`` that have a file in ``folder``, [notes]):
    the rule above. ``exercises``: ``Exercise`` objects (the ones graded; a file for another one is
    noted as not graded)."""
    folder = Path(folder)
    wanted = {e.name for e in exercises}
    candidates, notes = {}, []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if _quiet(path):
            continue
        if path.is_dir():
            notes.append(f"not graded: the folder {path.name}/ (only files directly in {folder.name}/ are)")
            continue
        exercise = from_filename(path) if path.suffix == ".py" else None
        if exercise is None:
            notes.append(f"not graded: {path.name} (not an exercise file; those are named like "
                         f"ex01_central_difference.py)")
        elif exercise.name not in wanted:
            notes.append(f"not graded: {path.name} ({exercise.short_name} is not among the exercises graded)")
        else:
            candidates.setdefault(exercise.name, []).append((exercise, path))
    files = {}
    for name, found in candidates.items():
        exercise = found[0][0]
        exact = [path for _, path in found if path.name == exercise.filename]
        chosen = exact[0] if exact else found[0][1]
        files[name] = chosen
        if chosen.name != exercise.filename:
            notes.append(f"graded {chosen.name} as {exercise.short_name} (its name starts with "
                         f"{exercise.short_name}; the stub's name is {exercise.filename})")
        for _, other in found:
            if other != chosen:
                notes.append(f"two files for {exercise.short_name}: graded {chosen.name}, not {other.name}")
    order = {e.name: i for i, e in enumerate(exercises)}
    return dict(sorted(files.items(), key=lambda item: order[item[0]])), notes


__all__ = ["match_files"]
