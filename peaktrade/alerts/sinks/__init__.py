"""Alert sinks: one module per channel, all behind the ``AlertSink`` protocol."""
