"""Request ids: a client's `x-request-id` is kept when it is 1 to 128 visible ASCII characters
(what the old gateway kept, and what services log and echo); any other value is replaced with a
fresh id, so nothing a client invents reaches a log line or a service unchecked.

Envoy's connection manager keeps a client's id as it is (`preserve_external_request_id`) and
makes one when there is none; a filter made only for calls whose id is not valid (a matcher
on the header, `only_when`) overwrites it with Envoy's own `%UNIQUE_ID%`. A call with a valid id,
or none, pays for the match alone.
"""

from gateway.envoy_config.names import REQUEST_ID
from gateway.envoy_config.shapes import Json, all_of, header_is, negated, only_when, typed

VALID_REQUEST_ID = "[!-~]{1,128}"


def fresh_ids_for_invalid_ones() -> Json:
    overwrite = {
        "name": "fresh_request_id",
        "typed_config": {
            "@type": typed("extensions.filters.http.header_mutation.v3", "HeaderMutation"),
            "mutations": {
                "request_mutations": [
                    {
                        "append": {
                            "header": {"key": REQUEST_ID, "value": "%UNIQUE_ID%"},
                            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                        }
                    }
                ]
            },
        },
    }
    present = header_is(REQUEST_ID, {"safe_regex": {"google_re2": {}, "regex": "(?s).*"}})
    valid = header_is(REQUEST_ID, {"safe_regex": {"google_re2": {}, "regex": VALID_REQUEST_ID}})
    return only_when("request_id_check", all_of(present, negated(valid)), overwrite)
