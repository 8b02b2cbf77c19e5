"""The org tree (district, street, community, grid, departments, property companies) and categories."""
