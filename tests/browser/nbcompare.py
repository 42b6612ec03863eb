"""A lesson run in the browser, checked the way nbval checks it: one run serves both.

The browser suite runs every lesson that shows widgets in JupyterLab anyway. Comparing
the outputs the page then holds with the ones stored in the lesson, by nbval's own rules
(its cell tags and comment markers, its merged streams, the same fields left out: widget
model ids, images, metadata, tracebacks), makes nbval's second run of those lessons
redundant; ``tests/conftest.py`` leaves them out of a session that runs the browser suite.
``pytest --nbval lessons/`` alone still runs every lesson under nbval itself.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags

# The fields nbval leaves out of a comparison (without --nbdime): never the same twice.
NOT_COMPARED = frozenset(
    {
        "metadata",
        "traceback",
        "prompt_number",
        "output_type",
        "name",
        "execution_count",
        "application/vnd.jupyter.widget-view+json",
        "image/png",
        "image/jpeg",
    }
)


def cell_options(cell) -> dict:
    """nbval's options for one code cell: tags first, comment markers over them."""
    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    options.setdefault("check", True)
    return options


def _joined(value: object) -> object:
    """A text stored as a list of lines (as notebook files may hold it) as one string."""
    return "".join(value) if isinstance(value, list) else value


def _by_field(outputs: list) -> dict[str, list]:
    """Outputs as nbval compares them: each field (a stream by its name, each mime type of
    ``data``) with the list of its values, in order."""
    fields: dict[str, list] = defaultdict(list)
    plain = [
        {k: _joined(v) if k == "text" else v for k, v in o.items()}
        | ({"data": {m: _joined(v) for m, v in o["data"].items()}} if "data" in o else {})
        for o in outputs
    ]
    for out in coalesce_streams([nbformat.from_dict(o) for o in plain]):
        if out.output_type == "stream":
            fields[out.name].append(out.text)
            continue
        for key, value in out.items():
            if key == "data":
                for mime, item in value.items():
                    if mime not in NOT_COMPARED:
                        fields[mime].append(item)
            elif key not in NOT_COMPARED:
                fields[key].append(value)
    return dict(fields)


def _first_difference(stored: object, ran: object) -> str:
    if isinstance(stored, str) and isinstance(ran, str):
        old, new = stored.splitlines(), ran.splitlines()
        for line, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return f"line {line + 1}: stored {a!r}, ran {b!r}"
        return f"stored {len(old)} lines, ran {len(new)}"
    return f"stored {stored!r:.200}, ran {ran!r:.200}"


def differences(lesson: Path, ran: dict[int, list]) -> list[str]:
    """Where the outputs of a run differ from those stored in ``lesson``, as nbval would
    report them (``Cell N`` counts code cells, as nbval's test names do).

    ``ran`` maps each code cell's index in the notebook to the outputs it produced.
    """
    found = []
    code = 0
    for index, cell in enumerate(nbformat.read(lesson, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        name, code = f"Cell {code}", code + 1
        options = cell_options(cell)
        if options.get("skip") or not options["check"] or cell.execution_count is None:
            continue
        stored, got = _by_field(cell.outputs), _by_field(ran.get(index, []))
        if stored.keys() != got.keys():
            missing, extra = sorted(stored.keys() - got.keys()), sorted(got.keys() - stored.keys())
            found.append(f"{name}: outputs differ: missing {missing}, unexpected {extra}")
            continue
        for key, values in stored.items():
            if len(values) != len(got[key]):
                found.append(f"{name}: {len(values)} stored {key!r} outputs, {len(got[key])} ran")
                break
            diff = next(((a, b) for a, b in zip(values, got[key], strict=True) if a != b), None)
            if diff is not None:
                found.append(f"{name}: {key!r} differs: {_first_difference(*diff)}")
                break
    return found
