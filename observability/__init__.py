"""Observability: the Prometheus metrics jiehu defines, structured logging and the request context that
ties a log line to its request. The lowest floor beside `domain`: anything may import it, it imports
nothing of jiehu's but `domain`."""
