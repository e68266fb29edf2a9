"""Browsers and HTTP clients: HTTP/JSON through the gRPC-JSON transcoder (from the contracts'
`google.api.http` bindings), and which web origins may call with gRPC-Web (CORS)."""

import base64

from gateway.envoy_config.names import API_KEY, REQUEST_ID
from gateway.envoy_config.shapes import Json, typed
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings


def transcoder(settings: GatewaySettings, routes: RouteTable) -> Json:
    """HTTP/JSON to gRPC from the contracts' `google.api.http` bindings (methods without one
    are gRPC only): JSON bodies, path and query parameters, server streams as one JSON object
    per line; a gRPC status becomes its HTTP status and a JSON google.rpc.Status body."""
    return {
        "name": "envoy.filters.http.grpc_json_transcoder",
        "typed_config": {
            "@type": typed("extensions.filters.http.grpc_json_transcoder.v3", "GrpcJsonTranscoder"),
            # Inline, so the configuration stands alone: the contracts plus google.rpc's
            # details, which the JSON bodies of gRPC errors name by type.
            "proto_descriptor_bin": base64.b64encode(transcoder_descriptors(routes)).decode(),
            "services": sorted(routes.services),
            "print_options": {
                "always_print_primitive_fields": True,
                "preserve_proto_field_names": True,
                "stream_newline_delimited": True,
            },
            "convert_grpc_status": True,
            # A larger JSON body is refused with 413 (local_replies.py gives it its details).
            "max_request_body_size": settings.max_receive_message_bytes,
            "ignore_unknown_query_parameters": False,
            "request_validation_options": {"reject_binding_body_field_collisions": True},
        },
    }


def transcoder_descriptors(routes: RouteTable) -> bytes:
    """The contracts image with google/rpc/status.proto and error_details.proto added."""
    from google.protobuf import descriptor_pb2
    from google.rpc import error_details_pb2, status_pb2

    image = descriptor_pb2.FileDescriptorSet()
    image.CopyFrom(routes.image)
    present = {file.name for file in image.file}
    for module in (error_details_pb2, status_pb2):
        for file in (*module.DESCRIPTOR.dependencies, module.DESCRIPTOR):
            if file.name not in present:
                proto = image.file.add()
                file.CopyToProto(proto)
                present.add(file.name)
    return image.SerializeToString(deterministic=True)


def cors_policy(settings: GatewaySettings) -> Json:
    """Which web origins may call (gRPC-Web), and what their scripts may send and read."""
    return {
        "@type": typed("extensions.filters.http.cors.v3", "CorsPolicy"),
        "allow_origin_string_match": [
            {"exact": origin} for origin in settings.cors_allowed_origins
        ],
        "allow_methods": "POST, GET, OPTIONS",
        "allow_headers": ", ".join(
            [
                "authorization",
                API_KEY,
                "content-type",
                "grpc-timeout",
                "x-grpc-web",
                "x-user-agent",
                REQUEST_ID,
            ]
        ),
        "expose_headers": ", ".join(
            [
                "grpc-status",
                "grpc-message",
                "grpc-status-details-bin",
                REQUEST_ID,
                "deprecation",
                "sunset",
                "link",
            ]
        ),
        "max_age": "600",
        "allow_credentials": False,
    }
