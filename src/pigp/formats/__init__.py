"""Pure format libraries: no Django import, schemas shipped as package data."""
