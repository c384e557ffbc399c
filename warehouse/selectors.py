"""Reads: every figure the API and the websocket serve is computed here, from the warehouse tables."""
