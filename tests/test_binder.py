"""Binder set-up: binder/ alone must build an environment that runs the lessons.

With a binder/ folder, repo2docker ignores the root pyproject.toml, so a dependency added
there and forgotten in binder/requirements.txt would break every Binder launch while all
other tests stay green. These tests catch that: the lists must agree, and a fresh virtual
environment built exactly the way repo2docker builds (``pip install -r
binder/requirements.txt`` with the repository as working directory, then ``./binder/postBuild``
from the repository root) must run a lesson.

The build installs JAX, Keras and JupyterLab from scratch (with uv where the test
environment has it: under a minute; with pip alone about two and a half, most of it
unpacking); ``GANKIT_SKIP_BINDER_BUILD=1`` skips that one test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

# Packages binder/requirements.txt may list beyond [project] dependencies: Binder's base image
# already has JupyterLab, a bare virtual environment does not (and the test needs it).
EXTRA_ALLOWED = {"jupyterlab"}
# The lesson the build test has postBuild run (and warm the compilation cache with).
PREFERRED_LESSON = "01_the_gan_game.ipynb"


def _read_requirements(path: Path) -> dict[str, Requirement]:
    reqs = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return reqs


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _runtime_version() -> str:
    text = (BINDER / "runtime.txt").read_text().strip()
    name, _, version = text.partition("-")
    assert name == "python" and version.count(".") == 1, (
        f"binder/runtime.txt must read python-X.Y, got {text!r}"
    )
    return version


def test_binder_requirements_mirror_pyproject() -> None:
    project = _pyproject()["project"]
    wanted = {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}
    have = _read_requirements(BINDER / "requirements.txt")
    missing = sorted(set(wanted) - set(have))
    assert not missing, f"binder/requirements.txt lacks {missing} from pyproject dependencies"
    for name, req in wanted.items():
        assert have[name].specifier == req.specifier, (
            f"{name}: binder/requirements.txt says {have[name].specifier or 'any'}, "
            f"pyproject says {req.specifier or 'any'}"
        )
        assert not have[name].extras or name != "jax", "Binder has no GPU: plain CPU jax only"
    extra = sorted(set(have) - set(wanted))
    assert set(extra) <= EXTRA_ALLOWED, f"binder/requirements.txt has unexpected {extra}"


def test_binder_runtime_satisfies_requires_python() -> None:
    spec = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert Version(_runtime_version()) in spec


def test_binder_scripts_are_executable_and_start_execs() -> None:
    for name in ("postBuild", "start"):
        mode = (BINDER / name).stat().st_mode
        assert mode & stat.S_IXUSR, f"binder/{name} must be executable"
        assert (BINDER / name).read_text().startswith("#!/bin/bash\n")
    # start must hand over to the command Binder gives it, exit status included.
    done = subprocess.run(
        [str(BINDER / "start"), "bash", "-c", 'echo "backend=$KERAS_BACKEND"; exit 7'],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"},
        timeout=30,
    )
    assert done.returncode == 7
    assert done.stdout.strip() == "backend=jax"


def _fresh_checkout(dest: Path) -> Path:
    """Copy the files a clone would hold (tracked plus untracked-but-not-ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, listed):
        src = ROOT / os.fsdecode(rel)
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / os.fsdecode(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    # Lessons reach the MNIST digits as ../shared/data/mnist from the repository root.
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (dest.parent / "shared").symlink_to(shared)
    return dest


@pytest.mark.skipif(
    os.environ.get("GANKIT_SKIP_BINDER_BUILD", "") not in ("", "0"),
    reason="GANKIT_SKIP_BINDER_BUILD is set (the build takes minutes)",
)
def test_binder_builds_fresh_env_and_runs_a_lesson(tmp_path: Path) -> None:
    repo = _fresh_checkout(tmp_path / "repo")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "VIRTUAL_ENV", "PYTHON", "KERAS_BACKEND"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        # Keep the kernel spec and config of this machine's user out of the way.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        GANKIT_FAST="1",
        # postBuild warms the compilation cache by running lessons: here one, into a
        # cache folder of the test's own.
        GANKIT_WARM_LESSONS="lessons/" + PREFERRED_LESSON,
        GANKIT_CACHE_DIR=str(tmp_path / "jax-cache"),
        # Byte-compiling every installed module is most of pip's CPU time; Python compiles
        # what it imports anyway.
        PIP_NO_COMPILE="1",
    )
    if "PIP_CACHE_DIR" not in env:  # HOME may change below; keep pip's cache where it is.
        env["PIP_CACHE_DIR"] = subprocess.run(
            [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True
        ).stdout.strip() or str(home / "pip-cache")

    def run(args: list[str], **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, **kw)
        assert done.returncode == 0, (
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
            f"\n{done.stderr[-3000:]}"
        )
        return done

    # What repo2docker does, in its order and from its working directory (the repo root).
    # The requirements go in with uv when the test environment has it: the same packages
    # pip would choose, in seconds instead of a minute and a half (pip unpacks JAX and
    # JupyterLab file by file); postBuild then runs pip itself, as on Binder.
    requirements = ["install", "-q", "-r", "binder/requirements.txt"]
    if importlib.util.find_spec("uv") is not None:
        run(
            [sys.executable, "-m", "uv", "pip", *requirements, "--python", str(bin_dir / "python")],
            timeout=600,
        )
    else:
        run([str(bin_dir / "pip"), *requirements], timeout=600)
    postbuild = repo / "binder" / "postBuild"
    postbuild.chmod(postbuild.stat().st_mode | stat.S_IXUSR)
    built = run(["./binder/postBuild"], timeout=900)
    # postBuild ran the lesson in the new environment (nbconvert --execute: every cell,
    # none raising) and kept what it compiled.
    assert f"compiled programs of lessons/{PREFERRED_LESSON} kept" in built.stdout, built.stdout
    assert any((tmp_path / "jax-cache").rglob("*")), "postBuild left the compilation cache empty"

    # gankit must come from the regular install, not from this checkout or the dev tree,
    # and the install carries the shipped MNIST test split (package data).
    found, digits = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import gankit; print(gankit.__file__); print(len(gankit.data.mnist('test')[0]))",
        ],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if k != "GANKIT_MNIST_DIR"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(found).is_relative_to(venv), f"gankit imported from {found}, not the new env"
    assert digits == "10000", f"the installed gankit has {digits} shipped test digits"
    # The kernel that runs the lesson must be the new environment's Python.
    specs = json.loads(run([str(bin_dir / "jupyter"), "kernelspec", "list", "--json"]).stdout)
    resource_dir = Path(specs["kernelspecs"]["python3"]["resource_dir"])
    assert resource_dir.is_relative_to(venv), f"python3 kernel comes from {resource_dir}"
