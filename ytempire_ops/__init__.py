"""ytempire-ops: the operations CLI of the YTEMPIRE analytics warehouse."""

__version__ = "0.1.0"
