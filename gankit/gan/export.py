"""A run to take away: the few lines of ``gk.GAN`` code that build a GAN like this one,
and a folder with its configuration, its weights and a script that goes on from them.

:func:`gan_code` writes the constructor call from what the GAN is built of (loss,
regularisers, scheme and its options, both optimizers with the numbers that differ from
Keras' defaults, noise, EMA, clipping, seed) and the numbers it trains with now.
:func:`export_run` is what the panels' Export does.

>>> import gankit as gk
>>> g, d = gk.models.mlp_generator(layers=1, units=8), gk.models.mlp_discriminator(layers=1, units=8)
>>> print(gan_code(gk.GAN(g, d, loss="hinge", reg=gk.reg.R1(2.0), seed=3), "G", "D"))
gan = gk.GAN(
    G,
    D,
    loss="hinge",
    reg=[gk.reg.R1(gamma=2.0)],
    g_optimizer=keras.optimizers.Adam(learning_rate=0.001, beta_1=0.5),
    d_optimizer=keras.optimizers.Adam(learning_rate=0.001, beta_1=0.5),
    seed=3,
)
gan.set_numbers(R1_gamma=2.0)
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import keras

from gankit.gan.checks import LEARNING_RATES

#: What an exported folder holds.
CONFIG_FILE, WEIGHTS_FILE, SCRIPT_FILE = "config.json", "run.weights.h5", "reproduce.py"


def _literal(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.7g}" if "e" in f"{value:.7g}" or "." in f"{value:.7g}" else f"{value:.1f}"
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as the formatter writes them
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def _optimizer_code(optimizer: keras.optimizers.Optimizer, numbers: dict) -> str:
    """``keras.optimizers.Adam(learning_rate=..., beta_1=0.5)``: the arguments that differ
    from Keras' defaults, at the values training reads now (``numbers``, by argument)."""
    cls = type(optimizer)
    config = {**optimizer.get_config(), **numbers}
    defaults = {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    args = []
    for name, value in config.items():
        if name == "name" or name not in defaults:
            continue
        if isinstance(value, float) and isinstance(defaults[name], int | float):
            same = f"{value:.7g}" == f"{float(defaults[name]):.7g}"
        else:
            same = value == defaults[name]
        if name == "learning_rate" or not same:
            args.append(f"{name}={_literal(value)}")
    where = "keras.optimizers" if cls.__module__.startswith("keras") else "gk.optimizers"
    return f"{where}.{cls.__name__}({', '.join(args)})"


def gan_code(gan: Any, generator: str = "generator", discriminator: str = "discriminator") -> str:
    """Python source that builds a :class:`gankit.GAN` configured like ``gan``.

    ``generator`` and ``discriminator`` are the expressions the code uses for the two
    networks. The numbers training reads now (a regulariser's weight moved by a slider,
    say) follow in a ``gan.set_numbers(...)`` line; learning rates are the optimizers'.
    """
    config = gan.get_config()
    lines = [f"    {generator},", f"    {discriminator},", f"    loss={_literal(config['loss'])},"]
    if gan.regs:
        lines.append(f"    reg=[{', '.join(f'gk.reg.{r!r}' for r in gan.regs)}],")
    if config["scheme"] != "simultaneous":
        lines.append(f"    scheme={_literal(config['scheme'])},")
    options = dict(config["scheme_options"])
    if config["scheme"] in ("alternating", "consensus", "sga"):
        for key in ("d_steps", "g_steps", "gamma", "lam"):
            if key in options:
                lines.append(f"    {key}={_literal(options.pop(key))},")
    if options:
        lines.append(f"    scheme_options={_literal(options)},")
    hyper, own = gan.hyper, {}
    for prefix, opt in (("g_", gan.g_optimizer), ("d_", gan.d_optimizer)):
        names = set(opt.get_config()) & {k[2:] for k in hyper if k.startswith(prefix)}
        own[prefix] = {name: hyper[prefix + name] for name in names}
        lines.append(f"    {prefix}optimizer={_optimizer_code(opt, own[prefix])},")
    for key, default in (("noise", "gaussian"), ("ema", None), ("weight_clip", None)):
        if config[key] != default:
            lines.append(f"    {key}={_literal(config[key])},")
    lines.append(f"    seed={config['seed']},")
    code = "gan = gk.GAN(\n" + "\n".join(lines) + "\n)"
    taken = {prefix + name for prefix, names in own.items() for name in names}
    numbers = {k: v for k, v in hyper.items() if k not in LEARNING_RATES and k not in taken}
    if numbers:
        code += f"\ngan.set_numbers({', '.join(f'{k}={_literal(v)}' for k, v in numbers.items())})"
    return code


def export_run(
    gan: Any,
    folder: str | os.PathLike,
    *,
    networks: str,
    data: str,
    batch_size: int,
    note: str = "",
) -> Path:
    """Write ``folder/config.json``, ``folder/run.weights.h5`` and ``folder/reproduce.py``.

    ``networks`` is the code that makes ``generator`` and ``discriminator`` as the
    panel built them, ``data`` the code that makes the real data ``x``. The script
    builds the same GAN, loads the weights and continues the run; it also says how to
    train it again from scratch. Returns the folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = gan.get_config()
    config["step"] = gan.step
    config["batch_size"] = batch_size
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1, default=str))
    gan.save_checkpoint(folder / WEIGHTS_FILE)
    script = f'''"""A gankit run exported at step {gan.step}{": " + note if note else ""}.

Run this file next to {WEIGHTS_FILE}: it builds the same GAN, loads the run and goes on.
From scratch instead: build the networks with the same seed and skip load_checkpoint;
{gan.step} steps of train_steps(x, ..., batch_size={batch_size}) then give these weights
if the setting did not change during the run.
"""

import gankit as gk  # first: it selects Keras' JAX backend
import keras

{networks}
{data}
{gan_code(gan)}
gan.load_checkpoint("{WEIGHTS_FILE}")  # the run as exported (step {gan.step})
losses = gan.train_steps(x, steps=100, batch_size={batch_size})  # and 100 steps more
print("step", gan.step, "D loss, G loss", losses[-1])
'''
    (folder / SCRIPT_FILE).write_text(script)
    return folder
