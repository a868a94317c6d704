"""The organisation: departments (a tree), members (one per account, with employee number,
position and role), the directory, and members' CSV import and export."""
