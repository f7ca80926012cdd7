"""bench.outbox_throughput: the event pipeline (outbox → relay → RabbitMQ → batched consumer → inbox)
beside its raw floor measured in the same run; see __main__.py and bench/README.md."""
