"""Forge: moto_forge's identity (Step 4 builds the network client on it)."""
