"""ucanto's UCANs in Python: ed25519 did:key principals and UCAN 0.9.1 IPLD blocks."""
