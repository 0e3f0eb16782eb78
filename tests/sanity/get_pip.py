"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test runs ``get_pip_<version>.py [pip install options] pip==<version>`` inside an
empty virtual environment. The real script embeds a pip wheel and runs ``pip install``; its
download host is not reachable here. This does the same with the pip wheel that CPython ships
in ``ensurepip``; the requested pip version itself still comes from PyPI.
"""
import glob
import os
import sys

import ensurepip

wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
if not wheels:
    sys.exit("get_pip: no pip wheel bundled with this Python's ensurepip")
sys.path.insert(0, wheels[0])

from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

# get-pip.py's own flags: it installs setuptools and wheel unless told not to; this never does.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
