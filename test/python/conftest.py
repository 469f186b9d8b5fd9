"""Shared fixtures of the Python package's tests (run by test/python/pytest.test through lit)."""

import os

import pytest

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def heed():
    import heed as module

    return module


@pytest.fixture(scope="session")
def src():
    return SRC


@pytest.fixture(scope="session")
def two(heed):
    """x + y, x * y, x - y over f32[N, 3]."""
    return heed.compile(os.path.join(SRC, "test/tools/Inputs/two.heed"))


@pytest.fixture(scope="session")
def reverse(heed, tmp_path_factory):
    """The shipped reversal model (examples/reverse), compiled for the CPU and Vulkan."""
    return heed.compile(os.path.join(SRC, "examples/reverse/model.heed"), target="all")
