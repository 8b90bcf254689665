"""S3 on moto: the WSGI app, the Forge backend for moto, the streaming data path."""
