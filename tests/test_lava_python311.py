"""The Python 3.11 fix for lava-nc 0.10.0 (lava_vle/_lava_py311.py).

Import-order tests run in FRESH interpreters (sys.executable), because the
hook must act before Lava's first import; the parent pytest process has
usually imported lava_vle (and Lava) already.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # starts Python subprocesses that import and run Lava

from lava_vle import _lava_py311 as hook

PY311 = sys.version_info >= (3, 11)
TIMEOUT = 120


def _run(*parts, flags=(), cwd=None):
    """Run the code ``parts`` (each dedented) in a fresh interpreter.

    Returns stdout; fails the test on a non-zero exit status."""
    code = "\n".join(textwrap.dedent(part) for part in parts)
    proc = subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\n--- stdout\n{proc.stdout}"
        f"\n--- stderr\n{proc.stderr}")
    return proc.stdout


def _lava_var_model_path():
    spec = importlib.util.find_spec("lava.magma.compiler.var_model")
    assert spec is not None and spec.origin, "lava-nc is not installed"
    return spec.origin


IMPORT_ORDERS = {
    "lava_first": "",
    "lava_vle_first": "import lava_vle\n",
}


# (a), (b): importing a Lava process works whatever is imported first.
@pytest.mark.parametrize("order", sorted(IMPORT_ORDERS))
def test_import_lif(order, tmp_path):
    out = _run(IMPORT_ORDERS[order], """
        from lava.proc.lif.process import LIF
        from lava.proc.dense.process import Dense
        print("LIF", LIF.__name__, Dense.__name__)
        """, cwd=tmp_path)
    assert "LIF LIF Dense" in out


# (c): a 10-step LIF -> Dense -> LIF network runs, both import orders.
NETWORK = """
import numpy as np
from lava.proc.lif.process import LIF
from lava.proc.dense.process import Dense
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg

src = LIF(shape=(3,), bias_mant=np.array([0.6, 0.3, 0.0]), vth=1.0,
          du=0.0, dv=0.0)
