"""Fixtures of the Python tests: fresh ring names, removed afterwards, and the shmring command."""

import itertools
import os
import shutil

import pytest

import shmring

_counter = itertools.count()


def unlink_quietly(name):
    try:
        shmring.unlink(name)
    except FileNotFoundError:
        pass


@pytest.fixture
def ring():
    """A ring name of this test's own; whatever was created under it is removed afterwards."""
    name = f"pytest-{os.getpid()}-{next(_counter)}"
    yield name
    unlink_quietly(name)


@pytest.fixture
def tool():
    """The shmring command of this build (SHMRING_TOOL), for tests between Python and C++ programs."""
    path = os.environ.get("SHMRING_TOOL") or shutil.which("shmring")
    if path is None:
        pytest.skip("the shmring command is not built (SHMRING_TOOL)")
    return path
