"""The rules of the product, free of any messenger: tickets, routing, deadlines, the clock."""
