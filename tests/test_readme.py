"""The README stays true: its code runs, its printed numbers hold, CI runs its test command."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def bash_blocks():
    return re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_no_unfilled_placeholders():
    assert not re.search(r"^[A-Z_]+_(SECTION|TABLE)$", README, flags=re.MULTILINE)


def test_ci_runs_the_readme_test_command_verbatim():
    test_commands = [b.strip() for b in bash_blocks() if "pytest" in b]
    assert len(test_commands) == 1, "the README shows one test command"
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert test_commands[0] in ci_script.splitlines()


def test_readme_first_command_runs_an_existing_example():
    first = bash_blocks()[0]
    script = re.search(r"python (examples/\S+\.py)", first).group(1)
    assert (ROOT / script).is_file()


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs(index, tmp_path):
    code = python_blocks()[index]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    for expected in re.findall(r"# (\d[\d. ]*\d)\s*$", code, flags=re.MULTILINE):
        if "." in expected:  # a printed number the README promises, e.g. "24.7041 138.8338"
            assert expected in result.stdout, (expected, result.stdout)


def test_readme_micrograd_example_values():
    code = python_blocks()[0]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.stdout.split() == ["24.7041", "138.8338", "645.5773"]
