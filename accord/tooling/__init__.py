"""The developer's tools, apart from the runtime: the `accord` command (run, cluster,
codegen, lint, breaking, streams, tokens and keys), the embedded nats-server and its
generated configuration, supervision for `make run`, and development keys.

Everything here depends on the runtime (`accord`); nothing of the runtime depends on it
(tests/unit/test_layers.py checks). Services and the edge never import it: in production
they use only what they are given, and in development what these tools made beforehand.
"""
