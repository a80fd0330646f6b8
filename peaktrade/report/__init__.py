"""``peaktrade report RUN_ID -o report.html``: one run as a self-contained HTML page."""
