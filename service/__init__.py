"""The HTTP service (``asylum-kb serve``) and the interview (web page and terminal).

Everything here calls the public API (``asylum_kb.load``, ``kb.evaluate``, ``result.to_dict``, reports,
diff). The web framework is imported only by ``app`` and ``server``, so the terminal interview and the
rest of the command line do not need the ``serve`` extra.
"""
