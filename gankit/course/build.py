"""One source, two builds: ``student/`` and ``instructor/`` notebooks from ``lessons/``.

In a lesson, a code cell tagged ``solution`` (cell metadata ``tags``, with its exercise
number under ``exercise``) holds the answer between ``### BEGIN SOLUTION`` and ``###
END SOLUTION``. The student build replaces each answer by a stub that raises
``NotImplementedError("exercise 05.1: ...")`` and clears the outputs of solution and
``check`` cells; the instructor build keeps the answers and drops the two marker lines.
Every other cell is copied unchanged.

>>> print(stub("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION", "01.1"))
def f(x):
    raise NotImplementedError("exercise 01.1: write the body of f (the task is above)")
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_TAG, CHECK_TAG = "solution", "check"
BUILDS = ("student", "instructor")
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def stub(source: str, exercise: str) -> str:
    """``source`` with each marked answer replaced by a ``NotImplementedError`` stub."""
    out, inside, found, function = [], False, False, "the answer"
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"exercise {exercise}: {BEGIN} inside another answer")
            indent = line[: len(line) - len(line.lstrip())]
            what = f"the body of {function}" if function != "the answer" else "the answer"
            out.append(
                f'{indent}raise NotImplementedError("exercise {exercise}: write {what} '
                '(the task is above)")'
            )
            inside = found = True
        elif marker == END:
            if not inside:
                raise ValueError(f"exercise {exercise}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            match = _DEF.match(line)
            if match:
                function = match.group(1)
            out.append(line)
    if inside or not found:
        raise ValueError(f"exercise {exercise}: the solution cell needs {BEGIN} ... {END}")
    return "\n".join(out)


def solution(source: str) -> str:
    """``source`` with the marker lines dropped: the answer as the instructor reads it."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def build_notebook(notebook: dict, kind: str) -> tuple[dict, int]:
    """The ``kind`` build of one notebook (a dict as stored); and its number of exercises."""
    if kind not in BUILDS:
        raise ValueError(f"kind must be one of {', '.join(BUILDS)}, got {kind!r}")
    nb = copy.deepcopy(notebook)
    exercises = 0
    for cell in nb.get("cells", []):
        tags = _tags(cell)
        if cell.get("cell_type") != "code" or not ({SOLUTION_TAG, CHECK_TAG} & set(tags)):
            continue
        if SOLUTION_TAG in tags:
            exercises += 1
            number = str(cell.get("metadata", {}).get("exercise", "?"))
            text = _source(cell)
            cell["source"] = _lines(stub(text, number) if kind == "student" else solution(text))
        if kind == "student":
            cell["outputs"], cell["execution_count"] = [], None
    return nb, exercises


def build(lessons: str | os.PathLike, out: str | os.PathLike) -> dict[str, int]:
    """Write ``out/student/*.ipynb`` and ``out/instructor/*.ipynb`` from ``lessons``.

    Returns the number of exercises in each lesson, by file name.
    """
    source = Path(lessons)
    files = sorted(source.glob("*.ipynb"))
    if not files:
        raise FileNotFoundError(
            f"lessons: no notebooks in {source}; pass the repository's lessons/ folder"
        )
    counts: dict[str, int] = {}
    for kind in BUILDS:
        target = Path(out) / kind
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            notebook = json.loads(path.read_text(encoding="utf-8"))
            built, counts[path.name] = build_notebook(notebook, kind)
            text = json.dumps(built, indent=1, ensure_ascii=False) + "\n"
            (target / path.name).write_text(text, encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python -m gankit.course build --out DIR [--lessons DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m gankit.course",
        description="Build student and instructor notebooks from the lessons.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write DIR/student and DIR/instructor")
    make.add_argument("--out", required=True, help="folder to write the two builds into")
    make.add_argument(
        "--lessons", default="lessons", help="the lessons folder (default: ./lessons)"
    )
    args = parser.parse_args(argv)
    try:
        counts = build(args.lessons, args.out)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))  # one line on stderr, exit status 2
    total = sum(counts.values())
    print(
        f"built {len(counts)} lessons with {total} exercises into "
        f"{Path(args.out) / 'student'} and {Path(args.out) / 'instructor'}"
    )
    for name, n in counts.items():
        print(f"  {name}: {n} exercises")
    return 0
