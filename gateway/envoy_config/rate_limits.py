"""Token buckets (Envoy's local_ratelimit): one per peer address, charged before any
credential is looked at, and one per principal."""

from collections.abc import Sequence

from gateway.envoy_config.shapes import Json, duration, percent, typed


def rate_limit(
    name: str, rate: float, burst: int, key: str, descriptors: Sequence[Sequence[Json]]
) -> Json:
    """A token bucket per value of the descriptor (peer address, or principal)."""
    # `rate` tokens a second: one token per 1/rate s, or several per 50 ms (Envoy's shortest).
    interval = max(0.05, 1 / rate)
    bucket = {
        "max_tokens": max(burst, 1),
        "tokens_per_fill": max(1, round(rate * interval)),
        "fill_interval": duration(interval),
    }
    return {
        "name": "envoy.filters.http.local_ratelimit",
        "typed_config": {
            "@type": typed("extensions.filters.http.local_ratelimit.v3", "LocalRateLimit"),
            "stat_prefix": f"rate_limit_{name}",
            # Descriptors only: calls no descriptor matches are not limited by this filter.
            "token_bucket": {
                "max_tokens": 1_000_000_000,
                "tokens_per_fill": 1_000_000_000,
                "fill_interval": "1s",
            },
            "filter_enabled": percent(100, f"{name}_rate_limit_enabled"),
            "filter_enforced": percent(100, f"{name}_rate_limit_enforced"),
            "rate_limited_as_resource_exhausted": True,
            "descriptors": [{"entries": [{"key": key}], "token_bucket": bucket}],
            "max_dynamic_descriptors": 100_000,
            "rate_limits": [{"actions": list(actions)} for actions in descriptors],
        },
    }


def metadata_descriptor(key: str, namespace: str, path: Sequence[str]) -> Json:
    return {
        "metadata": {
            "descriptor_key": key,
            "metadata_key": {"key": namespace, "path": [{"key": part} for part in path]},
            "source": "DYNAMIC",
            "skip_if_absent": True,
        }
    }
