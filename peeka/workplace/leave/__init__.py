"""Leave: balances as an append-only ledger in half days, accrued by the Korean statutory
policy unless the administrator sets another."""
