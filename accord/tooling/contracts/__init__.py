"""Contracts as data: the compiled Protobuf image and the AsyncAPI documents."""

from accord.descriptors import (
    MethodContract,
    ServiceContract,
    load_image,
    services_in,
)

__all__ = ["MethodContract", "ServiceContract", "load_image", "services_in"]
