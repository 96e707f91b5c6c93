"""The kanban board's gateway in Python: a Python process creating, claiming and running tasks
on the same board as the Node gateways (packages/kanban), through a Baton member."""
