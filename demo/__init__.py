"""`make demo`: the product brief's journeys, driven through the gateway of a running platform."""
