"""Call options the SDKs act on, checked by `make lint`; idempotency levels in `make breaking`."""

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from accord.tooling.contracts._option_changes import idempotency_changes
from accord.tooling.contracts.lint import lint_protobuf
from tests.unit.contracts.protos import make_module, write_file

Level = descriptor_pb2.MethodOptions

STREAMS = """
syntax = "proto3";

package acme.feed.v1;

import "accordapis/options/v1/calls.proto";
import "accordapis/options/v1/policy.proto";

// FeedService streams items.
service FeedService {
  // Good resumes from its cursor.
  rpc Good(FollowRequest) returns (stream FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      resumption: {request_field: "cursor" response_field: "cursor"}
    };
  }
  // Unary cannot resume.
  rpc Unary(FollowRequest) returns (FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      resumption: {request_field: "cursor" response_field: "cursor"}
    };
  }
  // Missing names a field that is not there.
  rpc Missing(FollowRequest) returns (stream FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      resumption: {request_field: "position" response_field: "cursor"}
    };
  }
  // Mismatch resumes a number from a string.
  rpc Mismatch(FollowRequest) returns (stream FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      resumption: {request_field: "cursor" response_field: "label"}
    };
  }
  // Zero waits for nothing.
  rpc Zero(FollowRequest) returns (FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      default_timeout: {}
    };
  }
  // Example is tried with a field the request does not have.
  rpc Example(FollowRequest) returns (FollowResponse) {
    option (accordapis.options.v1.policy) = {required_scopes: ["feed:read"]};
    option (accordapis.options.v1.call) = {
      example: '{"cursor": 3, "colour": "red"}'
    };
  }
}

// FollowRequest starts a feed.
message FollowRequest {
  // Where to start.
  uint64 cursor = 1;
}

// FollowResponse is one item.
message FollowResponse {
  // Its position.
  uint64 cursor = 1;
  // Its label.
  string label = 2;
}
"""


def test_call_options_a_client_cannot_act_on_are_refused(tmp_path: Path) -> None:
    root = make_module(tmp_path)
    write_file(root, "proto/acme/feed/v1/feed.proto", STREAMS)
    problems = lint_protobuf(root)
    assert sorted(problems) == sorted(
        [
            "acme.feed.v1.FeedService.Unary: resumption is only for methods that stream "
            "their responses",
            "acme.feed.v1.FeedService.Missing: resumption request_field 'position' is not a "
            "field of acme.feed.v1.FollowRequest",
            "acme.feed.v1.FeedService.Mismatch: resumption fields 'cursor' and 'label' must be "
            "single fields of the same type",
            "acme.feed.v1.FeedService.Zero: default_timeout must be positive",
            "acme.feed.v1.FeedService.Example: the example is not a acme.feed.v1.FollowRequest: "
            'Message type "acme.feed.v1.FollowRequest" has no field named "colour" at '
            '"FollowRequest".\n Available Fields(except extensions): "[\'cursor\']"',
        ]
    )


@pytest.mark.parametrize(
    ("old", "new", "breaks"),
    [
        (Level.IDEMPOTENCY_UNKNOWN, Level.NO_SIDE_EFFECTS, False),  # a new promise
        (Level.IDEMPOTENCY_UNKNOWN, Level.IDEMPOTENT, False),
        (Level.IDEMPOTENT, Level.IDEMPOTENT, False),
        (Level.IDEMPOTENT, Level.IDEMPOTENCY_UNKNOWN, True),  # a promise withdrawn
        (Level.NO_SIDE_EFFECTS, Level.IDEMPOTENT, True),
    ],
)
def test_only_declaring_an_idempotency_level_is_compatible(
    old: "Level.IdempotencyLevel.ValueType", new: "Level.IdempotencyLevel.ValueType", breaks: bool
) -> None:
    assert bool(idempotency_changes(old, new)) is breaks
