"""The notifications service: the one service that talks to customers about their orders."""
