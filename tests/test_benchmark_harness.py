"""The benchmark harness restarts itself with the same command line, also on Python 3.9; the
scripts run as modules and as plain scripts."""
import subprocess
import sys
import types
from pathlib import Path

import pytest

from benchmarks import harness


def test_command_line_is_rebuilt_without_orig_argv(monkeypatch):
    monkeypatch.delattr(sys, "orig_argv", raising=False)
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="benchmarks.bench_mlp")
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", ["/repo/benchmarks/bench_mlp.py", "--blocks", "3"])
    assert harness._command_line() == ["-m", "benchmarks.bench_mlp", "--blocks", "3"]
    main.__spec__ = None  # started as a script
    assert harness._command_line() == ["/repo/benchmarks/bench_mlp.py", "--blocks", "3"]


def test_command_line_is_orig_argv_when_python_has_it(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-X", "dev", "-m", "benchmarks.bench_cnn"],
                        raising=False)
    assert harness._command_line() == ["-X", "dev", "-m", "benchmarks.bench_cnn"]


@pytest.mark.parametrize("script", ["bench_mlp", "bench_cnn", "bench_overhead", "bench_phases",
                                    "bench_scalar"])
def test_scripts_run_as_plain_scripts_from_anywhere(script, tmp_path):
    """`python benchmarks/bench_x.py` works as well as `python -m benchmarks.bench_x`."""
    path = Path(harness.__file__).resolve().parent / f"{script}.py"
    done = subprocess.run([sys.executable, str(path), "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
