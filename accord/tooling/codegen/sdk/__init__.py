"""The SDKs `make codegen` writes under `sdk/`: Python, TypeScript and a Markdown reference.

`python_runtime/` is the hand-written part of the Python SDK (credentials, retries, errors,
deprecation notices, resumable streams, event subscriptions); it is copied verbatim into the
generated package, which adds one typed client per API version on top of it.
"""
