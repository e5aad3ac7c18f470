"""The Slack edge: Bolt app, Block Kit rendering, the HTTP and Socket Mode servers."""