dense = Dense(weights=np.full((2, 3), 0.5))
dst = LIF(shape=(2,), vth=100.0, du=0.0, dv=0.0)
src.s_out.connect(dense.s_in)
dense.a_out.connect(dst.a_in)
try:
    src.run(condition=RunSteps(num_steps=10),
            run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
    v_src, u_dst = src.v.get(), dst.u.get()
finally:
    src.stop()
print("V_SRC", list(v_src))
print("U_DST", list(u_dst))
"""


@pytest.mark.parametrize("order", sorted(IMPORT_ORDERS))
def test_lif_dense_lif_runs(order, tmp_path):
    out = _run(IMPORT_ORDERS[order], NETWORK, cwd=tmp_path)
    lines = dict(line.split(" ", 1) for line in out.splitlines()
                 if line.startswith(("V_SRC", "U_DST")))
    v_src = eval(lines["V_SRC"])  # noqa: S307 -- floats we printed
    u_dst = eval(lines["U_DST"])  # noqa: S307
    # src neuron 0 (bias 0.6, vth 1) spikes at t=2,4,6,8,10, neuron 1 (bias
    # 0.3) at t=4,8, neuron 2 (bias 0) never; v resets to 0 on a spike.
    assert v_src == pytest.approx([0.0, 0.6, 0.0])
    # Dense delivers a spike one step later and du=0 integrates, so the 6
    # spikes of t <= 9, each weighted 0.5, are in u at t=10.
    assert u_dst == pytest.approx([3.0, 3.0])


# (d): var_model is patched correctly and only in memory.
@pytest.mark.skipif(not PY311, reason="the hook acts on Python >= 3.11 only")
def test_var_model_distinct_defaults(tmp_path):
    path = _lava_var_model_path()
    with open(path, encoding="utf-8") as fh:
        before = fh.read()
    out = _run("""
        import dataclasses, linecache
        import lava.magma.compiler.var_model as vm
        a, b = vm.CoreEncoder(), vm.CoreEncoder()
        assert isinstance(a.x, vm.ByteEncoder)
        assert a.x is not b.x and a.x is not a.y and a.x == b.x
        c, d = vm.ChipEncoder(), vm.AxonEncoder()
        assert c.z is not vm.ChipEncoder().z and d.hi is not d.lo
        f = {f.name: f for f in dataclasses.fields(vm.CoreEncoder)}["p"]
        assert f.default_factory is vm.ByteEncoder
        print("LOADER", type(vm.__loader__).__name__)
        print("LINES", len(vm.__loader__.get_source(vm.__name__).splitlines()))
        """, cwd=tmp_path)
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == before, "lava-nc's file on disk was modified"
    if hook.rewrite(before) is not None:  # lava-nc still has the bug
        assert "LOADER PatchedSourceLoader" in out
        assert f"LINES {len(before.splitlines())}" in out


def _load_hook_by_path():
    return (f"import importlib.util as u\n"
            f"s = u.spec_from_file_location('lava_vle._lava_py311', "
            f"{hook.__file__!r})\n"
            f"m = u.module_from_spec(s); s.loader.exec_module(m)\n")


@pytest.mark.skipif(not PY311, reason="the hook acts on Python >= 3.11 only")
def test_without_hook_lava_fails_then_install_recovers(tmp_path):
    """Proves the hook is what makes Lava import, and the documented
    recovery (import lava_vle, then retry) works without a restart."""
    path = _lava_var_model_path()
    with open(path, encoding="utf-8") as fh:
        if hook.rewrite(fh.read()) is None:
            pytest.skip("this lava-nc release has no ByteEncoder() default")
    site_dir = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(path))))
    # -S: no site, hence no .pth; add site-packages by hand (no .pth run).
    out = _run(f"""
        import sys
        sys.path.append({site_dir!r})
        try:
            from lava.proc.lif.process import LIF
        except ValueError as exc:
            assert "ByteEncoder" in str(exc), exc
            print("FAILED_AS_EXPECTED")
        """, _load_hook_by_path(), """
        assert m.install() and not any(
            "lava.magma.compiler.var_model" == k for k in sys.modules)
        from lava.proc.lif.process import LIF
        print("RECOVERED")
        """, flags=["-S"], cwd=tmp_path)
    assert "FAILED_AS_EXPECTED" in out and "RECOVERED" in out


# (e): the hook leaves everything else alone.
SAMPLE = """\
from __future__ import annotations
from dataclasses import dataclass, InitVar
from x import y


@dataclass
class CoreEncoder:
    x: ByteEncoder = ByteEncoder()
    y: ByteEncoder=ByteEncoder()
    other: int = 0
"""


def test_rewrite_sample():
    out = hook.rewrite(SAMPLE)
    assert out is not None
    assert len(out.splitlines()) == len(SAMPLE.splitlines())
    assert "from dataclasses import dataclass, InitVar, field\n" in out
    assert "    x: ByteEncoder = field(default_factory=ByteEncoder)\n" in out
    assert "    y: ByteEncoder= field(default_factory=ByteEncoder)\n" in out
    assert "ByteEncoder()" not in out
    assert "other: int = 0" in out and "from x import y" in out
    assert len(hook.rewrite(SAMPLE).splitlines()) == 10
    changed = [i for i, (a, b) in enumerate(zip(SAMPLE.splitlines(),
                                                out.splitlines())) if a != b]
    assert changed == [1, 7, 8]


@pytest.mark.parametrize("text", [
    "",
    # already fixed upstream
    SAMPLE.replace("= ByteEncoder()", "= field(default_factory=ByteEncoder)")
          .replace("InitVar\n", "InitVar, field\n"),
    SAMPLE.replace("=ByteEncoder()", "= field(default_factory=ByteEncoder)")
          .replace("= ByteEncoder()", "= field(default_factory=ByteEncoder)"),
    # import line changed: adding `field` safely is not possible
    SAMPLE.replace("dataclass, InitVar\n", "dataclass, InitVar, field\n"),
    SAMPLE.replace("from dataclasses import dataclass, InitVar\n", "\n"),
])
def test_rewrite_leaves_other_text_alone(text):
    assert hook.rewrite(text) is None


def test_finder_ignores_other_modules():
    finder = hook._Finder()
    for name in ["json", "lava", "lava.magma.compiler.compiler",
                 "lava.magma.compiler.var_model_x", "lava_vle"]:
        assert finder.find_spec(name, None) is None


def test_install_is_idempotent():
    saved = list(sys.meta_path)
    try:
        hook.uninstall()
        assert not hook.is_installed()
        assert hook.install() is PY311
        assert hook.install() is PY311
        assert sum(getattr(f, "_lava_vle_py311_hook", False)
                   for f in sys.meta_path) == (1 if PY311 else 0)
        if PY311:
            assert getattr(sys.meta_path[0], "_lava_vle_py311_hook", False)
    finally:
        sys.meta_path[:] = saved


@pytest.mark.skipif(not PY311, reason="the hook acts on Python >= 3.11 only")
def test_hook_steps_aside_for_fixed_lava_and_other_modules(tmp_path):
    """A lava-nc without the bug (fake package first on sys.path) is loaded
    by the normal machinery; other Lava modules never see the hook."""
    comp = tmp_path / "fake" / "lava" / "magma" / "compiler"
    comp.mkdir(parents=True)
    (comp / "var_model.py").write_text(
        SAMPLE.replace("= ByteEncoder()", "= field(default_factory=ByteEncoder)")
        .replace("=ByteEncoder()", "= field(default_factory=ByteEncoder)")
        .replace("InitVar\n", "InitVar, field\n")
        .replace("from x import y\n", "\n")
        .replace("@dataclass", "@dataclass\nclass ByteEncoder:\n    pass\n\n\n"
                 "@dataclass", 1))
    (comp / "other.py").write_text("X = 1\n")
    out = _run(f"""
        import sys
        sys.path.insert(0, {str(tmp_path / "fake")!r})
        """, _load_hook_by_path(), """
        assert m.install()
        from importlib.machinery import SourceFileLoader
        import lava.magma.compiler.var_model as vm, lava.magma.compiler.other
        assert type(vm.__loader__) is SourceFileLoader, vm.__loader__
        assert type(lava.magma.compiler.other.__loader__) is SourceFileLoader
        assert vm.CoreEncoder().x is not vm.CoreEncoder().x
        print("OK")
        """, flags=["-S"], cwd=tmp_path)
    assert "OK" in out
