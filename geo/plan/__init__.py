"""The plan's records and the commands that change them: projects (tasks, targets, reports next)."""
