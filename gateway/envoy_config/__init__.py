"""The parts of Envoy's configuration, one idea per module; `gateway.config.compile_config`
puts them together (its docstring says which module writes what)."""
