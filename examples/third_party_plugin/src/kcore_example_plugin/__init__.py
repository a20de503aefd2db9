"""Example third-party kcore plugin.

Nothing is imported here on purpose: kcore imports ``callbacks``, ``metrics`` or
``hooks`` only through their entry points, when they are used.
"""

__version__ = "0.1.0"
