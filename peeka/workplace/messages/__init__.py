"""Internal messages (쪽지) between the company's members: one-to-one or to a department."""
