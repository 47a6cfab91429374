"""Domain logic of Vigie: plain Python, no Faust or FastAPI imports."""
