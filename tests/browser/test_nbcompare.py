"""The browser suite's check of a lesson's outputs: nbval's rules, and it can fail.

No browser here: the outputs a run "produced" are written by the test, so each rule is
shown passing and failing on its own.
"""

from __future__ import annotations

import copy
import json

import nbformat

from .labdriver import ROOT
from .nbcompare import differences

LESSON = ROOT / "lessons" / "01_the_gan_game.ipynb"


def _stored(path) -> dict[int, list]:
    cells = json.loads(path.read_text())["cells"]
    return {i: copy.deepcopy(c["outputs"]) for i, c in enumerate(cells) if c["cell_type"] == "code"}


def _write(tmp_path, cells: list) -> object:
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    return path


def _code(source: str, outputs: list, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(source, execution_count=1, outputs=outputs)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _out(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_a_lesson_run_that_matches_its_stored_outputs_passes_and_a_changed_number_fails():
    ran = _stored(LESSON)
    assert differences(LESSON, ran) == []
    index, outputs = next((i, o) for i, o in ran.items() if any("text" in x for x in o))
    stream = next(x for x in outputs if "text" in x)
    stream["text"] = "".join(stream["text"]) + "0.001\n"
    (found,) = differences(LESSON, ran)
    assert found.startswith("Cell ") and "'stdout'" in found, found


def test_nbvals_rules_streams_merged_ignored_cells_and_uncompared_fields(tmp_path):
    path = _write(
        tmp_path,
        [
            _code("print(1); print(2)", [_out("1\n2\n")]),
            _code("panel", [_out("drawn at 12:03\n")], tags=["nbval-ignore-output"]),
            _code(
                "x",
                [
                    nbformat.v4.new_output(
                        "execute_result",
                        data={"text/plain": "3", "image/png": "aGVsbG8="},
                        execution_count=3,
                    )
                ],
            ),
        ],
    )
    result = {"output_type": "execute_result", "execution_count": 9, "metadata": {}}
    ran = {
        0: [_out("1\n"), _out("2\n")],  # the page may hold a stream in pieces
        1: [_out("drawn at 12:04\n")],  # tagged: not compared
        2: [{**result, "data": {"text/plain": "3", "image/png": "b3RoZXI="}}],  # png: not
    }
    assert differences(path, ran) == []
    ran[0] = [_out("1\n3\n")]
    ran[2] = [{**result, "data": {"text/plain": "4"}}]
    assert differences(path, ran) == [
        "Cell 0: 'stdout' differs: line 2: stored '2', ran '3'",
        "Cell 2: 'text/plain' differs: line 1: stored '3', ran '4'",
    ]
    ran[0] = []
    assert differences(path, ran)[0] == "Cell 0: outputs differ: missing ['stdout'], unexpected []"
