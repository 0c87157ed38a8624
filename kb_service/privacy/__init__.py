"""Data protection: erasing one customer's data on request, and the search log's retention limit."""
