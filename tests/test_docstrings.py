"""Every example in a docstring of `autodiff` and `nn` runs as written (as ``pytest
--doctest-modules`` would run it, in its module's namespace): a user reads them in ``help()``
and pastes them, so each one imports what its module does not define."""
import doctest
import importlib
import pkgutil

import pytest

import autodiff
import nn


def _modules():
    names = []
    for package in (autodiff, nn):
        names.append(package.__name__)
        names.extend(info.name for info in pkgutil.walk_packages(package.__path__,
                                                                 package.__name__ + "."))
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) of {name} failed"
