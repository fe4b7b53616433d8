"""File formats and output writing (the edges of the pipeline)."""
