"""Executors: thread pool (default), process pool, asyncio."""
