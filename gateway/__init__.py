"""The Accord gateway: one front door for every routed gRPC service (`python -m gateway`).

Where to look:
- a request enters at `server.Router.service`, which finds its route (`routes.py`: services,
  methods and lifecycles from the contracts image, backends from settings) or refuses it;
- `pipeline.py` takes it through, in order: limits (`limits.py`), authentication and
  authorization (`accord/auth`), a healthy backend (`backends.py`), forwarding (`proxy.py`);
- `errors.py` holds the gateway's own refusals; `observability.py` logs and counts each call;
- `health.py` and `reflection.py` answer grpc.health.v1 and server reflection.
"""
