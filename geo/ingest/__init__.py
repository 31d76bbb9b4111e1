"""Getting data in: the shipped-data loader and the file/GDB importer (write side, SQLAlchemy)."""
