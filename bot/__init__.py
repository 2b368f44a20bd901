"""Start-up, configuration, the Telegram transports, the scheduler and the web server."""
