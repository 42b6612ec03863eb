"""The course: exercises that check themselves, and the student / instructor builds.

The builds change exercise cells only (tested cell by cell), so every other cell is the
lesson's own, which nbval runs strictly in this same suite. The exercise cells are run
here, each exercise on its own in a fresh namespace: the instructor's answers pass their
checks, the student's stubs fail only with their NotImplementedError, and a wrong answer
gets a sentence with a hint, not a bare AssertionError.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gankit as gk
from gankit.course.build import BEGIN, END, build, build_notebook, solution, stub

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def _exercises(nb: dict) -> list[tuple[str, str, str]]:
    """(number, solution source, check source) of each exercise, in order."""
    cells, out = nb["cells"], []
    for i, cell in enumerate(cells):
        if "solution" in _tags(cell):
            check = cells[i + 1]
            assert "check" in _tags(check), "a solution cell is followed by its check"
            out.append((cell["metadata"]["exercise"], _src(cell), _src(check)))
    return out


def test_every_lesson_ends_with_exercises_that_check_themselves():
    for path in LESSONS:
        nb = _nb(path)
        found = _exercises(nb)
        number = path.name[:2]
        assert len(found) >= 2, f"{path.name}: {len(found)} exercises"
        assert [n for n, _, _ in found] == [f"{number}.{k}" for k in range(1, len(found) + 1)]
        for n, answer, check in found:
            assert BEGIN in answer and END in answer, n
            assert f'gk.course.check(\n    "{n}"' in check, n
        last = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
        assert "check" in _tags(last), f"{path.name} must end with its exercises"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name[:2])
def test_answers_pass_their_checks_and_stubs_raise_only_their_error(lesson, capsys):
    for number, answer, check in _exercises(_nb(lesson)):
        scope: dict = {}
        exec(solution(answer), scope)  # noqa: S102 - the lesson's own cells
        exec(check, scope)  # noqa: S102
        assert capsys.readouterr().out.startswith(f"exercise {number}: right")

        scope = {}
        exec(stub(answer, number), scope)  # noqa: S102 - the student build's cells
        with pytest.raises(NotImplementedError, match=rf"^exercise {number}: write "):
            exec(check, scope)  # noqa: S102


def test_a_wrong_answer_gets_a_sentence_and_a_hint():
    nb = _nb(ROOT / "lessons" / "05_game_dynamics.ipynb")
    number, answer, check = _exercises(nb)[0]
    wrong = stub(answer, number).replace(
        f'raise NotImplementedError("exercise {number}: write the body of extragradient_rate '
        '(the task is above)")',
        "return np.sqrt(1 + eta**2)  # simultaneous steps' rate, not extragradient's",
    )
    scope: dict = {}
    exec(wrong, scope)  # noqa: S102
    with pytest.raises(gk.course.ExerciseError) as info:
        exec(check, scope)  # noqa: S102
    message = str(info.value)
    assert message.startswith(f"exercise {number}: extragradient_rate(0.1) gives 1.00499")
    assert "the reference gives 0.99503" in message and "Hint: " in message
    assert isinstance(info.value, AssertionError)  # nbval and pytest still see a failure


def test_check_reports_an_answer_that_raises_and_takes_tuples():
    def broken(eta):
        return eta / 0

    with pytest.raises(gk.course.ExerciseError, match=r"broken\(0\) raised ZeroDivisionError"):
        gk.course.check("00.1", broken, lambda eta: eta, inputs=[0], hint="h")
    gk.course.check("00.2", lambda a, b: a * b, lambda a, b: b * a, inputs=[(2.0, 3.0)])
    with pytest.raises(gk.course.ExerciseError, match=r"gives \[1 2\], the reference gives 1"):
        gk.course.check("00.3", lambda: [1, 2], lambda: 1, inputs=[()])


def test_stub_and_solution_markers():
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    )
    assert stub(source, "01.1") == (
        "def f(x):\n    y = 1\n"
        '    raise NotImplementedError("exercise 01.1: write the body of f (the task is above)")'
    )
    assert solution(source) == "def f(x):\n    y = 1\n    return x + y"
    for bad in ("x = 1", f"{BEGIN}\nx = 1", f"{END}\nx = 1", f"{BEGIN}\n{BEGIN}\n{END}"):
        with pytest.raises(ValueError, match="exercise 01.1"):
            stub(bad, "01.1")
    with pytest.raises(ValueError, match="kind must be one of student, instructor"):
        build_notebook({"cells": []}, "teacher")


def test_the_two_builds_change_exercise_cells_only(tmp_path):
    counts = build(ROOT / "lessons", tmp_path)
    assert set(counts) == {p.name for p in LESSONS} and min(counts.values()) >= 2
    for path in LESSONS:
        lesson = _nb(path)
        student, instructor = (
            _nb(tmp_path / kind / path.name) for kind in ("student", "instructor")
        )
        for orig, s, i in zip(lesson["cells"], student["cells"], instructor["cells"], strict=True):
            tags = _tags(orig)
            if "solution" in tags:
                number = orig["metadata"]["exercise"]
                assert f'NotImplementedError("exercise {number}: ' in _src(s)
                body = _src(orig).split(BEGIN)[1].split(END)[0].strip()
                assert body not in _src(s), f"{number}: the student build shows the answer"
                assert body in _src(i) and BEGIN not in _src(i) and END not in _src(i)
            if {"solution", "check"} & tags:
                assert s["outputs"] == [] and s["execution_count"] is None
                assert i["outputs"] == orig["outputs"]
            else:
                assert s == orig and i == orig, "a cell outside the exercises changed"
        assert lesson["metadata"] == student["metadata"] == instructor["metadata"]


def _course(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gankit.course", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_course_command_builds_both(tmp_path):
    done = _course("build", "--out", str(tmp_path / "course"), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"built {len(LESSONS)} lessons with" in done.stdout
    for kind in ("student", "instructor"):
        assert sorted(p.name for p in (tmp_path / "course" / kind).glob("*.ipynb")) == [
            p.name for p in LESSONS
        ]
    missing = _course("build", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert missing.returncode == 2 and "no notebooks in lessons" in missing.stderr
